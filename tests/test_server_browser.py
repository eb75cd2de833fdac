"""A student and a TA click through the real server in headless Chromium (Debian's, driven by Playwright).

The student signs in from their link, downloads nothing by hand, uploads through the form,
watches the live status and reads the report; the TA sets an override with a comment; the
student then sees it, marked as set by the course staff. No page may log a console error
(a Content-Security-Policy violation would), and screenshots of every page are kept in
the test's folder for people to look at.
"""

from __future__ import annotations

import shutil

import pytest

from conftest import ROOT, submission_of
from serverkit import free_port, live_server, tokens, write_people

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")]


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


def test_student_uploads_and_reads_the_report_then_sees_the_staff_override(tmp_path, course, browser):
    folder = tmp_path / "course"
    folder.mkdir()
    for part in ("assignments", "solutions", "templates"):
        (folder / part).symlink_to(ROOT / part)
    roster, staff = write_people(tmp_path, ["s1", "s2"])
    data, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    links = tokens(data, roster, staff, base)
    notebook = tmp_path / "critical_points.ipynb"
    # The student's own notebook with one mistake: forward differences in numerical_gradient.
    notebook.write_bytes(submission_of(course, "critical_points", "s1", cells={"numerical_gradient": (
        "import numpy as np\n"
        "def numerical_gradient(f, theta, h=1e-5):\n"
        "    theta = np.asarray(theta, dtype=float)\n"
        "    g = np.zeros_like(theta)\n"
        "    for i in range(theta.size):\n"
        "        e = np.zeros_like(theta); e[i] = h\n"
        "        g[i] = (f(theta + e) - f(theta)) / h\n"
        "    return g\n")}))
    shots = tmp_path / "screenshots"
    shots.mkdir()
    errors = []
    with live_server(folder, roster, staff, data, port, "--jobs", "2"):
        student = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        student.on("console", lambda m: errors.append(f"student: {m.text}") if m.type == "error" else None)
        student.goto(f"{base}/signin?token={links['s1']}")
        assert student.url == f"{base}/"
        student.screenshot(path=shots / "student-home.png", full_page=True)
        student.click("a.button.primary")
        student.set_input_files("input[type=file]", notebook)
        student.screenshot(path=shots / "student-assignment.png", full_page=True)
        student.click("button:has-text('Upload and grade')")
        student.wait_for_selector("text=Grading report", timeout=120_000)
        assert "/submissions/" in student.url
        text = student.inner_text("body")
        assert "numerical_gradient" in text and "forward" in text.lower()
        student.screenshot(path=shots / "student-report.png", full_page=True)
        report_url = student.url

        staff_page = browser.new_context(viewport={"width": 1300, "height": 900}).new_page()
        staff_page.on("console", lambda m: errors.append(f"staff: {m.text}") if m.type == "error" else None)
        staff_page.goto(f"{base}/signin?token={links['ta']}")
        staff_page.goto(f"{base}/staff/critical_points?sort=score&order=desc")
        assert "s1" in staff_page.inner_text("table")
        staff_page.screenshot(path=shots / "staff-class.png", full_page=True)
        staff_page.click("text=s1")
        staff_page.select_option("#task", "numerical_gradient")
        staff_page.fill("#score", "2.5")
        staff_page.fill("#comment", "Forward differences, but well explained: half a point back.")
        staff_page.click("button:has-text('Set score')")
        assert "Forward differences, but well explained" in staff_page.inner_text("table")
        staff_page.screenshot(path=shots / "staff-student.png", full_page=True)
        staff_page.goto(f"{base}/staff/critical_points/summary")
        staff_page.screenshot(path=shots / "staff-summary.png")
        staff_page.goto(f"{base}/staff/critical_points/regrade")
        staff_page.click("button:has-text('Regrade and preview')")
        staff_page.wait_for_selector("text=Apply the new grades", timeout=120_000)
        assert "0 students would get a different grade" in staff_page.inner_text("main")
        staff_page.screenshot(path=shots / "staff-regrade.png", full_page=True)

        student.goto(report_url)
        body = student.inner_text("body")
        assert "Score set by the course staff" in body and "half a point back" in body
        student.screenshot(path=shots / "student-report-override.png", full_page=True)
    assert errors == []
    print(f"\nscreenshots: {shots}")
