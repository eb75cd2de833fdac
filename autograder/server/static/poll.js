// Live status of one attempt while it waits for its grade: polls our own API, then shows the report.
(function () {
  "use strict";
  var box = document.querySelector("[data-poll]");
  if (!box) { return; }
  var url = box.getAttribute("data-poll");
  var state = document.getElementById("state");
  var position = document.getElementById("position");
  var words = { queued: "Waiting in the queue", running: "Being graded now" };
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        if (s.status === "graded" || s.status === "ungradable") { window.location.reload(); return; }
        state.textContent = words[s.status] || s.status;
        position.textContent = s.position ? "Position " + s.position + " in the queue." : "";
        window.setTimeout(tick, 1000);
      })
      .catch(function () { window.setTimeout(tick, 4000); });
  }
  window.setTimeout(tick, 700);
})();
