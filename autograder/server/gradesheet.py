"""What stands: each attempt's report as the student and the gradebook see it, and the attempt that counts.

The database keeps each grade as the engine made it. What is shown is computed from it
each time: staff overrides replace their tasks' scores, then the course policy's late
penalty applies to the total (so moving a due date, granting an extension or changing a
penalty takes effect at once, and no regrade can lose an override).

An override follows the code it judged: it holds for an attempt whose code for its task is
the code it was set on, and an attempt that changed that code gets its automatic score
again (staff see the override as set on earlier code). Which attempt counts is the
student's or staff's choice, else the policy's (the last graded attempt, or the best); an
attempt that could not be graded never displaces one that was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace
from typing import Callable

from ..grading import Unit, grade
from ..notebooks import Unreadable, cell_grade_id, cell_source, read_submission
from ..policy import Extension, Policy
from ..records import CheckResult, Override, Report
from .store import Attempt, Held

NOTHING = ""  # the code an override judged when the student had handed nothing in


def task_codes(data: bytes) -> dict[str, str]:
    """The digest of each graded cell's code (by grade_id), the same whatever whitespace ends its lines;
    empty for a file that is not a readable notebook."""
    try:
        nb, _ = read_submission(data)
    except Unreadable:
        return {}
    codes = {}
    for cell in nb["cells"]:
        grade_id = cell_grade_id(cell) if cell.get("cell_type") == "code" else None
        if grade_id:
            text = "\n".join(line.rstrip() for line in cell_source(cell).strip().splitlines())
            codes[grade_id] = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    return codes


@dataclass(frozen=True)
class Rules:
    """Everything besides the grades that decides one student's standing at one assignment."""

    policy: Policy  # the assignment's, with the student's extension applied
    overrides: list[Held]
    codes: Callable[[Attempt], dict[str, str]]  # the task code digests of an attempt
    chosen: tuple[str, str, str] | None = None  # (attempt id, chosen by, at)
    extension: Extension | None = None
    extension_by: str = "course.toml"


def holds(held: Held, codes: dict[str, str] | None) -> bool:
    """Whether an override applies to a grade whose task codes are `codes` (None: no submission).
    Overrides stored before they recorded their code (code NULL) hold everywhere."""
    if held.code is None:
        return True
    return held.code == (NOTHING if codes is None else codes.get(held.override.task, "missing"))


def final_report(attempt: Attempt, rules: Rules) -> Report | None:
    """The attempt's report as it counts; None while it waits for its grade. An attempt staff handed
    in for the student is not zeroed by the cut-off (it was accepted after it on purpose)."""
    if attempt.report is None:
        return None
    codes = rules.codes(attempt) if rules.overrides else {}  # reading the file only when it matters
    applied = [h.override for h in rules.overrides if holds(h, codes)]
    policy = rules.policy if attempt.handed_in_by is None else replace(rules.policy, late_cutoff=None)
    return policy.final(attempt.report.with_overrides(applied))


def missing_report(unit: Unit, rules: Rules) -> Report:
    """The report of a student who handed nothing in (0 points, unless staff set scores)."""
    return grade(unit).with_overrides([h.override for h in rules.overrides if holds(h, None)])


@dataclass(frozen=True)
class Standing:
    """One student's place in the class table, and why."""

    student_id: str
    report: Report  # the counting attempt's final report, or the no-submission report
    counting: Attempt | None
    attempts: int
    pending: int
    overrides: list[Override]  # those in force
    stale: list[Override]  # set on code the counting attempt no longer has
    why: str  # why this attempt counts, in words
    rules: Rules

    @property
    def late(self) -> bool:
        return self.report.late

    @property
    def flags(self) -> list[str]:
        """What staff should look at: why the counting attempt could not be graded, its warnings,
        overrides set on earlier code."""
        reason = [f"Ungradable: {self.report.reason}"] if self.counting and self.report.reason else []
        stale = [f"Override of {o.task} set on earlier code: re-apply or drop it" for o in self.stale]
        return reason + stale + list(self.report.warnings)


def counting_attempt(attempts: list[Attempt], finals: dict[str, Report | None], policy: Policy,
                     chosen: tuple[str, str, str] | None = None) -> tuple[Attempt | None, str]:
    """The attempt whose grade counts, and why. A chosen attempt counts once it is graded; otherwise
    the policy decides among the graded attempts (the last, or the highest final score), and only
    when none could be graded does the last ungradable one count."""
    graded = [a for a in attempts if finals.get(a.id) is not None and a.status == "graded"]
    if chosen is not None:
        picked = next((a for a in graded if a.id == chosen[0]), None)
        if picked is not None:
            return picked, f"chosen by {chosen[1]}"
    if graded:
        if policy.counts == "best":
            return max(graded, key=lambda a: (finals[a.id].score, a.seq)), "the best graded attempt (course rule)"
        return graded[-1], "the last graded attempt (course rule)"
    done = [a for a in attempts if finals.get(a.id) is not None]
    if done:
        return done[-1], "no attempt could be graded yet; the last one stands"
    return None, "nothing graded yet"


def standing(student_id: str, attempts: list[Attempt], rules: Rules, nothing: Unit) -> Standing:
    """`nothing` grades the student with no submission, for when no attempt has a grade yet."""
    finals = {a.id: final_report(a, rules) for a in attempts}
    chosen, why = counting_attempt(attempts, finals, rules.policy, rules.chosen)
    report = finals[chosen.id] if chosen else missing_report(nothing, rules)
    codes = (rules.codes(chosen) if rules.overrides else {}) if chosen else None
    in_force = [h.override for h in rules.overrides if holds(h, codes)]
    stale = [h.override for h in rules.overrides if not holds(h, codes)]
    pending = sum(a.status in ("queued", "running") for a in attempts)
    return Standing(student_id, report, chosen, len(attempts), pending, in_force, stale, why, rules)


def hide(report: Report, policy: Policy, at: dt.datetime) -> Report:
    """The report as a student may see it at `at`: unless the policy reveals hidden checks by then, a
    hidden check keeps its name, its verdict, the name of a recognised mistake and the size of the
    error, and loses its input, expected value, figure and call to reproduce it."""
    if policy.reveals_hidden(at) or not any(c.visibility == "hidden" for c in report.checks()):
        return report
    later = ("Its input and expected value are shown after the due date." if policy.hidden == "after_due"
             and policy.due is not None else "Hidden checks keep their inputs to themselves: test your function "
             "on inputs of your own, including unusual ones.")
    tasks = tuple(replace(t, checks=tuple(_hidden(c, later) if c.visibility == "hidden" else c for c in t.checks))
                  for t in report.tasks)
    return replace(report, tasks=tasks)


def _hidden(check: CheckResult, later: str) -> CheckResult:
    if check.passed:
        return replace(check, message="Passed (a hidden check).", details={}, figure=None)
    error = check.details.get("error")
    size = {"error": error} if isinstance(error, (int, float)) and not isinstance(error, bool) else {}
    text = "This hidden check failed"
    if check.mistake:
        text += f": {check.mistake}"
    if size:
        text += f" (error {error:.3g})"
    return replace(check, message=f"{text}. {later}", details=size, figure=None)
