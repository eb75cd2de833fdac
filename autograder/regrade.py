"""What a regrade would change: old and new reports side by side, before anything is replaced.

Used by the course server's regrade preview and by the CLI's `grade --dry-run`: whose score
changes, the old and new score of each task, and which checks turned from passed to failed
or back, so that staff can see what a grader change does to the class before applying it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from .gradebook import _num
from .records import Report, TaskResult

EPSILON = 1e-9


@dataclass(frozen=True)
class TaskChange:
    task: str
    old: float
    new: float
    checks: tuple[str, ...]  # "name: passed → failed", for each check whose verdict changed


@dataclass(frozen=True)
class Change:
    student_id: str
    old_score: float
    new_score: float
    old_status: str
    new_status: str
    tasks: tuple[TaskChange, ...]

    @property
    def delta(self) -> float:
        return self.new_score - self.old_score


def compare(old: Report | None, new: Report) -> Change | None:
    """The change from one student's old report to the new one, or None when the score, status
    and every check's verdict stay the same. A student graded for the first time has no old report."""
    old_tasks = _by_name(old)
    new_tasks = _by_name(new)
    tasks = []
    for name in [*new_tasks, *(n for n in old_tasks if n not in new_tasks)]:
        before, after = old_tasks.get(name), new_tasks.get(name)
        flips = _check_flips(before, after)
        old_score = before.score if before else 0.0
        new_score = after.score if after else 0.0
        if flips or abs(old_score - new_score) > EPSILON:
            tasks.append(TaskChange(name, old_score, new_score, tuple(flips)))
    old_score = old.score if old else 0.0
    old_status = old.status if old else "none"
    if not tasks and abs(old_score - new.score) <= EPSILON and old_status == new.status:
        return None
    return Change(new.student_id, old_score, new.score, old_status, new.status, tuple(tasks))


def compare_class(old: dict[str, Report], new: dict[str, Report]) -> list[Change]:
    """Every student whose grade changes, the largest losses first (the ones to look at)."""
    changes = [c for sid in sorted(new) if (c := compare(old.get(sid), new[sid])) is not None]
    return sorted(changes, key=lambda c: (c.delta, c.student_id))


def preview_csv(changes: list[Change], task_names: list[str]) -> str:
    """regrade-preview.csv: one row per student whose score would change, old and new per task."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student_id", "old_score", "new_score",
                     *(f"{t} {side}" for t in task_names for side in ("old", "new")), "changed_checks"])
    for change in changes:
        by_task = {t.task: t for t in change.tasks}
        cells = []
        for name in task_names:
            task = by_task.get(name)
            cells += ["", ""] if task is None else [_num(task.old), _num(task.new)]
        flips = "; ".join(f"{t.task}: {flip}" for t in change.tasks for flip in t.checks)
        writer.writerow([change.student_id, _num(change.old_score), _num(change.new_score), *cells, flips])
    return out.getvalue()


def _by_name(report: Report | None) -> dict[str, TaskResult]:
    return {} if report is None else {task.name: task for task in report.tasks}


def _check_flips(before: TaskResult | None, after: TaskResult | None) -> list[str]:
    old = {c.name: c.passed for c in (before.checks if before else ())}
    new = {c.name: c.passed for c in (after.checks if after else ())}
    flips = []
    for name in [*new, *(n for n in old if n not in new)]:
        if name not in old:
            flips.append(f"{name}: new, {'passed' if new[name] else 'failed'}")
        elif name not in new:
            flips.append(f"{name}: removed")
        elif old[name] != new[name]:
            flips.append(f"{name}: {'passed → failed' if old[name] else 'failed → passed'}")
    return flips
