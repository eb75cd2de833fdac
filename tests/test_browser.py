"""A student report and the class summary, opened in headless Chromium with no network.

The pages must render with no console message (no failed resource, no script error), show
their content, fill a screenshot and print to PDF. Chromium comes from Debian's `chromium`
package, which `make test` installs when it can.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from PIL import Image, ImageOps

from autograder.batch import grade_class
from autograder.demo import load_mistakes
from autograder.roster import Roster

from conftest import SECRET, submission_of

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


def chromium(tmp_path, *args):
    """Chromium in a network namespace of its own: the pages must not need the network."""
    profile = tmp_path / "profile"
    command = ["bwrap", "--dev-bind", "/", "/", "--unshare-net", "--die-with-parent", CHROMIUM, *FLAGS,
               f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def pages(course, tmp_path_factory, sandbox):
    out = tmp_path_factory.mktemp("graded")
    folder = out / "subs"
    folder.mkdir()
    mistake = load_mistakes(course, "momentum_nag")[0]
    (folder / "m1.ipynb").write_bytes(submission_of(course, "momentum_nag", "m1", cells={mistake.task: mistake.source}))
    (folder / "m2.ipynb").write_bytes(submission_of(course, "momentum_nag", "m2"))
    roster = Roster(("student_id",), ({"student_id": "m1"}, {"student_id": "m2"}, {"student_id": "m3"}))
    grade_class(course, "momentum_nag", roster, folder, out / "reports", SECRET, jobs=1, sandbox=sandbox,
                say=lambda line: None)
    return {"report": out / "reports" / "m1" / "report.html", "summary": out / "reports" / "summary.html"}


@pytest.mark.parametrize("page, expected", [
    ("report", ["m1", "momentum", "Known mistake"]),
    ("summary", ["momentum_nag", "m1", "m3"]),
])
def test_page_renders_without_errors_and_shows_its_content(pages, tmp_path, page, expected):
    done = chromium(tmp_path, "--dump-dom", pages[page].as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert "CONSOLE" not in done.stderr and "ERR_" not in done.stderr, done.stderr[-2000:]
    for text in expected:
        assert text in done.stdout
    assert done.stdout.count("<svg ") >= 1


@pytest.mark.parametrize("page", ["report", "summary"])
def test_page_screenshots_and_prints(pages, tmp_path, page):
    shot, pdf = tmp_path / "page.png", tmp_path / "page.pdf"
    assert chromium(tmp_path, f"--screenshot={shot}", "--window-size=1100,1600", pages[page].as_uri()).returncode == 0
    with Image.open(shot) as image:
        assert image.size == (1100, 1600)
        ink = ImageOps.invert(image.convert("L")).point(lambda v: 255 if v > 128 else 0)  # dark pixels: text, lines
        box = ink.getbbox()
    # Text from the top of the window to its bottom: the page was drawn and fills the screen.
    assert box is not None and box[1] < 100 and box[3] > 1500
    assert chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", pages[page].as_uri()).returncode == 0
    data = pdf.read_bytes()
    pages_printed = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF") and pages_printed >= 1
