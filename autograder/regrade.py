"""Whose score a regrade would change: old and new reports compared, student by student.

Pure data in, rows out: the CLI's `grade --dry-run` writes them as regrade-preview.csv, so
that a TA checks a grader fix before any student sees it. A student counts when their
total or any task's score would change; each row names the checks whose outcome changed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from . import csvfile
from .gradebook import _num as number
from .records import Report


@dataclass(frozen=True)
class Change:
    student_id: str
    old_score: float | None  # None: never graded before
    new_score: float
    tasks: dict[str, tuple[float | None, float | None]]  # task → (old, new)
    checks: list[str]  # "task: check (passed → failed)", one per check whose outcome changed


def compare(old: list[Report], new: list[Report]) -> list[Change]:
    """The students of `new` whose score differs from their report in `old`, in `new`'s order."""
    before = {r.student_id: r for r in old}
    changes = []
    for report in new:
        previous = before.get(report.student_id)
        old_tasks = {} if previous is None else previous.task_scores()
        new_tasks = report.task_scores()
        old_score = None if previous is None else previous.score
        if old_score == report.score and old_tasks == new_tasks:
            continue
        names = list(new_tasks) + [t for t in old_tasks if t not in new_tasks]
        changes.append(Change(report.student_id, old_score, report.score,
                              {t: (old_tasks.get(t), new_tasks.get(t)) for t in names},
                              _changed_checks(previous, report)))
    return changes


def preview_csv(changes: list[Change], task_names: list[str]) -> str:
    """student_id, old_score, new_score, "<task> old", "<task> new" per task, changed_checks."""
    out = io.StringIO()
    writer = csvfile.Writer(out)
    writer.writerow(["student_id", "old_score", "new_score",
                     *(f"{task} {side}" for task in task_names for side in ("old", "new")), "changed_checks"])
    for change in changes:
        writer.writerow([change.student_id, _num(change.old_score), _num(change.new_score),
                         *(_num(change.tasks.get(task, (None, None))[i]) for task in task_names for i in (0, 1)),
                         "; ".join(change.checks)])
    return out.getvalue()


def describe(change: Change) -> str:
    """One line for the terminal."""
    tasks = ", ".join(f"{t} {_num(a) or '–'} → {_num(b) or '–'}" for t, (a, b) in change.tasks.items() if a != b)
    return f"{change.student_id}: {_num(change.old_score) or '–'} → {_num(change.new_score)}" + \
        (f" ({tasks})" if tasks else "")


def _changed_checks(old: Report | None, new: Report) -> list[str]:
    def outcomes(report):
        return {} if report is None else {(c.task, c.name): c.passed for c in report.checks()}

    word = {True: "passed", False: "failed", None: "absent"}
    before, after = outcomes(old), outcomes(new)
    keys = list(after) + [k for k in before if k not in after]
    return [f"{task}: {check} ({word[before.get((task, check))]} → {word[after.get((task, check))]})"
            for task, check in keys if before.get((task, check)) != after.get((task, check))]


def _num(x: float | None) -> str:
    return "" if x is None else number(x)
