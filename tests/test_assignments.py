"""Both real assignments through the real pipeline: generate, sandbox, checks, report.

Slow by nature (every case runs student code in the sandbox), so marked `slow`; `make
test` runs them all the same.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograder.course import Course
from autograder.demo import load_mistakes
from autograder.variants import Variant

from conftest import ASSIGNMENTS, ROOT, SECRET, grade_bytes, submission_of, task_scores

pytestmark = pytest.mark.slow

STUDENTS = [f"u{n:05d}" for n in np.random.default_rng(20261126).choice(100_000, size=30, replace=False)]
MISTAKES = [(a, m) for a in ASSIGNMENTS for m in load_mistakes(Course(ROOT), a)]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_gets_full_marks_and_stub_zero_for_30_students(course, sandbox, assignment):
    for student in STUDENTS:
        full = grade_bytes(course, assignment, student, submission_of(course, assignment, student), sandbox)
        failed = [c["message"] for t in full["tasks"] for c in t["checks"] if not c["passed"]]
        assert failed == [] and full["score"] == pytest.approx(full["max_score"]), (student, failed)
        assert full["cell_errors"] == [] and full["warnings"] == []
        stub = grade_bytes(course, assignment, student,
                           submission_of(course, assignment, student, solutions=False), sandbox)
        assert stub["score"] == 0, student
        assert all("NotImplementedError" in c["message"] for t in stub["tasks"] for c in t["checks"])


def test_there_are_at_least_ten_named_mistakes_per_assignment():
    for assignment in ASSIGNMENTS:
        assert len({m.name for a, m in MISTAKES if a == assignment}) >= 10


@pytest.mark.parametrize("assignment, mistake", MISTAKES, ids=[f"{a}:{m.slug}" for a, m in MISTAKES])
def test_each_known_mistake_costs_only_its_own_task_and_is_named(course, sandbox, assignment, mistake):
    student = STUDENTS[sum(mistake.slug.encode()) % 7]
    data = submission_of(course, assignment, student, cells={mistake.task: mistake.source})
    report = grade_bytes(course, assignment, student, data, sandbox)
    maxima = {t["name"]: t["max_score"] for t in report["tasks"]}
    scores = task_scores(report)
    assert scores[mistake.task] < maxima[mistake.task]
    assert {t: s for t, s in scores.items() if t != mistake.task} == \
        {t: m for t, m in maxima.items() if t != mistake.task}
    task = next(t for t in report["tasks"] if t["name"] == mistake.task)
    # Named in the check's record, which the report shows as "Known mistake: …" beside the message.
    assert [c for c in task["checks"] if c["mistake"] == mistake.name]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_same_submission_gives_a_byte_identical_report(course, sandbox, assignment):
    mistake = next(m for a, m in MISTAKES if a == assignment)
    data = submission_of(course, assignment, STUDENTS[0], cells={mistake.task: mistake.source})
    one, two = (json.dumps(grade_bytes(course, assignment, STUDENTS[0], data, sandbox), sort_keys=True)
                for _ in range(2))
    assert one == two


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_notebook_of_another_student_is_graded_against_the_submitter_and_flagged(course, sandbox, assignment):
    a, b = STUDENTS[0], STUDENTS[1]
    report = grade_bytes(course, assignment, b, submission_of(course, assignment, b, owner=a), sandbox)
    assert report["variant"] == Variant.derive(SECRET, assignment, b).fingerprint  # the submitter's, not the owner's
    assert any(f"generated for student {a}, not for {b}" in w for w in report["warnings"])
    assert report["score"] == pytest.approx(report["max_score"])  # the reference is right for any variant


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_hidden_inputs_are_drawn_afresh_for_each_attempt_and_the_same_for_the_same_one(course, name):
    """On the course server an attempt's hidden inputs come from its content (the salt), so collecting
    them over attempts gains nothing; without a salt (`grade`) they are the student's own stream."""
    from dataclasses import replace

    from autograder import wire

    assignment = course.assignment(name)
    context = course.context(assignment, Variant.derive(SECRET, name, "s1"))

    def inputs(salt: str) -> dict[str, list[bytes]]:
        checks = assignment.checks(replace(context, salt=salt))
        return {kind: [wire.body({"args": wire.encode(list(c.args))}) for check in checks
                       if (check.visibility == "hidden") == (kind == "hidden") for c in check.calls]
                for kind in ("hidden", "visible")}

    first, again, other = inputs("attempt-1"), inputs("attempt-1"), inputs("attempt-2")
    assert first == again
    if first["hidden"]:
        changed = sum(a != b for a, b in zip(first["hidden"], other["hidden"]))
        assert changed > len(first["hidden"]) // 2, "most hidden inputs change between attempts"
    else:  # nothing hidden: every case is shown, and stays the same from one attempt to the next
        assert first == other == inputs("")
