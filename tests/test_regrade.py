"""What a regrade would change, compared report by report (the server's preview; grade --dry-run)."""

from __future__ import annotations

from autograder.records import CheckResult, Report, TaskResult
from autograder.regrade import compare, compare_class, preview_csv


def report(sid, scores, passed=True, status="graded"):
    tasks = tuple(TaskResult(t, "", s, 4.0, (CheckResult(t, f"{t} check", passed, s, 4.0, "visible", ""),))
                  for t, s in scores.items())
    return Report(sid, "toy", "Toy", status, None, True, float(sum(scores.values())), 8.0, "bwrap", "v", "0",
                  None, tasks=tasks)


def test_an_unchanged_report_is_no_change():
    assert compare(report("a", {"x": 1.0, "y": 2.0}), report("a", {"x": 1.0, "y": 2.0})) is None


def test_a_change_names_the_tasks_their_scores_and_the_checks_that_flipped():
    change = compare(report("a", {"x": 1.0, "y": 2.0}, passed=False), report("a", {"x": 3.0, "y": 2.0}, passed=True))
    assert (change.old_score, change.new_score, change.delta) == (3.0, 5.0, 2.0)
    assert [(t.task, t.old, t.new) for t in change.tasks] == [("x", 1.0, 3.0), ("y", 2.0, 2.0)]
    assert change.tasks[0].checks == ("x check: failed → passed",)


def test_a_status_change_alone_is_a_change_and_a_first_grade_has_no_old_one():
    assert compare(report("a", {"x": 0.0}, status="ungradable"), report("a", {"x": 0.0})).new_status == "graded"
    assert compare(None, report("a", {"x": 1.0})).old_status == "none"


def test_the_class_preview_lists_losses_first_and_writes_a_csv():
    old = {"a": report("a", {"x": 2.0}), "b": report("b", {"x": 1.0}), "c": report("c", {"x": 1.0})}
    new = {"a": report("a", {"x": 1.0}), "b": report("b", {"x": 2.0}), "c": report("c", {"x": 1.0})}
    changes = compare_class(old, new)
    assert [c.student_id for c in changes] == ["a", "b"]
    lines = preview_csv(changes, ["x"]).splitlines()
    assert lines[0] == "student_id,old_score,new_score,x old,x new,changed_checks"
    assert lines[1] == "a,2,1,2,1,"
