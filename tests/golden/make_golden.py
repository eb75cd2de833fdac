"""Writes the golden submissions and the report.json each one gets (run from the repository root).

Run it only when a change of report.json is intended: `tests/test_golden.py` checks that
grading these submissions gives exactly these bytes. The submissions are kept as files,
so that a change of a notebook template does not change what is graded here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from autograder.course import Course  # noqa: E402
from autograder.demo import load_mistakes  # noqa: E402
from autograder.render.reports import report_json  # noqa: E402
from autograder.sandbox import choose_sandbox  # noqa: E402
from conftest import grade_report, submission_of  # noqa: E402


def cases(toy: Course, course: Course) -> dict[str, tuple[Course, str, str, bytes | None]]:
    """name → (course, assignment, student, submitted bytes or None)."""
    mistakes = {m.slug: m for a in ("critical_points", "momentum_nag") for m in load_mistakes(course, a)}
    sign, aliased = mistakes["escape_sign"], mistakes["aliased_rows"]
    return {
        "toy-correct": (toy, "toy", "s1", submission_of(toy, "toy", "s1")),
        "toy-stub": (toy, "toy", "s2", submission_of(toy, "toy", "s2", solutions=False)),
        "toy-unscaled": (toy, "toy", "s3", submission_of(
            toy, "toy", "s3", cells={"scaled": "def scaled(x):\n    return np.asarray(x, dtype=float)"})),
        "toy-foreign": (toy, "toy", "s4", submission_of(toy, "toy", "s4", owner="s1")),
        "toy-broken": (toy, "toy", "s5", b'{"cells": [ this is not json'),
        "toy-missing": (toy, "toy", "s6", None),
        "critical_points-escape_sign": (course, "critical_points", "s7", submission_of(
            course, "critical_points", "s7", cells={sign.task: sign.source})),
        "momentum_nag-aliased_rows": (course, "momentum_nag", "s8", submission_of(
            course, "momentum_nag", "s8", cells={aliased.task: aliased.source})),
    }


def main() -> None:
    toy, course = Course(ROOT / "tests" / "fixtures" / "toy_course"), Course(ROOT)
    sandbox = choose_sandbox()[0]
    for name, (where, assignment, student, data) in cases(toy, course).items():
        submitted = HERE / f"{name}.ipynb"
        if data is not None and submitted.exists():
            data = submitted.read_bytes()  # the same submission, graded by the changed grader
        elif data is not None:
            submitted.write_bytes(data)
        report = grade_report(where, assignment, student, data, sandbox)
        (HERE / f"{name}.json").write_text(report_json(report), encoding="utf-8")
    print(json.dumps(sorted(p.name for p in HERE.glob("*.json"))))


if __name__ == "__main__":
    main()
