"""The course server's JSON API in-process (Starlette's test client), grading the toy course in the real sandbox."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
from starlette.testclient import TestClient

from autograder.server.app import create_app
from autograder.server.auth import issue

from conftest import grade_bytes, submission_of
from serverkit import STAFF, STUDENTS, Gate, bearer, settings, wait_done

pytestmark = pytest.mark.slow  # grades through the sandbox

PAST = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


def serve(tmp_path, kind, executor=None, **policy):
    app = create_app(settings(tmp_path / "data", kind, **policy), executor)
    people = {**{s: "student" for s in STUDENTS}, **{s: "staff" for s in STAFF}}
    tokens = {row["id"]: row["token"] for row in issue(app.state.service.store, people, "http://testserver")}
    return app, {who: bearer(token) for who, token in tokens.items()}


@pytest.fixture(scope="module")
def server(tmp_path_factory, sandbox):
    app, auth = serve(tmp_path_factory.mktemp("api"), sandbox)
    with TestClient(app) as client:
        yield client, auth


def upload(client, who: dict, data: bytes, name: str = "toy.ipynb", assignment: str = "toy"):
    return client.post(f"/api/assignments/{assignment}/submissions", headers=who, files={"notebook": (name, data)})


def test_health_me_and_assignments(server):
    client, auth = server
    assert client.get("/api/health").json() == {"status": "ok"}
    assert client.get("/api/me", headers=auth["a1"]).json() == {"id": "a1", "role": "student"}
    assert client.get("/api/me", headers=auth["ta"]).json() == {"id": "ta", "role": "staff"}
    assert client.get("/api/assignments", headers=auth["a1"]).json() == \
        [{"name": "toy", "title": "Toy assignment", "max_score": 4.0, "due": None}]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic YTpi"}])
def test_without_a_valid_token_the_answer_is_401_in_json(server, headers):
    client, _ = server
    answer = client.get("/api/me", headers=headers)
    assert answer.status_code == 401
    assert set(answer.json()) == {"error"}


def test_a_student_downloads_their_own_notebook(server):
    client, auth = server
    answer = client.get("/api/assignments/toy/notebook", headers=auth["a1"])
    assert answer.status_code == 200
    assert 'filename="toy.ipynb"' in answer.headers["content-disposition"]
    assert json.loads(answer.content)["metadata"]["autograder"]["student_id"] == "a1"
    assert client.get("/api/assignments/nope/notebook", headers=auth["a1"]).status_code == 404


def test_an_upload_is_graded_with_the_same_report_as_grade_writes(server, toy, sandbox):
    client, auth = server
    data = submission_of(toy, "toy", "a1")
    answer = upload(client, auth["a1"], data)
    assert answer.status_code == 202
    assert answer.json()["status"] == "queued" and set(answer.json()) == {"id", "status"}
    done = wait_done(client, answer.json()["id"], auth["a1"])
    assert set(done) >= {"id", "student_id", "assignment", "status", "received_at", "score", "max_score", "report"}
    assert (done["student_id"], done["assignment"], done["status"], done["score"], done["max_score"]) == \
        ("a1", "toy", "graded", 4.0, 4.0)
    expected = grade_bytes(toy, "toy", "a1", data, sandbox)
    assert done["report"].pop("submitted_at") == done["received_at"]
    for report in (expected, done["report"]):
        report["submission"].pop("file")
    assert done["report"] == expected


def test_junk_and_other_students_notebooks_are_refused_and_never_become_attempts(server, toy):
    client, auth = server
    before = client.get("/api/assignments/toy/grades", headers=auth["ta"]).json()
    junk = upload(client, auth["b2"], b"%PDF-1.4 not a notebook", "essay.pdf")
    assert junk.status_code == 422 and "PDF" in junk.json()["error"]
    borrowed = upload(client, auth["b2"], submission_of(toy, "toy", "b2", owner="a1"))
    assert borrowed.status_code == 422 and "another student" in borrowed.json()["error"]
    assert client.get("/api/assignments/toy/grades", headers=auth["ta"]).json() == before


def test_another_students_submission_is_404_and_staff_routes_403(server, toy):
    client, auth = server
    sid = upload(client, auth["c3"], submission_of(toy, "toy", "c3")).json()["id"]
    assert client.get(f"/api/submissions/{sid}", headers=auth["a1"]).status_code == 404
    assert client.get(f"/api/submissions/{sid}", headers=auth["ta"]).status_code == 200
    assert client.get("/api/submissions/doesnotexist", headers=auth["ta"]).status_code == 404
    assert client.get("/api/assignments/toy/grades", headers=auth["a1"]).json() == {"error": "this is for course staff only"}
    wait_done(client, sid, auth["c3"])


def test_grades_have_one_row_per_roster_student(server, toy):
    client, auth = server
    rows = client.get("/api/assignments/toy/grades", headers=auth["ta"]).json()
    assert [r["student_id"] for r in rows] == list(STUDENTS)
    for row in rows:
        assert set(row) == {"student_id", "score", "max_score", "submission", "late", "overrides",
                            "stale_overrides"}


def test_an_override_counts_for_every_attempt_until_deleted(server, toy):
    client, auth = server
    first = wait_done(client, upload(client, auth["a1"], submission_of(toy, "toy", "a1")).json()["id"], auth["a1"])
    url = "/api/assignments/toy/students/a1/overrides"
    answer = client.post(url, headers=auth["ta"], json={"task": "scaled", "score": 1.5, "comment": "see me <b>now</b>"})
    assert answer.status_code == 200 and answer.json()["score"] == 2.5
    shown = client.get(f"/api/submissions/{first['id']}", headers=auth["a1"]).json()
    task = shown["report"]["tasks"][0]
    assert (shown["score"], task["score"]) == (2.5, 1.5)
    assert task["override"]["comment"] == "see me <b>now</b>" and task["override"]["by"] == "ta"
    assert task["override"]["automatic_score"] == 3.0 and task["override"]["at"]
    # A new attempt gets the override too; the grades table names it.
    later = wait_done(client, upload(client, auth["a1"], submission_of(toy, "toy", "a1")).json()["id"], auth["a1"])
    assert later["score"] == 2.5
    row = next(r for r in client.get("/api/assignments/toy/grades", headers=auth["ta"]).json() if r["student_id"] == "a1")
    assert (row["submission"], row["score"]) == (later["id"], 2.5)
    assert [o["task"] for o in row["overrides"]] == ["scaled"]
    # The page escapes the comment and marks it as the staff's.
    client.cookies.clear()
    page = client.get(f"/submissions/{later['id']}", headers=auth["a1"]).text
    assert "set by the course staff" in page and "see me &lt;b&gt;now&lt;/b&gt;" in page
    deleted = client.delete(f"{url}/scaled", headers=auth["ta"])
    assert deleted.status_code == 200 and deleted.json()["score"] == 4.0
    assert client.delete(f"{url}/scaled", headers=auth["ta"]).status_code == 404


@pytest.mark.parametrize("body, status", [
    ({"task": "scaled", "score": 3.5, "comment": ""}, 400),
    ({"task": "scaled", "score": -1, "comment": ""}, 400),
    ({"task": "scaled", "score": "3", "comment": ""}, 400),
    ({"task": "nope", "score": 1, "comment": ""}, 404),
    ({"score": 1}, 400),
])
def test_an_override_outside_the_tasks_points_is_refused(server, body, status):
    client, auth = server
    answer = client.post("/api/assignments/toy/students/b2/overrides", headers=auth["ta"], json=body)
    assert answer.status_code == status and "error" in answer.json()


def test_an_override_of_an_unknown_student_or_assignment_is_404(server):
    client, auth = server
    body = {"task": "scaled", "score": 1, "comment": ""}
    assert client.post("/api/assignments/toy/students/zz9/overrides", headers=auth["ta"], json=body).status_code == 404
    assert client.post("/api/assignments/nope/students/a1/overrides", headers=auth["ta"], json=body).status_code == 404


def test_an_upload_over_the_limit_is_413_and_nothing_is_kept(tmp_path, sandbox, toy):
    app, auth = serve(tmp_path, sandbox, max_upload=20_000)
    with TestClient(app) as client:
        answer = upload(client, auth["a1"], b"x" * 500_000)
        assert answer.status_code == 413
        assert "outputs" in answer.json()["error"]
        assert app.state.service.store.attempts("toy") == []
        assert not any(p.is_file() for p in (tmp_path / "data" / "files").rglob("*"))
        # Just over the limit, inside what the envelope allows: refused after reading, still not kept.
        assert upload(client, auth["a1"], b"x" * 20_001).status_code == 413


def test_too_many_queued_attempts_answer_429(tmp_path, sandbox, toy):
    gate = Gate(sandbox)
    app, auth = serve(tmp_path, sandbox, executor=gate, max_queued=2)
    with TestClient(app) as client:
        data = submission_of(toy, "toy", "a1")
        ids = [upload(client, auth["a1"], data).json()["id"] for _ in range(2)]
        refused = upload(client, auth["a1"], data)
        assert refused.status_code == 429 and "waiting" in refused.json()["error"]
        assert refused.headers["retry-after"]
        assert upload(client, auth["b2"], submission_of(toy, "toy", "b2")).status_code == 202  # others still may
        first = client.get(f"/api/submissions/{ids[1]}", headers=auth["a1"]).json()
        assert first["status"] in ("queued", "running") and first["report"] is None and first["score"] is None
        gate.open()
        for sid in ids:
            assert wait_done(client, sid, auth["a1"])["status"] == "graded"
        assert upload(client, auth["a1"], data).status_code == 202


def test_a_minimum_interval_between_attempts_answers_429_with_the_wait(tmp_path, sandbox, toy):
    app, auth = serve(tmp_path, sandbox, min_interval=600)
    with TestClient(app) as client:
        data = submission_of(toy, "toy", "a1")
        assert upload(client, auth["a1"], data).status_code == 202
        again = upload(client, auth["a1"], data)
        assert again.status_code == 429 and "apart" in again.json()["error"]
        assert 500 < int(again.headers["retry-after"]) <= 601


def test_late_attempts_lose_the_penalty_and_the_cutoff_refuses(tmp_path, sandbox, toy):
    app, auth = serve(tmp_path, sandbox, due=PAST, late_penalty=0.25)
    with TestClient(app) as client:
        assert client.get("/api/assignments", headers=auth["a1"]).json()[0]["due"] == "2020-01-01T00:00:00+00:00"
        done = wait_done(client, upload(client, auth["a1"], submission_of(toy, "toy", "a1")).json()["id"], auth["a1"])
        assert done["late"] is True and done["score"] == 3.0 and done["report"]["late"] is True
        assert done["report"]["warnings"][0].startswith("Late:")
        row = client.get("/api/assignments/toy/grades", headers=auth["ta"]).json()[0]
        assert row["late"] is True and row["score"] == 3.0
    app, auth = serve(tmp_path / "cut", sandbox, due=PAST, late_cutoff=PAST)
    with TestClient(app) as client:
        refused = upload(client, auth["a1"], submission_of(toy, "toy", "a1"))
        assert refused.status_code == 403 and "cut-off" in refused.json()["error"]


def test_the_best_attempt_counts_when_the_policy_says_so(tmp_path, sandbox, toy):
    app, auth = serve(tmp_path, sandbox, counts="best")
    with TestClient(app) as client:
        good = wait_done(client, upload(client, auth["a1"], submission_of(toy, "toy", "a1")).json()["id"], auth["a1"])
        worse = submission_of(toy, "toy", "a1", cells={"scaled": "def scaled(x):\n    return x\n"})
        assert wait_done(client, upload(client, auth["a1"], worse).json()["id"], auth["a1"])["score"] == 1.0
        row = client.get("/api/assignments/toy/grades", headers=auth["ta"]).json()[0]
        assert (row["submission"], row["score"]) == (good["id"], 4.0)


def test_every_file_is_kept_by_its_hash_and_every_grade_once(server, toy):
    client, auth = server
    for who in ("a1", "b2"):  # its own attempts: the test also runs alone
        wait_done(client, upload(client, auth[who], submission_of(toy, "toy", who)).json()["id"], auth[who])
    store = client.app.state.service.store
    blobs = client.app.state.service.blobs
    attempts = store.attempts("toy")
    assert len(attempts) >= 2
    for attempt in attempts:
        assert blobs.path(attempt.sha256).is_file()
    db = sqlite3.connect(store.path)
    per_job = db.execute("SELECT COUNT(*) FROM results GROUP BY job_id").fetchall()
    assert per_job and set(per_job) == {(1,)}
    graded = db.execute("SELECT COUNT(*) FROM submissions WHERE status IN ('graded', 'ungradable')").fetchone()[0]
    assert db.execute("SELECT COUNT(DISTINCT submission_id) FROM results").fetchone()[0] == graded
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
