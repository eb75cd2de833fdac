"""What stands: each attempt's report as the student and the gradebook see it, and the attempt that counts.

The database keeps each grade as the engine made it. What is shown is computed from it
each time: staff overrides replace their tasks' scores, then the course policy's late
penalty applies to the total (so moving a due date or changing a penalty takes effect at
once, and no regrade can lose an override). Which attempt counts is the policy's too:
the last finished one, or the best.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..grading import Unit, grade
from ..policy import Policy, apply_lateness
from ..records import Override, Report
from .store import Attempt


def final_report(attempt: Attempt, overrides: list[Override], policy: Policy) -> Report | None:
    """The attempt's report as it counts; None while it waits for its grade."""
    if attempt.report is None:
        return None
    return apply_lateness(attempt.report.with_overrides(overrides), policy.lateness(attempt.received_at))


def missing_report(unit: Unit, overrides: list[Override]) -> Report:
    """The report of a student who handed nothing in (0 points, unless staff set scores)."""
    return grade(unit).with_overrides(overrides)


@dataclass(frozen=True)
class Standing:
    """One student's place in the class table."""

    student_id: str
    report: Report  # the counting attempt's final report, or the no-submission report
    counting: Attempt | None
    attempts: int
    pending: int
    overrides: list[Override]

    @property
    def late(self) -> bool:
        return self.report.late

    @property
    def flags(self) -> list[str]:
        """What staff should look at: why the counting attempt could not be graded, and its warnings."""
        reason = [f"Ungradable: {self.report.reason}"] if self.counting and self.report.reason else []
        return reason + list(self.report.warnings)


def counting_attempt(attempts: list[Attempt], finals: dict[str, Report | None], policy: Policy) -> Attempt | None:
    """The attempt whose grade counts: the last finished one, or (policy "best") the highest final score."""
    done = [a for a in attempts if finals.get(a.id) is not None]
    if not done:
        return None
    if policy.counts == "best":
        return max(done, key=lambda a: (finals[a.id].score, a.seq))
    return done[-1]


def standing(student_id: str, attempts: list[Attempt], overrides: list[Override], policy: Policy,
             nothing: Unit) -> Standing:
    """`nothing` grades the student with no submission, for when no attempt has a grade yet."""
    finals = {a.id: final_report(a, overrides, policy) for a in attempts}
    chosen = counting_attempt(attempts, finals, policy)
    report = finals[chosen.id] if chosen else missing_report(nothing, overrides)
    pending = sum(a.status in ("queued", "running") for a in attempts)
    return Standing(student_id, report, chosen, len(attempts), pending, overrides)
