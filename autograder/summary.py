"""The class view: every number the summary page shows, computed here from the reports alone.

The page (`reports.render_summary_html`) only lays it out; the CLI's counts, the server's
staff pages and the cluster back end take their numbers from here too. What the grade run
learnt about the class beyond the reports (how the submissions were read, possibly copied
work) is handed in by the run and kept here beside the numbers, for the page to show.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .assignment import Assignment
from .records import Report, State

if TYPE_CHECKING:  # declared beside what makes them; the summary only carries them
    from .intake import IntakeNotes
    from .similarity.findings import Similarity


def percent(part, whole) -> float:
    """part of whole in percent, clamped to [0, 100], 1 decimal; 0 where either is not a number."""
    if not (is_number(part) and is_number(whole)) or whole <= 0:
        return 0.0
    return round(100 * min(max(part / whole, 0.0), 1.0), 1)


def is_number(value) -> bool:
    """A finite int or float (not a bool): a score that can be shown and averaged."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class StudentLine:
    student_id: str
    state: State
    score: float
    max_score: float
    percent: float
    reason: str | None
    warnings: tuple[str, ...]
    late: bool = False


@dataclass(frozen=True)
class TaskMean:
    name: str
    max_score: float
    mean_score: float  # over graded submissions
    percent: float


@dataclass(frozen=True)
class CheckTally:
    task: str
    name: str
    passed: int
    failed: int

    @property
    def total(self) -> int:
        return self.passed + self.failed

    @property
    def percent(self) -> float:
        return percent(self.passed, self.total)


@dataclass(frozen=True)
class MistakeCount:
    mistake: str
    task: str
    students: int  # a student counts once per mistake, however many checks show it


@dataclass(frozen=True)
class Counts:
    students: int
    graded: int
    ungradable: int
    missing: int
    flagged: int  # with a warning (a notebook of another student, an edited locked cell, …)
    late: int


@dataclass(frozen=True)
class ClassSummary:
    assignment: str
    title: str
    max_score: float
    grader_version: str
    sandbox: str
    students: tuple[StudentLine, ...]  # in the order of the reports (the roster's)
    counts: Counts
    scores: tuple[float, ...]  # of every submitted notebook, graded or not
    mean: float | None
    median: float | None
    tasks: tuple[TaskMean, ...]
    checks: tuple[CheckTally, ...]  # most often failed first
    mistakes: tuple[MistakeCount, ...]  # most common first
    intake: IntakeNotes | None = None
    similarity: Similarity | None = None


def class_summary(assignment: Assignment, reports: list[Report], sandbox: str, grader_version: str, *,
                  intake: IntakeNotes | None = None, similarity: Similarity | None = None) -> ClassSummary:
    graded = [r for r in reports if r.status == "graded"]
    tallies: dict[tuple[str, str], list[int]] = {}
    mistakes: Counter = Counter()
    for report in graded:
        seen = set()
        for task in report.tasks:
            for check in task.checks:
                tally = tallies.setdefault((task.name, check.name), [0, 0])
                tally[0 if check.passed else 1] += 1
                if check.mistake:
                    seen.add((check.mistake, task.name))
        mistakes.update(seen)
    tasks = []
    for task in assignment.tasks:
        scores = [t.score for r in graded for t in r.tasks if t.name == task.name]
        mean = round(sum(scores) / len(scores), 4) if scores else 0.0
        tasks.append(TaskMean(task.name, task.points, mean, percent(mean, task.points)))
    students = tuple(StudentLine(r.student_id, r.state, r.score, r.max_score, percent(r.score, r.max_score), r.reason,
                                 r.warnings, r.late) for r in reports)
    scores = tuple(float(s.score) for s in students if s.state != "missing" and is_number(s.score))
    checks = [CheckTally(t, n, p, f) for (t, n), (p, f) in tallies.items()]
    return ClassSummary(
        assignment=assignment.name,
        title=assignment.title,
        max_score=assignment.max_score,
        grader_version=grader_version,
        sandbox=sandbox,
        students=students,
        counts=Counts(
            students=len(students),
            graded=sum(s.state == "graded" for s in students),
            ungradable=sum(s.state == "ungradable" for s in students),
            missing=sum(s.state == "missing" for s in students),
            flagged=sum(bool(s.warnings) for s in students),
            late=sum(s.late for s in students),
        ),
        scores=scores,
        mean=statistics.fmean(scores) if scores else None,
        median=statistics.median(scores) if scores else None,
        tasks=tuple(tasks),
        checks=tuple(sorted(checks, key=lambda c: (c.percent, c.task, c.name))),
        mistakes=tuple(MistakeCount(m, t, n) for (m, t), n in sorted(mistakes.items(), key=lambda kv: (-kv[1], kv[0]))),
        intake=intake,
        similarity=similarity,
    )
