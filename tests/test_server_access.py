"""Who may do what: every route × the owner, another student, staff and nobody; tokens, sessions,
forms from other sites, throttled guessing, revocation, and the headers every answer carries."""

from __future__ import annotations

import csv
import os
import re
import sqlite3

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from autograder.cli import main
from autograder.server.app import create_app
from autograder.server.auth import COOKIE, FAILURES_PER_MINUTE, issue

from conftest import submission_of
from serverkit import STAFF, STUDENTS, bearer, settings, wait_done, write_people

pytestmark = pytest.mark.slow  # grades through the sandbox


@pytest.fixture(scope="module")
def world(tmp_path_factory, sandbox, toy):
    app = create_app(settings(tmp_path_factory.mktemp("access") / "data", sandbox))
    people = {**{s: "student" for s in STUDENTS}, **{s: "staff" for s in STAFF}}
    tokens = {r["id"]: r["token"] for r in issue(app.state.service.store, people, "http://testserver")}
    with TestClient(app) as client:
        answer = client.post("/api/assignments/toy/submissions", headers=bearer(tokens["a1"]),
                             files={"notebook": ("toy.ipynb", submission_of(toy, "toy", "a1"))})
        submission = answer.json()["id"]
        wait_done(client, submission, bearer(tokens["a1"]))
        yield client, tokens, submission


# (method, path, body kind, expected status for: owner a1, other student b2, staff, nobody)
MATRIX = [
    ("GET", "/api/health", None, (200, 200, 200, 200)),
    ("GET", "/api/me", None, (200, 200, 200, 401)),
    ("GET", "/api/assignments", None, (200, 200, 200, 401)),
    ("GET", "/api/assignments/toy/notebook", None, (200, 200, 403, 401)),
    ("POST", "/api/assignments/toy/submissions", "file", (202, 202, 403, 401)),
    ("GET", "/api/submissions/{sub}", None, (200, 404, 200, 401)),
    ("GET", "/api/assignments/toy/grades", None, (403, 403, 200, 401)),
    ("POST", "/api/assignments/toy/students/a1/overrides", "override", (403, 403, 200, 401)),
    ("DELETE", "/api/assignments/toy/students/a1/overrides/scaled", None, (403, 403, 200, 401)),
    ("GET", "/assignments/toy", None, (200, 200, 403, 401)),
    ("GET", "/submissions/{sub}", None, (200, 404, 200, 401)),
    ("GET", "/submissions/{sub}/file", None, (200, 404, 200, 401)),
    ("GET", "/staff/toy", None, (403, 403, 200, 401)),
    ("GET", "/staff/toy/students/a1", None, (403, 403, 200, 401)),
    ("GET", "/staff/toy/summary", None, (403, 403, 200, 401)),
    ("GET", "/staff/toy/export/csv", None, (403, 403, 200, 401)),
    ("GET", "/staff/toy/export/canvas", None, (403, 403, 200, 401)),
    ("GET", "/staff/toy/export/moodle", None, (403, 403, 200, 401)),
    ("GET", "/staff/toy/regrade", None, (403, 403, 200, 401)),
]


def call(client, method, path, body, headers, toy):
    if body == "file":
        who = "b2" if headers.get("X-Who") == "b2" else "a1"
        return client.request(method, path, headers=headers, files={"notebook": ("t.ipynb", submission_of(toy, "toy", who))})
    if body == "override":
        return client.request(method, path, headers=headers, json={"task": "scaled", "score": 1, "comment": "x"})
    return client.request(method, path, headers=headers)


@pytest.mark.parametrize("method, path, body, expected", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_access_matrix(world, toy, method, path, body, expected):
    client, tokens, submission = world
    client.cookies.clear()
    path = path.format(sub=submission)
    for who, status in zip(("a1", "b2", "ta", None), expected):
        if method == "DELETE" and who == "ta":  # something to delete
            client.post("/api/assignments/toy/students/a1/overrides", headers=bearer(tokens["ta"]),
                        json={"task": "scaled", "score": 1, "comment": ""})
        headers = {**bearer(tokens[who]), "X-Who": who} if who else {}
        answer = call(client, method, path, body, headers, toy)
        assert answer.status_code == status, f"{who}: {answer.status_code} {answer.text[:300]}"
        if path.startswith("/api/") and status >= 400:
            assert set(answer.json()) == {"error"}
        if status == 202:
            wait_done(client, answer.json()["id"], headers)


def test_the_sign_in_link_becomes_an_http_only_same_site_cookie_that_every_route_answers(world):
    client, tokens, submission = world
    client.cookies.clear()
    answer = client.get(f"/signin?token={tokens['a1']}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert tokens["a1"] not in cookie
    assert client.get("/api/me").json() == {"id": "a1", "role": "student"}
    assert client.get(f"/api/submissions/{submission}").status_code == 200
    assert "Your assignments" in client.get("/").text
    client.cookies.clear()


def test_a_bad_sign_in_link_says_so(world):
    client, _, _ = world
    client.cookies.clear()
    answer = client.get("/signin?token=nope")
    assert answer.status_code == 401 and "not valid" in answer.text


def test_forms_and_cookie_posts_from_other_sites_are_refused(world, toy):
    client, tokens, _ = world
    client.cookies.clear()
    client.get(f"/signin?token={tokens['ta']}")
    page = client.get("/staff/toy/students/a1").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = {"task": "scaled", "score": "2", "comment": "ok"}
    assert client.post("/staff/toy/students/a1/overrides", data=form, follow_redirects=False).status_code == 403
    assert client.post("/staff/toy/students/a1/overrides", data={**form, "csrf": "forged"}).status_code == 403
    evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert client.post("/staff/toy/students/a1/overrides", data={**form, "csrf": token}, headers=evil).status_code == 403
    assert client.post("/api/assignments/toy/students/a1/overrides", headers=evil,
                       json={"task": "scaled", "score": 2, "comment": ""}).status_code == 403
    done = client.post("/staff/toy/students/a1/overrides", data={**form, "csrf": token}, follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/api/assignments/toy/grades").json()[0]["overrides"][0]["score"] == 2.0
    client.delete("/api/assignments/toy/students/a1/overrides/scaled")
    client.cookies.clear()


def test_every_answer_forbids_outside_origins_framing_and_caching(world):
    client, tokens, submission = world
    client.cookies.clear()
    for path in ("/api/health", "/", f"/submissions/{submission}", "/nope", "/api/nope"):
        headers = client.get(path, headers=bearer(tokens["a1"])).headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "http" not in csp
        assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store"
    assert client.get("/api/nope").json() == {"error": "Not Found"}
    assert client.delete("/api/health").status_code == 405


def test_a_failing_token_is_throttled_and_nobody_else(tmp_path, sandbox):
    app = create_app(settings(tmp_path / "data", sandbox))
    tokens = {r["id"]: r["token"] for r in issue(app.state.service.store, {"a1": "student"}, "http://testserver")}
    with TestClient(app) as client:
        for _ in range(FAILURES_PER_MINUTE):
            assert client.get("/api/me", headers=bearer("guess")).status_code == 401
        blocked = client.get("/api/me", headers=bearer("guess"))
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        # Per token, never per address: the same client (a lab behind one NAT) still signs in.
        assert client.get("/api/me", headers=bearer(tokens["a1"])).json() == {"id": "a1", "role": "student"}
        assert client.get(f"/signin?token={tokens['a1']}").status_code == 200
        assert client.get("/signin?token=guess").status_code == 429


def test_tokens_command_writes_the_csv_stores_only_hashes_and_revokes(tmp_path, sandbox):
    roster, staff = write_people(tmp_path, ["a1", "b2"])
    data, out = tmp_path / "data", tmp_path / "TOKENS.csv"
    result = CliRunner().invoke(main, ["tokens", "--roster", str(roster), "--staff", str(staff), "--data", str(data),
                                       "--out", str(out), "--base-url", "https://grader.example/course"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["id", "role", "token", "url"]
    assert [(r["id"], r["role"]) for r in rows] == [("a1", "student"), ("b2", "student"), ("ta", "staff")]
    assert all(r["url"] == f"https://grader.example/course/signin?token={r['token']}" for r in rows)
    assert len({r["token"] for r in rows}) == 3 and all(len(r["token"]) >= 40 for r in rows)
    assert os.stat(out).st_mode & 0o777 == 0o600
    database = (data / "autograder.sqlite").read_bytes() + b"".join(p.read_bytes() for p in data.glob("*-wal"))
    assert not any(r["token"].encode() in database for r in rows)
    token = {r["id"]: r["token"] for r in rows}
    app = create_app(settings(data, sandbox, students=("a1", "b2")))
    with TestClient(app) as client:
        client.get(f"/signin?token={token['b2']}")
        assert client.get("/api/me").status_code == 200
        assert client.get("/api/me", headers=bearer(token["a1"])).status_code == 200
        revoked = CliRunner().invoke(main, ["tokens", "--data", str(data), "--revoke", "b2"])
        assert revoked.exit_code == 0 and "Revoked b2" in revoked.output
        assert client.get("/api/me").status_code == 401  # the session died with the token
        assert client.get("/api/me", headers=bearer(token["b2"])).status_code == 401
        assert client.get("/api/me", headers=bearer(token["a1"])).status_code == 200
        client.cookies.clear()
        CliRunner().invoke(main, ["tokens", "--roster", str(roster), "--staff", str(staff), "--data", str(data),
                                  "--out", str(out)])
        assert client.get("/api/me", headers=bearer(token["a1"])).status_code == 401  # re-issued: the old link is dead
    assert CliRunner().invoke(main, ["tokens", "--data", str(data), "--revoke", "zz"]).exit_code == 2
    sessions = sqlite3.connect(data / "autograder.sqlite").execute("SELECT COUNT(*) FROM sessions s JOIN people p "
                                                                  "ON p.id = s.person WHERE p.id = 'b2'").fetchone()
    assert sessions == (0,)
