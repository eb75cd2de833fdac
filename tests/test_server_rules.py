"""A semester on the course server (SPEC "A semester on the server"): every rule through the real
`autograder serve` on a loopback port, on a copy of the toy course with one hidden check.

The tests of the module share one server and run in order; each uses students of its own.
The last one edits the grader's code on disk (a regrade), the one before it the roster.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from autograder.course import Course
from autograder.policy import Policy
from autograder.records import Report
from autograder.server import gradesheet
from autograder.server.store import Attempt

from conftest import submission_of
from serverkit import bearer, free_port, live_server, tokens, toy_with_a_hidden_check, write_people

pytestmark = pytest.mark.slow  # one real server, grading in the sandbox

STUDENTS = [f"s{i}" for i in range(1, 9)]
WRONG_SCALED = "def scaled(x):\n    return x\n"


@pytest.fixture(scope="module")
def semester(tmp_path_factory):
    """(client, bearer headers by person, the course copy, its folder, the people folder, the data folder)."""
    top = tmp_path_factory.mktemp("semester")
    folder = toy_with_a_hidden_check(top / "course")
    roster, staff = write_people(top / "people", STUDENTS)
    roster.write_text("student_id,name\n" + "".join(f"{s},Student {s.upper()}\n" for s in STUDENTS))
    data, port = top / "data", free_port()
    links = tokens(data, roster, staff, f"http://127.0.0.1:{port}")
    with live_server(folder, roster, staff, data, port, "--jobs", "1"):
        client = httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        yield client, {who: bearer(t) for who, t in links.items()}, Course(folder), folder, top, data
        client.close()


def notebook(course: Course, student: str, **cells) -> bytes:
    return submission_of(course, "toy", student, cells=cells)


def upload(client, who: dict, data: bytes, url: str = "/api/assignments/toy/submissions"):
    return client.post(url, headers=who, files={"notebook": ("toy.ipynb", data)})


def graded(client, who: dict, data: bytes, url: str = "/api/assignments/toy/submissions") -> dict:
    answer = upload(client, who, data, url)
    assert answer.status_code == 202, answer.text
    return wait(client, answer.json()["id"], who)


def wait(client, sid: str, who: dict, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/api/submissions/{sid}", headers=who).json()
        if state["status"] in ("graded", "ungradable"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"{sid} was not graded within {timeout} s")


def row(client, auth, student: str) -> dict:
    rows = client.get("/api/assignments/toy/grades", headers=auth["ta"]).json()
    return next(r for r in rows if r["student_id"] == student)


def set_policy(folder, text: str) -> None:
    """Edit course.toml and wait until the server has read it (it looks once a second)."""
    (folder / "course.toml").write_text(text)
    time.sleep(1.3)


def hidden_check(report: dict) -> dict:
    return next(c for t in report["tasks"] for c in t["checks"] if c["visibility"] == "hidden")


# --- what an upload must be ------------------------------------------------------------

def test_a_file_that_is_not_this_students_notebook_is_refused_with_422_and_never_counts(semester):
    client, auth, course, *_ = semester
    good = notebook(course, "s1")
    other_assignment = json.loads(good)
    other_assignment["metadata"]["autograder"]["assignment"] = "momentum_nag"
    no_metadata = json.loads(good)
    del no_metadata["metadata"]["autograder"]
    cases = {
        b"": "empty",
        b"import numpy as np\n\ndef scaled(x):\n    return 2 * x\n": "Python script",
        good[: len(good) // 2]: "cut short",
        b"%PDF-1.7\n...": "PDF",
        notebook(course, "s2"): "another student",
        json.dumps(other_assignment).encode(): "another assignment",
        json.dumps(no_metadata).encode(): "not made from the notebook",
        b'{"cells": []}': "cannot be read as a notebook",
    }
    for data, what in cases.items():
        answer = upload(client, auth["s1"], data)
        assert answer.status_code == 422, (what, answer.text)
        body = answer.json()
        assert set(body) == {"error"} and what in body["error"], body
        assert "upload" in body["error"].lower() or "download" in body["error"].lower()
    assert row(client, auth, "s1")["submission"] is None
    # Staff may still hand in a notebook for the student, and it is marked as theirs.
    handed = graded(client, auth["ta"], notebook(course, "s2"), "/api/assignments/toy/students/s1/submissions")
    assert handed["handed_in_by"] == "ta" and handed["student_id"] == "s1" and handed["status"] == "graded"
    assert upload(client, auth["s1"], good, "/api/assignments/toy/students/s1/submissions").status_code == 403


# --- which attempt counts ---------------------------------------------------------------

def test_the_student_or_staff_choose_the_attempt_that_counts_and_delete_goes_back_to_the_policy(semester):
    client, auth, course, *_ = semester
    good = graded(client, auth["s2"], notebook(course, "s2"))
    worse = graded(client, auth["s2"], notebook(course, "s2", scaled=WRONG_SCALED))
    assert (good["score"], worse["score"]) == (4.0, 1.0)
    assert (row(client, auth, "s2")["submission"], row(client, auth, "s2")["score"]) == (worse["id"], 1.0)
    url = "/api/assignments/toy/students/s2/counting"
    chosen = client.put(url, headers=auth["s2"], json={"submission": good["id"]})
    assert chosen.status_code == 200 and chosen.json()["score"] == 4.0
    assert (row(client, auth, "s2")["submission"], row(client, auth, "s2")["score"]) == (good["id"], 4.0)
    assert client.put(url, headers=auth["s3"], json={"submission": good["id"]}).status_code == 403
    assert client.put(url, headers=auth["s2"], json={"submission": "nonesuch"}).status_code == 404
    assert client.put(url, headers=auth["s2"], json={"id": good["id"]}).status_code == 400
    assert client.delete(url, headers=auth["ta"]).status_code == 200
    assert row(client, auth, "s2")["submission"] == worse["id"]
    assert client.put(url, headers=auth["ta"], json={"submission": good["id"]}).status_code == 200


def _attempt(sid: str, seq: int, status: str, score: float) -> Attempt:
    report = Report("s", "toy", "Toy", status, None if status == "graded" else "broken", True, score, 4.0,
                    "bwrap", "", "", None)
    return Attempt(sid, seq, "toy", "s", "sha" + sid, "t.ipynb", 1, f"2026-01-0{seq}T00:00:00Z", status, report, "k")


@pytest.mark.parametrize("counts", ["last", "best"])
def test_an_ungradable_attempt_never_displaces_a_graded_one(counts):
    attempts = [_attempt("a", 1, "graded", 1.0), _attempt("b", 2, "ungradable", 0.0)]
    finals = {a.id: a.report for a in attempts}
    assert gradesheet.counting_attempt(attempts, finals, Policy(counts=counts))[0].id == "a"
    assert gradesheet.counting_attempt(attempts, finals, Policy(counts=counts), ("b", "s", "now"))[0].id == "a"
    assert gradesheet.counting_attempt(attempts[1:], finals, Policy(counts=counts))[0].id == "b"


# --- extensions and staff hand-ins -----------------------------------------------------

def test_an_extension_gives_a_student_their_own_dates_and_staff_hand_in_after_the_cut_off(semester):
    client, auth, course, folder, *_ = semester
    set_policy(folder, "[defaults]\ndue = 2020-01-01T00:00:00Z\nlate_cutoff = 2020-01-02T00:00:00Z\n"
                       "late_penalty = 0.5\n")
    try:
        refused = upload(client, auth["s3"], notebook(course, "s3"))
        assert refused.status_code == 403 and "cut-off" in refused.json()["error"]
        # After the due date a student no longer chooses the attempt that counts; staff still do.
        chosen = row(client, auth, "s2")["submission"]
        counting = "/api/assignments/toy/students/s2/counting"
        assert client.put(counting, headers=auth["s2"], json={"submission": chosen}).status_code == 403
        assert client.put(counting, headers=auth["ta"], json={"submission": chosen}).status_code == 200
        later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).replace(microsecond=0)
        url = "/api/assignments/toy/students/s3/extension"
        assert client.put(url, headers=auth["s3"], json={"due": later.isoformat()}).status_code == 403
        assert client.put(url, headers=auth["ta"], json={"due": "tomorrow"}).status_code == 400
        given = client.put(url, headers=auth["ta"], json={"due": later.isoformat(), "cutoff": None, "comment": "ill"})
        assert given.status_code == 200 and given.json()["due"] == later.isoformat()
        mine = client.get("/api/assignments", headers=auth["s3"]).json()[0]
        assert dt.datetime.fromisoformat(mine["due"]) == later
        assert client.get("/api/assignments", headers=auth["s4"]).json()[0]["due"].startswith("2020-01-01")
        assert f"Due {later:%Y-%m-%d %H:%M} UTC" in client.get("/", headers=auth["s3"]).text
        on_time = graded(client, auth["s3"], notebook(course, "s3"))
        assert (on_time["score"], on_time["late"]) == (4.0, False)
        # Staff hand in for a student without an extension: accepted after the cut-off, late but not zeroed.
        handed = graded(client, auth["ta"], notebook(course, "s4"), "/api/assignments/toy/students/s4/submissions")
        assert (handed["handed_in_by"], handed["late"], handed["score"]) == ("ta", True, 2.0)
        assert client.delete(url, headers=auth["ta"]).status_code == 200
        assert client.delete(url, headers=auth["ta"]).status_code == 404
        assert row(client, auth, "s3")["score"] == 0.0  # handed in after the cut-off without the extension
    finally:
        set_policy(folder, "")


def test_course_toml_lists_extensions_too(semester):
    client, auth, course, folder, *_ = semester
    set_policy(folder, "[defaults]\ndue = 2020-01-01T00:00:00Z\nlate_cutoff = 2020-01-02T00:00:00Z\n"
                       "[defaults.extensions]\ns4 = { due = 2099-01-01T00:00:00Z, comment = \"exchange term\" }\n")
    try:
        assert client.get("/api/assignments", headers=auth["s4"]).json()[0]["due"].startswith("2099-01-01")
        assert upload(client, auth["s5"], notebook(course, "s5")).status_code == 403
    finally:
        set_policy(folder, "")


# --- overrides follow the code they judged ---------------------------------------------

def test_an_override_holds_while_its_tasks_code_stays_and_is_listed_as_stale_when_it_changes(semester):
    client, auth, course, *_ = semester
    graded(client, auth["s5"], notebook(course, "s5"))
    url = "/api/assignments/toy/students/s5/overrides"
    assert client.post(url, headers=auth["ta"], json={"task": "value_at_origin", "score": 0.5,
                                                      "comment": "hard-coded"}).json()["score"] == 3.5
    # A new attempt that changes another task's code only: the override still holds.
    same = notebook(course, "s5", scaled="def scaled(x):\n    # tidied\n    return SCALE * np.asarray(x, dtype=float)\n")
    assert graded(client, auth["s5"], same)["score"] == 3.5
    now = row(client, auth, "s5")
    assert [o["task"] for o in now["overrides"]] == ["value_at_origin"] and now["stale_overrides"] == []
    # One that changes the overridden task's code: the automatic score counts again.
    source = next(c for c in json.loads(same)["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") ==
                  "value_at_origin")["source"]
    changed = notebook(course, "s5", value_at_origin="".join(source) + "\n# rewritten\n")
    assert graded(client, auth["s5"], changed)["score"] == 4.0
    now = row(client, auth, "s5")
    assert now["score"] == 4.0 and now["overrides"] == []
    assert [o["task"] for o in now["stale_overrides"]] == ["value_at_origin"]


# --- review requests -------------------------------------------------------------------

def test_a_review_request_is_answered_and_its_score_becomes_an_override(semester):
    client, auth, course, *_ = semester
    attempt = graded(client, auth["s6"], notebook(course, "s6", scaled=WRONG_SCALED))
    url = f"/api/submissions/{attempt['id']}/requests"
    asked = client.post(url, headers=auth["s6"], json={"task": "scaled", "message": "I multiplied, didn't I?"})
    assert asked.status_code == 201
    rid = asked.json()["id"]
    assert client.post(url, headers=auth["s7"], json={"task": "scaled", "message": "x"}).status_code == 404
    assert client.post(url, headers=auth["s6"], json={"task": "nope", "message": "x"}).status_code == 400
    assert client.get("/api/assignments/toy/requests", headers=auth["s6"]).status_code == 403
    queue = client.get("/api/assignments/toy/requests", headers=auth["ta"]).json()
    assert [(r["id"], r["student_id"], r["task"], r["state"]) for r in queue] == [(rid, "s6", "scaled", "open")]
    answer = client.post(f"/api/requests/{rid}/answer", headers=auth["ta"],
                         json={"comment": "Partly: the scaling is missing.", "score": 1.5})
    assert answer.status_code == 200 and answer.json()["state"] == "answered"
    assert client.get("/api/assignments/toy/requests", headers=auth["ta"]).json() == []
    seen = client.get(f"/api/submissions/{attempt['id']}", headers=auth["s6"]).json()
    assert seen["score"] == 2.5 and seen["requests"][0]["answer"]["comment"] == "Partly: the scaling is missing."
    task = next(t for t in seen["report"]["tasks"] if t["name"] == "scaled")
    assert task["override"]["score"] == 1.5


# --- hidden checks stay hidden ----------------------------------------------------------

def test_hidden_checks_show_no_input_before_the_due_date_and_new_inputs_for_each_attempt(semester):
    client, auth, course, folder, *_ = semester
    first = graded(client, auth["s7"], notebook(course, "s7", scaled=WRONG_SCALED))
    mine = hidden_check(first["report"])
    assert not mine["passed"] and "hidden" in mine["message"]
    assert set(mine["details"]) <= {"error"} and "x = " not in mine["message"] and mine["figure"] is None
    staff = hidden_check(client.get(f"/api/submissions/{first['id']}", headers=auth["ta"]).json()["report"])
    assert staff["details"]["input"].startswith("x = ")
    again = graded(client, auth["s7"], notebook(course, "s7", scaled=WRONG_SCALED + "# again\n"))
    same = graded(client, auth["s7"], notebook(course, "s7", scaled=WRONG_SCALED))
    inputs = [hidden_check(client.get(f"/api/submissions/{a['id']}", headers=auth["ta"]).json()["report"])
              ["details"]["input"] for a in (first, again, same)]
    assert inputs[0] != inputs[1] and inputs[0] == inputs[2]
    set_policy(folder, '[defaults]\nhidden = "never"\n')
    try:
        shown = hidden_check(client.get(f"/api/submissions/{first['id']}", headers=auth["s7"]).json()["report"])
        assert shown["details"]["input"] == inputs[0]
    finally:
        set_policy(folder, "")


# --- no restart for a change -----------------------------------------------------------

def test_a_student_added_to_the_roster_signs_in_without_a_restart_and_others_keep_their_links(semester):
    client, auth, course, folder, top, data = semester
    roster = top / "people" / "roster.csv"
    roster.write_text(roster.read_text() + "s9,Newcomer Nine\n")
    out = top / "s9.csv"
    subprocess.run([sys.executable, "-m", "autograder.cli", "tokens", "--roster", roster, "--staff",
                    top / "people" / "staff.csv", "--data", data, "--out", out, "--only", "s9"],
                   check=True, capture_output=True)
    token = out.read_text().splitlines()[1].split(",")[2]
    time.sleep(1.3)
    assert client.get("/api/me", headers=bearer(token)).json() == {"id": "s9", "role": "student"}
    assert client.get("/api/me", headers=auth["s1"]).status_code == 200
    assert any(r["student_id"] == "s9" for r in client.get("/api/assignments/toy/grades", headers=auth["ta"]).json())


# --- a regrade preview changes nothing until applied ----------------------------------

def test_uploads_during_and_after_a_discarded_preview_are_graded_by_the_grader_in_force(semester):
    client, auth, course, folder, *_ = semester
    assert graded(client, auth["s8"], notebook(course, "s8"))["score"] == 4.0
    init = folder / "assignments" / "toy" / "__init__.py"
    init.write_text(init.read_text().replace('lambda o: Verdict(o[0].value == expected and o[0].meta["calls"] == [1],',
                                             'lambda o: Verdict(False,'))
    staff = httpx2.Client(base_url=str(client.base_url), timeout=60)
    staff.get(f"/signin?token={auth['ta']['Authorization'].split()[1]}")
    csrf = _csrf(staff.get("/staff/toy/regrade").text)

    def preview() -> int:
        """Start a regrade and wait for its preview; its run id."""
        staff.post("/staff/toy/regrade", data={"csrf": csrf})
        deadline = time.monotonic() + 120
        while "Apply" not in (page := staff.get("/staff/toy/regrade").text):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        return _run(page)

    run = preview()
    assert graded(client, auth["s8"], notebook(course, "s8", scaled=WRONG_SCALED + "# 1\n"))["score"] == 1.0
    staff.post(f"/staff/toy/regrade/{run}", data={"csrf": csrf, "action": "discard"})
    assert graded(client, auth["s8"], notebook(course, "s8"))["score"] == 4.0
    run = preview()
    during = graded(client, auth["s8"], notebook(course, "s8", scaled=WRONG_SCALED + "# 2\n"))
    assert during["score"] == 1.0
    staff.post(f"/staff/toy/regrade/{run}", data={"csrf": csrf, "action": "apply"})
    assert graded(client, auth["s8"], notebook(course, "s8", scaled=WRONG_SCALED + "# 3\n"))["score"] == 0.0
    # What was graded during the preview is graded again by the grader now in force.
    deadline = time.monotonic() + 120
    while client.get(f"/api/submissions/{during['id']}", headers=auth["s8"]).json()["score"] != 0.0:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    staff.close()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _run(html: str) -> int:
    return int(re.search(r'/staff/toy/regrade/(\d+)', html).group(1))


# --- nothing outlives the server -------------------------------------------------------

def test_a_kill_9_of_the_server_takes_its_forkserver_and_grading_processes_with_it(tmp_path):
    roster, staff = write_people(tmp_path / "people", ["s1"])
    data, port = tmp_path / "data", free_port()
    with live_server(toy_with_a_hidden_check(tmp_path / "course"), roster, staff, data, port, "--jobs", "2") as proc:
        deadline = time.monotonic() + 60
        while len(_group(proc.pid)) < 4:  # the server, the forkserver and two grading processes
            assert time.monotonic() < deadline, _group(proc.pid)
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while _group(proc.pid):
            assert time.monotonic() < deadline, f"left behind: {_group(proc.pid)}"
            time.sleep(0.2)


def _group(pgid: int) -> list[str]:
    """The live processes of a process group (zombies aside): pid, name, parent and command line."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        if int(rest[2]) == pgid and rest[0] != "Z":
            found.append(f"{stat.parent.name} {name} ppid {rest[1]} {(stat.parent / 'cmdline').read_bytes()[60:130]!r}")
    return found
