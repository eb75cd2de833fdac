"""The pages in-process: the upload form, the class table, exports with overrides, regrade with a preview."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import time

import pytest
from starlette.testclient import TestClient

from autograder.server.app import create_app
from autograder.server.auth import issue

from conftest import submission_of
from serverkit import STAFF, STUDENTS, bearer, settings, wait_done

pytestmark = pytest.mark.slow  # grades through the sandbox


@pytest.fixture
def site(tmp_path, sandbox):
    app = create_app(settings(tmp_path / "data", sandbox, max_upload=200_000))
    people = {**{s: "student" for s in STUDENTS}, **{s: "staff" for s in STAFF}}
    tokens = {r["id"]: r["token"] for r in issue(app.state.service.store, people, "http://testserver")}
    with TestClient(app) as client:
        yield client, tokens


def sign_in(client, token) -> str:
    client.cookies.clear()
    client.get(f"/signin?token={token}")
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def form_upload(client, csrf, data, name="toy.ipynb"):
    return client.post("/assignments/toy/upload", data={"csrf": csrf}, files={"notebook": (name, data)},
                       follow_redirects=False)


def test_a_student_hands_in_through_the_form_and_watches_it(site, toy):
    client, tokens = site
    csrf = sign_in(client, tokens["a1"])
    answer = form_upload(client, csrf, submission_of(toy, "toy", "a1"), name="<img src=x onerror=alert(1)>.ipynb")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/submissions/")
    sid = answer.headers["location"].rsplit("/", 1)[1]
    waiting = client.get(f"/submissions/{sid}").text
    assert 'data-poll="/api/submissions/' in waiting or "Grading report" in waiting
    wait_done(client, sid)
    report = client.get(f"/submissions/{sid}").text
    assert "Grading report" in report and "this attempt counts" in report
    listing = client.get("/assignments/toy").text
    assert "&lt;img src=x onerror=alert(1)&gt;.ipynb" in listing and "<img src=x" not in listing
    assert client.get(f"/submissions/{sid}/file").content == submission_of(toy, "toy", "a1")


def test_the_form_says_why_an_upload_was_refused(site):
    client, tokens = site
    csrf = sign_in(client, tokens["a1"])
    answer = form_upload(client, csrf, b"{" + b" " * 300_000)
    assert answer.status_code == 413
    assert "Clear the notebook" in answer.text and "Not accepted" in answer.text
    assert form_upload(client, "forged", b"{}").status_code == 403


def test_staff_table_sorts_and_exports_carry_overrides(site, toy):
    client, tokens = site
    wait_done(client, client.post("/api/assignments/toy/submissions", headers=bearer(tokens["a1"]),
                                  files={"notebook": ("t.ipynb", submission_of(toy, "toy", "a1"))}).json()["id"],
              bearer(tokens["a1"]))
    client.post("/api/assignments/toy/students/b2/overrides", headers=bearer(tokens["ta"]),
                json={"task": "value_at_origin", "score": 1, "comment": "emailed work"})
    sign_in(client, tokens["ta"])
    table = client.get("/staff/toy?sort=score&order=desc").text
    order = [m for m in re.findall(r"/staff/toy/students/(\w+)", table)]
    assert order[:3] == ["a1", "b2", "c3"]
    grades = list(csv.DictReader(io.StringIO(client.get("/staff/toy/export/csv").text)))
    assert [(r["student_id"], r["score"], r["value_at_origin"]) for r in grades] == \
        [("a1", "4", "1"), ("b2", "1", "1"), ("c3", "0", "0")]
    canvas = client.get("/staff/toy/export/canvas").text.splitlines()
    assert canvas[0].endswith(",toy") and canvas[3].endswith(",1")
    moodle = client.get("/staff/toy/export/moodle")
    assert "attachment" in moodle.headers["content-disposition"] and "toy: value_at_origin" in moodle.text
    summary = client.get("/staff/toy/summary").text
    assert "Class summary" in summary or "class summary" in summary.lower()


def test_regrade_previews_whose_score_changes_and_applies_it_keeping_overrides(site, toy):
    client, tokens = site
    service = client.app.state.service
    first = wait_done(client, client.post("/api/assignments/toy/submissions", headers=bearer(tokens["a1"]),
                                          files={"notebook": ("t.ipynb", submission_of(toy, "toy", "a1"))}).json()["id"],
                      bearer(tokens["a1"]))
    client.post("/api/assignments/toy/students/a1/overrides", headers=bearer(tokens["ta"]),
                json={"task": "value_at_origin", "score": 0.5, "comment": "late fix"})
    # As if an older grader had failed a check of `scaled`: the stored grade says so.
    db = sqlite3.connect(service.store.path)
    report = first["report"]
    report["tasks"][0]["score"] = 2.0
    report["tasks"][0]["checks"][0]["passed"] = False
    report["tasks"][1]["score"] = 1.0
    report["score"] = 3.0
    with db:
        db.execute("UPDATE results SET report = ? WHERE submission_id = ?", (json.dumps(report), first["id"]))
    assert client.get(f"/api/submissions/{first['id']}", headers=bearer(tokens["a1"])).json()["score"] == 2.5
    csrf = sign_in(client, tokens["ta"])
    assert client.post("/staff/toy/regrade", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    for _ in range(600):
        page = client.get("/staff/toy/regrade").text
        if "Apply the new grades" in page:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the regrade preview was not ready within 60 s")
    assert "<strong>1</strong> student would get a different grade" in page
    assert "2.5" in page and "3.5" in page and "(failed → passed)" in page
    # Nothing changed for the student yet.
    assert client.get(f"/api/submissions/{first['id']}", headers=bearer(tokens["a1"])).json()["score"] == 2.5
    run = re.search(r'action="/staff/toy/regrade/(\d+)"', page).group(1)
    client.post(f"/staff/toy/regrade/{run}", data={"csrf": csrf, "action": "apply"})
    after = client.get(f"/api/submissions/{first['id']}", headers=bearer(tokens["a1"])).json()
    assert after["score"] == 3.5 and after["report"]["tasks"][1]["override"]["comment"] == "late fix"
    assert "was applied" in client.get("/staff/toy/regrade").text


def test_staff_hand_in_for_a_student_on_their_page_and_the_start_page_counts_it(site, toy):
    client, tokens = site
    csrf = sign_in(client, tokens["ta"])
    assert 'action="/staff/toy/students/b2/submissions"' in client.get("/staff/toy/students/b2").text
    answer = client.post("/staff/toy/students/b2/submissions", data={"csrf": csrf},
                         files={"notebook": ("b2.ipynb", submission_of(toy, "toy", "b2"))}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/submissions/")
    assert wait_done(client, answer.headers["location"].rsplit("/", 1)[1])["handed_in_by"] == "ta"
    refused = client.post("/staff/toy/students/b2/submissions", data={"csrf": csrf},
                          files={"notebook": ("big.ipynb", b"{" + b" " * 300_000)})
    assert refused.status_code == 413 and "Clear the notebook" in refused.text and "Hand in for b2" in refused.text
    home = client.get("/").text
    assert "Grading queue: 0 waiting, 0 being graded." in home
    row = re.search(r'<a href="/staff/toy">.*?</tr>', home, re.S).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["4", "1", "1", "0"]
