"""The course server as an LTI 1.3 tool, driven end to end by a platform that is not ours
(tests/ltiplatform.py, on PyJWT) over loopback: login, launch and its refusals, the session
in and out of the LMS's frame, Deep Linking, Names and Roles, and grade passback."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import time
from concurrent.futures import Future
from pathlib import Path

import httpx2
import jwt as pyjwt
import pytest
from conftest import SECRET, submission_of
from ltiplatform import CLIENT_ID, LIS, Platform, form_of, new_key, serving
from serverkit import TOY, free_port, wait_done

from autograder.course import Course
from autograder.lti import routes as lti_routes
from autograder.lti.keys import KEEP_RETIRED, ROTATE_AFTER, KeyRing
from autograder.lti.people import Identity, match, our_role
from autograder.policy import read_policy
from autograder.roster import read_roster
from autograder.server.app import create_app
from autograder.server.auth import COOKIE, issue
from autograder.server.executors import LocalPool
from autograder.server.settings import Settings

PROF = "prof@uni.edu"
ROSTER = ("student_id,name,email,lis_person_sourcedid\n"
          "a1,Ada One,a1@uni.edu,\n"
          "b2,Bo Two,,SIS-B2\n"
          "c3,Cy Three,c3@uni.edu,\n")
A1 = {"sub": "u-a1", "email": "A1@uni.edu", "name": "Ada One"}


class Never:
    """An executor that grades nothing: these tests hand nothing in."""

    capacity = 1

    def submit(self, unit) -> Future:
        return Future()

    def restart(self) -> None:
        pass

    def close(self) -> None:
        pass


def make_tool(folder: Path, platform: Platform, kind: str = "rlimit-only", executor=None, policy: str = ""):
    course = folder / "course"
    shutil.copytree(TOY, course)
    (course / "course.toml").write_text(policy + platform.registration())
    roster = folder / "roster.csv"
    roster.write_text(ROSTER)
    settings = Settings(course, read_roster(roster), (PROF,), folder / "data", SECRET,
                        read_policy(course, ["toy"]), jobs=1, sandbox=kind, roster_path=roster)
    return create_app(settings, executor or Never()), roster


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    """A platform and the tool registered with it, both serving on loopback; yields (platform, tool url, app)."""
    platform = Platform()
    platform.port, tool_port = free_port(), free_port()
    app, roster = make_tool(tmp_path_factory.mktemp("lti"), platform)
    tool = f"http://127.0.0.1:{tool_port}"
    platform.tool_jwks_url = f"{tool}/lti/jwks.json"
    with serving(platform.app, platform.port), serving(app, tool_port):
        yield platform, tool, app, roster


@pytest.fixture
def browser(lms):
    _, tool, _, _ = lms
    with httpx2.Client(base_url=tool, follow_redirects=False, timeout=20) as client:
        yield client


def authorise(platform: Platform, browser, **launch) -> dict:
    """The platform's half of a login: the tool's redirect followed, the id_token the platform answers."""
    platform.next_launch = launch
    login = browser.post("/lti/login", data=platform.login_form(str(browser.base_url).rstrip("/")))
    assert login.status_code == 302, login.text
    assert login.headers["location"].startswith(f"{platform.url}/auth?")
    answer = httpx2.get(login.headers["location"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def launch(platform: Platform, browser, dest: str = "document", **claims):
    answer = authorise(platform, browser, **claims)
    return browser.post(answer["action"], data={"id_token": answer["id_token"], "state": answer["state"]},
                        headers={"Sec-Fetch-Dest": dest})


def me(browser) -> dict:
    return browser.get("/api/me").json()


# --- login and launch -----------------------------------------------------------------------

def test_login_sends_the_browser_to_the_platform_with_a_nonce_and_a_signed_state(lms, browser):
    platform, tool, _, _ = lms
    login = browser.get("/lti/login", params=platform.login_form(tool))
    query = form_of(login.headers["location"])
    assert query["redirect_uri"] == f"{tool}/lti/launch" and query["client_id"] == CLIENT_ID
    assert query["response_mode"] == "form_post" and query["scope"] == "openid" and query["prompt"] == "none"
    assert len(query["nonce"]) >= 32 and query["state"].count(".") == 1
    assert "set-cookie" not in login.headers  # nothing that a browser would block inside the frame
    other = browser.post("/lti/login", data=platform.login_form(tool, iss="https://evil.example"))
    assert other.status_code == 403 and "registered for the platform" in other.text


def test_a_launch_signs_the_student_in_and_opens_the_assignment(lms, browser):
    platform, _, _, _ = lms
    answer = launch(platform, browser, user=A1, custom={"assignment": "toy"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/lti/session?code=")
    follow = answer.headers["location"]
    opened = browser.get(follow)
    assert opened.status_code == 303 and opened.headers["location"] == "/assignments/toy"
    assert COOKIE in opened.cookies
    assert me(browser) == {"id": "a1", "role": "student"}  # matched by e-mail, whatever its case
    assert browser.get(opened.headers["location"]).status_code == 200
    browser.cookies.clear()
    assert browser.get(follow).status_code == 403  # the code works once


def test_in_the_lms_frame_the_launch_opens_a_window_of_its_own(lms, browser):
    platform, _, _, _ = lms
    answer = launch(platform, browser, dest="iframe", user={"sub": "u-b2", "sourcedid": "SIS-B2"},
                    custom={"assignment": "toy"})
    assert answer.status_code == 200 and "set-cookie" not in answer.headers
    csp = answer.headers["content-security-policy"]
    assert f"frame-ancestors 'self' {platform.url}" in csp and "x-frame-options" not in answer.headers
    link = re.search(r'href="(/lti/session\?code=[^"]+)" target="_blank"', answer.text)
    assert link, answer.text
    assert browser.get(link.group(1)).status_code == 303
    assert me(browser) == {"id": "b2", "role": "student"}  # matched by lis person_sourcedid
    # Every other page still refuses to be framed.
    assert "frame-ancestors 'none'" in browser.get("/").headers["content-security-policy"]


def test_an_instructor_is_staff_and_lands_on_the_class_table(lms, browser):
    platform, _, _, _ = lms
    answer = launch(platform, browser, user={"sub": "u-prof", "email": PROF},
                    roles=("Instructor",), custom={"assignment": "toy"})
    opened = browser.get(answer.headers["location"])
    assert opened.headers["location"] == "/staff/toy"
    assert me(browser) == {"id": PROF, "role": "staff"}


def test_a_person_who_matches_nobody_is_told_so_and_signed_in_as_nobody(lms, browser):
    platform, _, _, _ = lms
    answer = launch(platform, browser, user={"sub": "u-zed", "email": "zed@uni.edu", "name": "Zed"})
    assert answer.status_code == 403 and "set-cookie" not in answer.headers
    assert "You are not on this course's list" in answer.text and "zed@uni.edu" in answer.text
    # Claims that point at two different people match nobody either: never a guess.
    mixed = launch(platform, browser, user={"sub": "u-mix", "email": "a1@uni.edu", "sourcedid": "SIS-B2"})
    assert mixed.status_code == 403 and "different people" in mixed.text


def _other_key(claims, header, key):
    return claims, header, new_key("platform-1")[0]  # the platform's kid, somebody else's key


@pytest.mark.parametrize("tamper, why", [
    (_other_key, "signature does not verify"),
    (lambda c, h, k: ({**c, "aud": "another-tool"}, h, k), "meant for another tool"),
    (lambda c, h, k: ({**c, "exp": c["iat"] - 600}, h, k), "has expired"),
    (lambda c, h, k: ({**c, "iss": "https://evil.example"}, h, k), "issued by"),
    (lambda c, h, k: ({**c, LTI_DEPLOYMENT: "deploy-unknown"}, h, k), "is not one of this course"),
    (lambda c, h, k: ({**c, "nonce": "made-up"}, h, k), "nonce is not the one of this login"),
], ids=["bad signature", "wrong aud", "expired", "wrong issuer", "unknown deployment", "foreign nonce"])
def test_a_launch_that_fails_any_check_is_refused(lms, browser, tamper, why):
    platform, _, _, _ = lms
    platform.tamper = tamper
    try:
        answer = launch(platform, browser, user=A1)
    finally:
        platform.tamper = None
    assert answer.status_code == 403 and why in answer.text, answer.text
    assert "set-cookie" not in answer.headers


LTI_DEPLOYMENT = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"


def test_a_replayed_launch_or_a_forged_state_is_refused(lms, browser):
    platform, _, _, _ = lms
    answer = authorise(platform, browser, user=A1)
    form = {"id_token": answer["id_token"], "state": answer["state"]}
    assert browser.post(answer["action"], data=form).status_code == 200  # (no Sec-Fetch-Dest: the window page)
    replay = browser.post(answer["action"], data=form)
    assert replay.status_code == 403 and "already used" in replay.text
    forged = browser.post(answer["action"], data={**form, "state": answer["state"][:-4] + "AAAA"})
    assert forged.status_code == 403 and "not issued by this tool" in forged.text


def test_the_tool_follows_the_platforms_key_rotation(lms, browser, monkeypatch):
    platform, _, _, _ = lms
    monkeypatch.setattr("autograder.lti.platform.REFETCH_AFTER", 0.0)
    old = platform.key, platform.jwk
    platform.key, platform.jwk = new_key("platform-2")
    try:
        answer = launch(platform, browser, user=A1)
    finally:
        platform.key, platform.jwk = old
    assert answer.status_code == 303
    assert launch(platform, browser, user=A1).status_code == 303  # and back (the tool's cache follows again)


# --- our keys ---------------------------------------------------------------------------------

def test_our_key_set_rotates_and_keeps_what_signed_recently(tmp_path, lms, browser):
    published = browser.get("/lti/jwks.json").json()["keys"]
    assert len(published) == 2 and all("d" not in k and k["alg"] == "RS256" for k in published)
    ring = KeyRing(tmp_path / "keys.json")
    start = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)
    first = [k["kid"] for k in ring.jwks(start)["keys"]]
    signed = ring.sign({"x": 1}, start)
    assert pyjwt.get_unverified_header(signed)["kid"] == first[0]
    later = start + ROTATE_AFTER
    after = [k["kid"] for k in ring.jwks(later)["keys"]]
    assert after[:2] == first and len(after) == 3  # the next key signs now; the old one is still published
    assert pyjwt.get_unverified_header(ring.sign({"x": 1}, later))["kid"] == first[1]
    assert first[0] not in [k["kid"] for k in ring.jwks(later + KEEP_RETIRED)["keys"]]
    assert (tmp_path / "keys.json").stat().st_mode & 0o077 == 0


# --- Deep Linking -----------------------------------------------------------------------------

def test_an_instructor_places_an_assignment_with_its_line_item(lms, browser):
    platform, _, _, _ = lms
    picker = launch(platform, browser, dest="iframe", user={"sub": "u-prof", "email": PROF}, roles=("Instructor",),
                    kind="LtiDeepLinkingRequest")
    assert picker.status_code == 200 and "Place assignments in the course" in picker.text
    ticket = re.search(r'name="ticket" value="([^"]+)"', picker.text).group(1).replace("&#34;", '"')
    back = browser.post("/lti/deep-link", data={"ticket": ticket, "assignment": "toy"})
    assert back.status_code == 200 and f"form-action 'self' {platform.url}" in back.headers["content-security-policy"]
    action = re.search(r'<form method="post" action="([^"]+)"', back.text).group(1)
    token = re.search(r'name="JWT" value="([^"]+)"', back.text).group(1)
    assert action == f"{platform.url}/deep_link_return"
    assert httpx2.post(action, data={"JWT": token}).status_code == 200  # the platform checks it with our key set
    claims = platform.deep_links[-1]
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-42"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    (item,) = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["custom"] == {"assignment": "toy"} and item["type"] == "ltiResourceLink"
    assert item["lineItem"] == {"scoreMaximum": 4.0, "label": "Toy assignment", "resourceId": "toy",
                                "tag": "optim-autograder"}
    forged = browser.post("/lti/deep-link", data={"ticket": ticket.replace("toy", "x") + "0", "assignment": "toy"})
    assert forged.status_code == 403


# --- Names and Roles --------------------------------------------------------------------------

def member(user_id, roles=("Learner",), status="Active", **details):
    return {"user_id": user_id, "roles": [LIS + r for r in roles], "status": status, **details}


def test_the_roster_sync_previews_then_applies_who_is_added_and_dropped(lms, browser):
    platform, tool, app, roster = lms
    launch(platform, browser, user={"sub": "u-prof", "email": PROF}, roles=("Instructor",))  # brings the NRPS URL
    staff = {row["id"]: row["token"] for row in issue(app.state.service.store, {PROF: "staff", "a1": "student"}, tool)}
    auth = {"Authorization": f"Bearer {staff[PROF]}"}
    platform.members = [
        member("u-a1", email="a1@uni.edu", name="Ada One"),
        member("u-b2", lis_person_sourcedid="SIS-B2", status="Inactive"),
        member("u-prof", roles=("Instructor",), email=PROF),
        member("u-d4", email="d4@uni.edu", name="=Dee Four", lis_person_sourcedid="d4"),
        member("u-c3", email="C3@uni.edu"),
    ]
    before = roster.read_text()
    preview = httpx2.get(f"{tool}/api/lti/roster", headers=auth)
    assert preview.status_code == 200, preview.text
    assert [r["student_id"] for r in preview.json()["added"]] == ["d4"]
    assert [r["student_id"] for r in preview.json()["dropped"]] == ["b2"]
    assert roster.read_text() == before  # a preview changes nothing
    assert browser.get(f"/signin?token={staff[PROF]}").status_code == 303
    page = browser.get("/lti/staff?preview=1")  # the staff page offers the same preview, and a form to apply it
    assert "Added: <strong>1</strong> · dropped: <strong>1</strong>" in page.text and 'action="/lti/staff/roster"' in page.text
    assert roster.read_text() == before
    assert httpx2.get(f"{tool}/api/lti/roster", headers={"Authorization": f"Bearer {staff['a1']}"}).status_code == 403
    applied = httpx2.post(f"{tool}/api/lti/roster", headers=auth)
    assert applied.json() == preview.json()
    rows = list(csv.DictReader(roster.open()))
    assert [(r["student_id"], r["lti_status"]) for r in rows] == [("a1", ""), ("b2", "dropped"), ("c3", ""),
                                                                    ("d4", "")]
    assert rows[3]["name"] == "'=Dee Four" and rows[3]["lti_user_id"] == "u-d4"  # no formula in a spreadsheet
    assert read_roster(roster).student_ids == ["a1", "c3", "d4"]
    again = httpx2.get(f"{tool}/api/lti/roster", headers=auth).json()
    assert again["added"] == [] and again["dropped"] == []
    roster.write_text(ROSTER)  # as the other tests expect it


# --- autograder lti config ----------------------------------------------------------------------

def test_lti_config_prints_what_canvas_and_moodle_need(tmp_path):
    from click.testing import CliRunner

    from autograder.cli import main

    platform = Platform()
    platform.port = 1
    course = tmp_path / "course"
    shutil.copytree(TOY, course)
    result = CliRunner().invoke(main, ["lti", "config", "--base-url", "https://grader.example.edu/", "--course", course])
    assert result.exit_code == 0, result.output
    canvas = json.loads(result.output[result.output.index("{"):result.output.index("\n}") + 2])
    assert canvas["oidc_initiation_url"] == "https://grader.example.edu/lti/login"
    assert canvas["target_link_uri"] == "https://grader.example.edu/lti/launch"
    assert canvas["public_jwk_url"] == "https://grader.example.edu/lti/jwks.json"
    assert canvas["extensions"][0]["domain"] == "grader.example.edu"
    assert {p["message_type"] for p in canvas["extensions"][0]["settings"]["placements"]} == {"LtiDeepLinkingRequest"}
    assert "Initiate login URL" in result.output and "no [lti] yet" in result.output
    (course / "course.toml").write_text(platform.registration())
    registered = CliRunner().invoke(main, ["lti", "config", "--base-url", "https://g.example", "--course", course])
    assert f"registers {platform.url}, client id {CLIENT_ID}" in registered.output
    (course / "course.toml").write_text(platform.registration().replace("deployment_ids", "deployments"))
    broken = CliRunner().invoke(main, ["lti", "config", "--base-url", "https://g.example", "--course", course])
    assert broken.exit_code == 2 and "unknown key 'deployments'" in broken.output


# --- matching and roles, one by one -------------------------------------------------------------

@pytest.mark.parametrize("roles, ours", [
    ([LIS + "Learner"], "student"), (["Learner"], "student"), ([LIS + "Instructor"], "staff"),
    (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], "staff"),
    ([LIS + "Mentor"], None), ([], None), ([LIS + "Learner", LIS + "Instructor"], "staff"),
])
def test_platform_roles_become_ours(roles, ours):
    assert our_role(roles) == ours


def test_a_claim_that_fits_two_people_matches_nobody():
    rows = [{"student_id": "x", "email": "same@uni.edu"}, {"student_id": "y", "email": "same@uni.edu"}]
    found = match(Identity("u", email="same@uni.edu"), rows, "student_id")
    assert found.person is None and found.unclear and "fits 2 people" in found.why


# --- grades back to the platform --------------------------------------------------------------

def until(condition, seconds: float = 20.0) -> None:
    """Wait for what the passback does on its own (woken by a change), failing after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the passback did not get there in time"
        time.sleep(0.05)


@pytest.mark.slow  # grades in the sandbox
def test_scores_are_posted_once_per_change_retried_and_shown_to_staff(tmp_path, sandbox, monkeypatch):
    # No round on a timer: a change wakes the passback, staff wake it, or the test runs one.
    monkeypatch.setattr(lti_routes, "PASSBACK_EVERY", 3600.0)
    platform = Platform()
    platform.port, tool_port = free_port(), free_port()
    tool = f"http://127.0.0.1:{tool_port}"
    platform.tool_jwks_url = f"{tool}/lti/jwks.json"
    app, _ = make_tool(tmp_path, platform, sandbox, LocalPool(1, sandbox), policy='[defaults]\nrelease = "graded"\n')
    tokens = {row["id"]: row["token"] for row in issue(app.state.service.store, {PROF: "staff", "a1": "student"}, tool)}
    lti = app.state.lti
    with serving(platform.app, platform.port), serving(app, tool_port), \
            httpx2.Client(base_url=tool, follow_redirects=False, timeout=30) as browser:
        assert launch(platform, browser, user=A1).status_code == 303  # the platform's user id is now a1's
        assert lti.passback_once() == (0, 0)  # nothing graded: nothing released
        student = {"Authorization": f"Bearer {tokens['a1']}"}
        data = submission_of(Course(TOY), "toy", "a1")
        sent = browser.post("/api/assignments/toy/submissions", headers=student, files={"notebook": ("t.ipynb", data)})
        assert wait_done(browser, sent.json()["id"], student)["score"] == 4.0
        until(lambda: len(platform.scores) == 1)  # the grade stored woke the passback: no round asked for
        (item,) = platform.line_items.values()
        assert item["resourceId"] == "toy" and item["scoreMaximum"] == 4.0  # created, keyed by the name
        score = platform.scores[-1]
        assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == ("u-a1", 4.0, 4.0)
        assert score["gradingProgress"] == "FullyGraded"
        assert lti.passback_once() == (0, 0) and len(platform.scores) == 1  # the same state is not posted again

        staff = {"Authorization": f"Bearer {tokens[PROF]}"}
        platform.fail_scores = 1
        override = browser.post("/api/assignments/toy/students/a1/overrides", headers=staff,
                                json={"task": "scaled", "score": 1, "comment": "see me"})
        assert override.status_code == 200, override.text
        signin = browser.get(f"/signin?token={tokens[PROF]}")
        assert signin.status_code == 303
        until(lambda: '<span class="badge failed">' in browser.get("/lti/staff").text)  # refused by the platform
        page = browser.get("/lti/staff")
        assert "503" in page.text and len(platform.scores) == 1
        assert lti.passback_once() == (0, 0)  # a failed post waits for its retry, or for staff
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        assert browser.post("/lti/staff/toy", data={"csrf": csrf, "action": "retry"}).status_code == 303
        deadline = time.monotonic() + 20  # the button wakes the passback, which posts at once
        while len(platform.scores) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert platform.scores[-1]["scoreGiven"] == override.json()["score"] < 4.0
        assert "posted" in browser.get("/lti/staff").text
        assert browser.delete("/api/assignments/toy/students/a1/overrides/scaled", headers=staff).status_code == 200
        until(lambda: len(platform.scores) == 3)
        assert platform.scores[-1]["scoreGiven"] == 4.0  # back to the automatic score
        assert lti.passback_once() == (0, 0) and len(platform.scores) == 3


@pytest.mark.parametrize("release, due, counting, released", [
    ("graded", None, True, True), ("graded", None, False, False),
    ("after_due", None, True, False), ("after_due", "2020-01-01T00:00:00+00:00", False, True),
    ("after_due", "2999-01-01T00:00:00+00:00", True, False), ("manual", None, True, False),
])
def test_the_release_policy_decides_when_a_score_is_posted(release, due, counting, released):
    from types import SimpleNamespace

    from autograder.lti.passback import Gradebook
    from autograder.policy import Policy

    policy = Policy(due=due and dt.datetime.fromisoformat(due), release=release)
    store = SimpleNamespace(released=lambda name: None)
    standing = SimpleNamespace(counting=object() if counting else None)
    now = dt.datetime(2026, 12, 7, tzinfo=dt.timezone.utc)
    assert Gradebook(None, store, None).released("toy", policy, standing, now) is released


# --- in a real browser ------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}


@pytest.mark.slow  # starts chromium
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_in_chromium_a_launch_in_the_lms_frame_opens_the_assignment_in_a_window_of_its_own(tmp_path):
    """The platform on localhost frames the tool on 127.0.0.1 (another site, as an LMS and a tool are)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    platform = Platform(host="localhost")
    platform.port, tool_port = free_port(), free_port()
    app, _ = make_tool(tmp_path, platform)
    platform.tool_url = f"http://127.0.0.1:{tool_port}"
    platform.tool_jwks_url = f"{platform.tool_url}/lti/jwks.json"
    platform.next_launch = {"user": A1, "custom": {"assignment": "toy"}}
    with serving(platform.app, platform.port), serving(app, tool_port), sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = chromium.new_page()
            page.goto(f"{platform.url}/course")
            frame = page.frame_locator("iframe[name=tool]")
            link = frame.get_by_role("link", name="Open Toy assignment in a new window")
            with page.expect_popup() as opened:
                link.click()
            window = opened.value
            window.wait_for_url(f"{platform.tool_url}/assignments/toy")
            assert "Signed in as a1" in window.locator("header").inner_text()
            # Opened as the whole page instead, the launch goes straight to the assignment.
            whole = chromium.new_page()
            whole.goto(f"{platform.url}/course?window")
            whole.wait_for_url(f"{platform.tool_url}/assignments/toy")
            assert "Signed in as a1" in whole.locator("header").inner_text()
            # Our LTI pages read well on a phone and pass axe-core (WCAG 2.1 AA), as the server's pages do.
            platform.next_launch = {"user": {"sub": "u-zed", "email": "zed@uni.edu"}}
            token = issue(app.state.service.store, {PROF: "staff"}, platform.tool_url)[0]["token"]
            for width in (1280, 390):
                stranger = chromium.new_page(viewport={"width": width, "height": 900})
                stranger.goto(f"{platform.url}/course?window")
                stranger.wait_for_url(f"{platform.tool_url}/lti/launch")
                assert "You are not on this course's list" in stranger.content()
                staff = chromium.new_page(viewport={"width": width, "height": 900})
                staff.goto(f"{platform.tool_url}/signin?token={token}")
                staff.goto(f"{platform.tool_url}/lti/staff?preview=1")
                assert "Apply to the roster" in staff.content()
                for page in (stranger, staff):
                    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px at {width} px"
                    found = axe.Axe().run(page, options=WCAG)
                    assert found.violations_count == 0, found.generate_report()
        finally:
            chromium.close()


def test_after_the_due_date_everyone_gets_a_score_except_a_student_with_an_extension(tmp_path, monkeypatch):
    """release = "after_due": once the due date has passed the platform gets every linked student's standing
    (0 without an attempt), but a student whose own due date is later waits for it; moving it posts."""
    monkeypatch.setattr(lti_routes, "PASSBACK_EVERY", 3600.0)
    platform = Platform()
    platform.port, tool_port = free_port(), free_port()
    tool = f"http://127.0.0.1:{tool_port}"
    platform.tool_jwks_url = f"{tool}/lti/jwks.json"
    rules = '[defaults]\nrelease = "after_due"\ndue = 2020-01-01T00:00:00Z\n'
    app, _ = make_tool(tmp_path, platform, policy=rules)
    staff = issue(app.state.service.store, {PROF: "staff"}, tool)[0]["token"]
    auth = {"Authorization": f"Bearer {staff}"}
    with serving(platform.app, platform.port), serving(app, tool_port), \
            httpx2.Client(base_url=tool, follow_redirects=False, timeout=20) as browser:
        for user in (A1, {"sub": "u-c3", "email": "c3@uni.edu"}):
            assert launch(platform, browser, user=user).status_code == 303
        later = {"due": "2999-01-01T00:00:00+00:00", "cutoff": None, "comment": "ill"}
        assert browser.put("/api/assignments/toy/students/c3/extension", headers=auth, json=later).status_code == 200
        lti = app.state.lti
        until(lambda: len(platform.scores) == 1)  # the extension woke the passback
        assert lti.passback_once() == (0, 0)
        assert [(s["userId"], s["scoreGiven"]) for s in platform.scores] == [("u-a1", 0.0)]
        past = {"due": "2020-06-01T00:00:00+00:00", "cutoff": None, "comment": "back"}
        assert browser.put("/api/assignments/toy/students/c3/extension", headers=auth, json=past).status_code == 200
        until(lambda: len(platform.scores) == 2)
        assert [(s["userId"], s["scoreGiven"]) for s in platform.scores] == [("u-a1", 0.0), ("u-c3", 0.0)]
