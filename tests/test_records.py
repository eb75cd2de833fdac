"""The records of a grade: their JSON form, read back whole, and staff overrides on a report."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, strategies as st

from autograder.records import (CellError, CheckResult, Job, Override, Report, Submission, SubmittedFile, TaskResult)
from autograder.render.reports import report_json

text = st.text(max_size=20)
points = st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda x: round(x, 6))
plain_values = st.recursive(st.none() | st.booleans() | st.integers() | points | text,
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                            max_leaves=8)


@st.composite
def tasks(draw):
    name = draw(text)
    checks = draw(st.lists(st.builds(CheckResult, task=st.just(name), name=text, passed=st.booleans(), score=points,
                                     max_score=points, visibility=st.sampled_from(["visible", "hidden"]),
                                     message=text, mistake=st.none() | text,
                                     details=st.dictionaries(text, plain_values, max_size=3),
                                     figure=st.none() | st.dictionaries(text, plain_values, max_size=3)),
                           max_size=3))
    override = draw(st.none() | st.builds(Override, task=st.just(name), score=points, comment=text, by=text, at=text,
                                          automatic_score=points))
    return TaskResult(name, draw(text), draw(points), draw(points), tuple(checks), override)


reports = st.builds(
    Report, student_id=text, assignment=text, title=text, status=st.sampled_from(["graded", "ungradable"]),
    reason=st.none() | text, submitted=st.booleans(), score=points, max_score=points,
    sandbox=st.sampled_from(["bwrap", "rlimit-only"]), variant=text, grader_version=text,
    submission=st.none() | st.builds(SubmittedFile, text, text),
    cell_errors=st.lists(st.builds(CellError, text, text), max_size=2).map(tuple),
    tasks=st.lists(tasks(), max_size=3).map(tuple), warnings=st.lists(text, max_size=2).map(tuple),
    late=st.booleans(), submitted_at=st.none() | text, class_warnings=st.lists(text, max_size=2).map(tuple))


@given(reports)
def test_every_report_reads_back_from_its_json_whole(report):
    data = json.loads(report_json(report))
    assert Report.from_json(data) == report
    assert ("late" in data) == report.late
    assert ("submitted_at" in data) == (report.submitted_at is not None)
    assert ("class_warnings" in data) == bool(report.class_warnings)
    assert all(("override" in t) == (task.override is not None) for t, task in zip(data["tasks"], report.tasks))


@given(reports)
def test_a_job_reads_back_from_its_json_whole(report):
    job = Job("17", report.student_id, report.assignment, "graded", "2026-11-27T10:00:00+00:00", report.score,
              report.max_score, report)
    assert Job.from_json(json.loads(json.dumps(job.to_json()))) == job
    assert set(job.to_json()) == {"id", "student_id", "assignment", "status", "received_at", "score", "max_score",
                                  "report"}


def test_a_queued_job_has_no_score_yet_and_a_status_is_one_of_four():
    assert Job("1", "s1", "toy", "queued", "2026-11-27T10:00:00+00:00").to_json()["report"] is None
    with pytest.raises(ValueError, match="queued, running, graded, ungradable"):
        Job("1", "s1", "toy", "done", "2026-11-27T10:00:00+00:00")


def test_a_submission_keeps_its_hash_in_a_report_and_its_bytes_in_transport():
    sub = Submission("s1.ipynb", b"{}", submitted_at="2026-11-27T10:00:00+00:00", late=True)
    assert sub.to_json() == {"file": "s1.ipynb", "sha256": sub.sha256} == sub.submitted_file.to_json()
    assert Submission.from_json(json.loads(json.dumps(sub.to_json(with_data=True)))) == sub
    with pytest.raises(ValueError, match="without its bytes"):
        Submission.from_json(sub.to_json())
    with pytest.raises(ValueError, match="do not match"):
        Submission.from_json({**sub.to_json(with_data=True), "sha256": "0" * 64})


def test_records_hold_plain_data_only():
    check = CheckResult("t", "c", False, 0.0, 1.0, "visible", "m",
                        details={"got": np.float64(1.5)}, figure={"points": np.array([[np.nan, np.inf]])})
    assert check.details == {"got": 1.5} and check.figure == {"points": [["nan", "inf"]]}
    assert type(check.details["got"]) is float


# --- overrides ------------------------------------------------------------------------

def graded(**changes) -> Report:
    tasks = (TaskResult("a", "first", 1.5, 3.0, (CheckResult("a", "c1", False, 0.0, 1.5, "visible", "no"),)),
             TaskResult("b", "second", 1.0, 1.0))
    fields = dict(student_id="s1", assignment="toy", title="Toy", status="graded", reason=None, submitted=True,
                  score=2.5, max_score=4.0, sandbox="bwrap", variant="v", grader_version="0.1.0",
                  submission=SubmittedFile("s1.ipynb", "ab" * 32), tasks=tasks)
    return Report(**{**fields, **changes})


def override(task: str, score: float, comment: str = "partial credit for the idea") -> Override:
    return Override(task, score, comment, by="ta1", at="2026-11-27T10:00:00+00:00")


def test_an_override_replaces_the_task_score_and_the_total_keeps_the_automatic_one_beside_it():
    corrected = graded().with_overrides([override("a", 2.0 / 3.0)])
    assert corrected.score == round(2.0 / 3.0 + 1.0, 6) == 1.666667
    task = corrected.to_json()["tasks"][0]
    assert task["score"] == 0.666667
    assert task["override"] == {"score": 2.0 / 3.0, "comment": "partial credit for the idea", "by": "ta1",
                                "at": "2026-11-27T10:00:00+00:00", "automatic_score": 1.5}
    assert "override" not in corrected.to_json()["tasks"][1]


def test_overrides_describe_the_whole_correction_so_they_apply_again_to_a_corrected_report():
    once = graded().with_overrides([override("a", 3.0)])
    again = once.with_overrides([override("a", 0.5)])
    assert again.task("a").score == 0.5 and again.task("a").override.automatic_score == 1.5
    assert once.with_overrides([]) == graded()  # deleted: the automatic score counts again


def test_without_overrides_the_report_is_the_same_bytes():
    report = graded()
    assert report_json(report.with_overrides([])) == report_json(report)
    assert report_json(report.with_overrides([override("nope", 1.0)])) == report_json(report)


def test_the_last_override_of_a_task_counts():
    assert graded().with_overrides([override("b", 0.0), override("b", 0.25)]).task("b").score == 0.25


def test_an_override_sets_a_task_score_of_an_ungradable_report_too():
    ungradable = graded(status="ungradable", reason="not JSON", score=0.0,
                        tasks=(TaskResult("a", "first", 0.0, 3.0), TaskResult("b", "second", 0.0, 1.0)))
    corrected = ungradable.with_overrides([override("a", 2.0)])
    assert corrected.status == "ungradable" and corrected.score == 2.0
    assert corrected.to_json()["tasks"][0]["override"]["automatic_score"] == 0.0


def test_a_regraded_report_shows_each_override_to_the_student():
    from autograder.render.reports import render_report_html

    html = render_report_html(graded().with_overrides([override("a", 2.0, comment="<b>see me</b>")]))
    assert "Scores set by the course staff" in html and "set by the course staff" in html
    assert "2 / 3 points instead of the automatic 1.5: &lt;b&gt;see me&lt;/b&gt;" in html
    assert "Scores set by the course staff" not in render_report_html(graded())


def test_a_late_submission_is_said_in_the_json_and_on_the_page():
    from autograder.render.reports import render_report_html

    assert graded(late=True).to_json()["late"] is True and "late" not in graded().to_json()
    assert "<dt>Handed in</dt><dd>late</dd>" in render_report_html(graded(late=True))


def test_the_submission_time_is_said_in_the_json_and_on_the_page_only_when_known():
    from autograder.render.reports import render_report_html

    timed = graded(submitted_at="2025-03-15T09:00:00")
    assert timed.to_json()["submitted_at"] == "2025-03-15T09:00:00" and "submitted_at" not in graded().to_json()
    assert "<dt>Submitted at</dt><dd>2025-03-15T09:00:00</dd>" in render_report_html(timed)
    assert "Submitted at" not in render_report_html(graded())


def test_class_warnings_of_a_new_run_replace_those_of_the_last_and_keep_the_own():
    own = graded(warnings=("An edited locked cell.",))
    first = own.with_class_warnings(["Much of your code (90%) matches student s002's."])
    assert first.warnings == ("An edited locked cell.", "Much of your code (90%) matches student s002's.")
    again = first.with_class_warnings(["Much of your code (90%) matches student s002's."])
    assert again is first
    second = first.with_class_warnings(["Student s003's submission computes with your constants (X)."])
    assert second.warnings == ("An edited locked cell.", "Student s003's submission computes with your constants (X).")
    assert first.with_class_warnings([]) == own and report_json(first.with_class_warnings([])) == report_json(own)
