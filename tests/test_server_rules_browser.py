"""A student's and a TA's semester through the pages, in real Chromium (Debian's, driven by Playwright).

Every page is opened at 1280 px and at 390 px (a phone): none may scroll sideways, none may log
a console error, and axe-core finds no WCAG 2.1 A/AA violation on it. Screenshots of every
page at both widths are kept in the test's folder for people to look at.
"""

from __future__ import annotations

import shutil

import pytest

from autograder.course import Course

from conftest import submission_of
from serverkit import free_port, live_server, tokens, toy_with_a_hidden_check, write_people

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api")
axe = pytest.importorskip("axe_playwright_python.sync_playwright")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")]

WIDTHS = {"wide": 1280, "phone": 390}
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}
WRONG_SCALED = "def scaled(x):\n    return x\n"


class Visitor:
    """One person's browser at both widths; `look(path, name)` checks and photographs a page."""

    def __init__(self, browser, base: str, link: str, shots, errors: list):
        self.base, self.shots, self.errors = base, shots, errors
        self.pages = {}
        for label, width in WIDTHS.items():
            page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
            page.on("console", lambda m, l=label: errors.append(f"{l}: {m.text}") if m.type == "error" else None)
            if link:
                page.goto(f"{base}/signin?token={link}")
            self.pages[label] = page
        self.page = self.pages["wide"]
        self.axe = axe.Axe()

    def look(self, path: str | None, name: str) -> None:
        for label, page in self.pages.items():
            if path is not None:
                page.goto(self.base + path)
            elif label != "wide":
                page.goto(self.page.url)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at {WIDTHS[label]} px"
            page.screenshot(path=self.shots / f"{name}-{label}.png", full_page=True)
            if label == "wide":
                found = self.axe.run(page, options=WCAG)
                assert found.violations_count == 0, f"{name}: {found.generate_report()}"


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


def test_a_semester_through_the_pages_at_1280_and_390_px(tmp_path, browser):
    folder = toy_with_a_hidden_check(tmp_path / "course")
    course = Course(folder)
    roster, staff = write_people(tmp_path, ["s1", "s2"])
    roster.write_text("student_id,name\ns1,Ada Lovelace\ns2,Alan Turing\n")
    data, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    links = tokens(data, roster, staff, base)
    wrong = tmp_path / "toy.ipynb"
    wrong.write_bytes(submission_of(course, "toy", "s1", cells={"scaled": WRONG_SCALED}))
    script = tmp_path / "toy.py"
    script.write_text("import numpy as np\n")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    errors: list[str] = []
    with live_server(folder, roster, staff, data, port, "--jobs", "1"):
        ada = Visitor(browser, base, links["s1"], shots, errors)
        ada.look("/", "student-home")
        ada.look("/assignments/toy", "student-assignment")
        # A wrong file: refused with what to upload instead, and opening that answer's address again is no 405.
        ada.page.set_input_files("input[type=file]", script)
        ada.page.click("button:has-text('Upload and grade')")
        assert "Python script" in ada.page.inner_text("main") and "Not accepted" in ada.page.inner_text("main")
        ada.look(None, "student-refused")
        assert ada.page.goto(ada.page.url).status == 200 and ada.page.url.endswith("/assignments/toy")
        ada.page.set_input_files("input[type=file]", wrong)
        ada.page.click("button:has-text('Upload and grade')")
        ada.page.wait_for_selector("text=Grading report", timeout=120_000)
        report = ada.page.url.removeprefix(base)
        main = ada.page.inner_text("main")
        # What failed comes first; the passed checks are folded away; the mistake is named once.
        assert main.index("failed") < main.index("passed check")
        assert main.count("Known mistake: the unscaled input") == 1
        assert ada.page.locator("details.passed").count() == 1 and ada.page.locator("details.passed[open]").count() == 0
        assert "This hidden check failed" in main \
            and "x = " not in ada.page.locator("li.check:has-text('hidden check')").first.inner_text()
        ada.page.click("text=Go to the first failed check")
        ada.look(report, "student-report")
        ada.page.click("summary:has-text('Ask the course staff to look at scaled')")
        ada.page.fill("textarea[name=message]", "I think only the scaling is missing.")
        ada.page.click("button:has-text('Send')")
        assert "Waiting for an answer" in ada.page.inner_text("main")

        ta = Visitor(browser, base, links["ta"], shots, errors)
        ta.look("/staff/toy", "staff-class")
        assert "Ada Lovelace" in ta.page.inner_text("table") and "1 open review request" in ta.page.inner_text("main")
        ta.page.fill("#q", "turing")
        ta.page.click("button:has-text('Search')")
        assert "Alan Turing" in ta.page.inner_text("table") and "Ada Lovelace" not in ta.page.inner_text("table")
        ta.look(None, "staff-class-search")
        ta.page.goto(f"{base}/staff/toy/students/s1")
        ta.page.fill("textarea[name=comment][id^=answer]", "Yes: half of the points back.")
        ta.page.fill("input[name=score][id^=score-]", "1.5")
        ta.page.click("button:has-text('Answer')")
        ta.page.fill("#score", "99")
        ta.page.fill("#comment", "typed with care")
        ta.page.click("button:has-text('Set score')")
        # A refused override keeps what was typed.
        assert ta.page.input_value("#comment") == "typed with care" and ta.page.input_value("#score") == "99"
        ta.page.fill("#due", "2099-01-31T23:59")
        ta.page.fill("#ext-comment", "exchange term")
        ta.page.click("button:has-text('Grant')")
        ta.look(None, "staff-student")
        body = ta.page.inner_text("main")
        assert "exchange term" in body and "review answered" in body and "extension" in body
        ta.page.click("summary:has-text('delete…')")
        ta.page.click("button:has-text('Delete the score set for scaled')")
        assert "Delete the score set for scaled" not in ta.page.inner_text("main")
        ta.look("/staff/toy/summary", "staff-summary")
        ta.look("/staff/toy/regrade", "staff-regrade")

        ada.look(report, "student-report-answered")
        assert "half of the points back" in ada.page.inner_text("main")
        ada.look("/assignments/toy", "student-history")
        assert "exchange term" in ada.page.inner_text("main")
        ada.look("/assignments/nothing", "error-404")

        stranger = Visitor(browser, base, "", shots, errors)
        stranger.look("/assignments/toy", "error-401")
        assert "Bearer" not in stranger.page.inner_text("body")
        stranger.page.fill("#token", links["s2"])
        stranger.page.click("button:has-text('Sign in')")
        assert stranger.page.url == f"{base}/assignments/toy"
    # Refusals (401, 404, 400, 422) are answers the test asked for; anything else (a CSP violation) is not.
    assert [e for e in errors if "the server responded with a status of 4" not in e] == []
    print(f"\nscreenshots: {shots}")
