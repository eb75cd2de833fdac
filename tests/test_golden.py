"""report.json, pinned: the submissions in tests/golden/ graded by the grader of the day give
exactly the bytes stored beside them (written by tests/golden/make_golden.py), and every
stored report read into its record and written again gives the same bytes."""

from __future__ import annotations

import json

import pytest

from autograder.course import Course
from autograder.records import Report
from autograder.render.reports import report_json

from conftest import ROOT, grade_report

GOLDEN = ROOT / "tests" / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.json"))


def test_there_are_golden_reports_of_every_kind():
    states = {Report.from_json(json.loads((GOLDEN / f"{c}.json").read_text())).state for c in CASES}
    assert states == {"graded", "ungradable", "missing"} and len(CASES) >= 8


@pytest.mark.parametrize("case", CASES)
def test_a_report_read_and_written_again_gives_the_same_bytes(case):
    text = (GOLDEN / f"{case}.json").read_text(encoding="utf-8")
    assert report_json(Report.from_json(json.loads(text))) == text


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_grading_the_golden_submission_gives_the_golden_report(case, sandbox):
    expected = json.loads((GOLDEN / f"{case}.json").read_text(encoding="utf-8"))
    # Which isolation graded it is a fact of the machine, not of the grader.
    expected["sandbox"] = sandbox
    course = Course(ROOT / "tests" / "fixtures" / "toy_course") if expected["assignment"] == "toy" else Course(ROOT)
    submitted = GOLDEN / f"{case}.ipynb"
    report = grade_report(course, expected["assignment"], expected["student_id"],
                          submitted.read_bytes() if submitted.exists() else None, sandbox)
    assert report_json(report) == json.dumps(expected, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
