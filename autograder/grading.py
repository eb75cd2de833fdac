"""Grading one submission: a pure unit of work, submission bytes and variant in, report out.

The notebook's code runs in a sandboxed worker (`sandbox.Worker`); the checks are built
and judged here, in the trusted process. A cell or function that crashes the process or
hangs costs its own checks only: it is not run again, the worker is restarted without it
when the next function is asked, and the remaining checks go on (see `session.SubmissionRun`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import __version__, wire
from .assignment import Assignment
from .checks import Check, Outcome, Verdict, run_judge, score_checks
from .course import Course
from .notebooks import (
    TemplateCell,
    Unreadable,
    cell_grade_id,
    cell_source,
    locked_cells,
    read_submission,
    strip_magics,
)
from .records import CellError, Report, Submission, TaskResult, score
from .session import SubmissionRun
from .sandbox import BWRAP, Limits, prestart, warm
from .variants import Variant


@dataclass(frozen=True)
class Unit:
    """Everything needed to grade one student, and nothing that changes between runs."""

    course_root: str
    assignment: str
    student_id: str
    variant_key: bytes
    submission: Submission | None
    sandbox: str
    limits: Limits = field(default_factory=Limits)
    salt: str = ""  # GradingContext.salt: the server's per-attempt hidden inputs


# --- which cells run ------------------------------------------------------------------

def execution_plan(nb, master: list[TemplateCell], student_id: str, fingerprint: str) -> tuple[list[dict], list[str]]:
    """The code to run, in order, and the warnings for the student.

    Locked cells run with their original content, whatever the submission made of them,
    and the given cells run once more at the end, so that every function is called with
    this student's own constants even if a cell redefined them.
    """
    by_id = {c.grade_id: c for c in master}
    warnings = _metadata_warnings(nb, student_id, fingerprint)
    cells, seen = [], set()
    for position, cell in enumerate(nb["cells"], start=1):
        if cell.get("cell_type") != "code":
            continue
        grade_id = cell_grade_id(cell)
        template = by_id.get(grade_id) if grade_id else None
        source = cell_source(cell)
        if template is None or template.role == "solution":
            label = grade_id if template is not None else f"cell {position}"
            cells.append({"label": label, "source": strip_magics(source)})
            seen.add(grade_id)
            continue
        seen.add(grade_id)
        if template.role == "given":
            if _normalise(source) != _normalise(template.source):
                warnings.append(f"The locked cell '{grade_id}' was edited; it was graded with its original content.")
            cells.append({"label": grade_id, "source": template.source})
    for template in master:
        if template.grade_id not in seen and template.role == "solution":
            warnings.append(f"The solution cell '{template.grade_id}' is missing from the notebook.")
    cells += [{"label": f"{c.grade_id} (restored)", "source": c.source} for c in master if c.role == "given"]
    return cells, warnings


def _normalise(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _metadata_warnings(nb, student_id: str, fingerprint: str) -> list[str]:
    meta = nb.get("metadata", {}).get("autograder")
    if not isinstance(meta, dict):
        return ["The notebook carries no autograder metadata: was it made from the notebook you were given?"]
    owner = meta.get("student_id")
    if owner != student_id:
        return [f"This notebook was generated for student {str(owner)[:100]}, not for {student_id}; "
                f"it was graded against {student_id}'s own variant."]
    if meta.get("variant") != fingerprint:
        return ["The notebook's variant fingerprint does not match yours (a notebook from another course "
                "or an edited one); it was graded against your own variant."]
    return []


# --- the unit of work -----------------------------------------------------------------

def grade(unit: Unit) -> Report:
    """The report of one student: graded, or ungradable with a reason. Never raises."""
    try:
        return _report(unit)
    except Exception as exc:  # our bug must not stop the class; the TA sees it in one line
        return grader_failed(unit, f"The grader failed on this submission ({type(exc).__name__}: "
                                    f"{str(exc)[:200]}); this is the grader's fault, not the student's.")


def _report(unit: Unit) -> Report:
    course = Course.at(unit.course_root)
    assignment = course.assignment(unit.assignment)
    variant = Variant(unit.assignment, unit.student_id, unit.variant_key)
    if unit.submission is None:
        return _ungradable(assignment, variant, unit, "No submission was found for this student.")
    try:
        nb, major = read_submission(unit.submission.data)
    except Unreadable as exc:
        return _ungradable(assignment, variant, unit, f"The submission could not be read: {exc}.")
    warm_up = course.warm_up(unit.assignment)
    prestart(unit.sandbox, unit.limits, warm_up)  # the first submission's zygote starts meanwhile
    context = replace(course.context(assignment, variant), salt=unit.salt)
    master = locked_cells(course, assignment, variant, context.params)
    cells, warnings = execution_plan(nb, master, unit.student_id, variant.fingerprint)
    if major == 3:
        warnings.insert(0, "The notebook was in the old nbformat 3 and was converted to nbformat 4 for grading.")
    if unit.sandbox != BWRAP:
        warnings.insert(0, "Graded without a sandbox (--no-sandbox): the grader ran this code as an unprivileged "
                           "process, without isolation from the machine.")
    if assignment.observers:
        # Sent with the cells, so that the observers live and die with this submission's worker.
        cells.insert(0, {"label": "the assignment's observers", "observers": dict(assignment.observers)})
    too_large = _too_large_to_run(cells)
    if too_large:
        return _ungradable(assignment, variant, unit, too_large)
    checks = assignment.checks(context)
    warm(unit.sandbox, unit.limits, warm_up)
    run = SubmissionRun(unit.sandbox, unit.limits, cells)
    try:
        outcomes = iter(run.calls([c for check in checks for c in check.calls]))
        verdicts = [_judge(check, [next(outcomes) for _ in check.calls]) for check in checks]
    finally:
        run.close()
    tasks = _tasks(assignment, checks, verdicts)
    return Report(
        **_head(assignment.name, assignment.title, assignment.max_score, variant, unit),
        status="graded",
        reason=None,
        score=score(sum(t.score for t in tasks)),
        cell_errors=tuple(CellError(cells[i]["label"], e) for i, e in sorted(run.cell_errors.items())),
        tasks=tasks,
        warnings=tuple(warnings),
    )


def _too_large_to_run(cells: list[dict]) -> str:
    """Why the notebook's code cannot be sent to the sandbox (larger than a message may be), or ""."""
    try:
        wire.dumps({"op": "cells", "cells": cells})
    except wire.WireError:
        code = sum(len(cell.get("source", "")) for cell in cells)
        return (f"The notebook's code cells hold {code / 1e6:.1f} million characters: more than the grader can run "
                f"(at most {wire.MAX_MESSAGE_BYTES // 2**20} MiB as it sends code, where a letter like é takes 6 "
                "bytes). Is data pasted into a code cell? Load it from a file or shorten it, and hand the notebook "
                "in again.")
    return ""


def _judge(check: Check, outcomes: list[Outcome]) -> Verdict:
    try:
        return run_judge(check, outcomes)
    except Exception as exc:  # a grader bug must cost neither the student nor the run
        return Verdict(False, f"The grader could not judge this check ({type(exc).__name__}); "
                              "please tell your TA, this is our mistake, not yours.", mistake=None)


def _tasks(assignment: Assignment, checks: list[Check], verdicts: list[Verdict]) -> tuple[TaskResult, ...]:
    tasks = []
    for task in assignment.tasks:
        pairs = [(c, v) for c, v in zip(checks, verdicts) if c.task == task.name]
        weights = sum(c.weight for c, _ in pairs) or 1.0
        passed = sum(c.weight for c, v in pairs if v.passed)
        tasks.append(TaskResult(
            name=task.name,
            summary=task.summary,
            # From the weights, not the rounded shares, so that full marks are exactly full.
            score=score(task.points * passed / weights),
            max_score=task.points,
            checks=tuple(score_checks([c for c, _ in pairs], [v for _, v in pairs], task.points)),
        ))
    return tuple(tasks)


def _head(name: str, title: str, max_score: float, variant: Variant, unit: Unit) -> dict:
    """The facts every report has, graded or not."""
    submission = unit.submission
    return {
        "student_id": unit.student_id,
        "assignment": name,
        "title": title,
        "submitted": submission is not None,
        "max_score": max_score,
        "sandbox": unit.sandbox,
        "variant": variant.fingerprint,
        "grader_version": __version__,
        "submission": None if submission is None else submission.submitted_file,
        "late": submission is not None and submission.late,
        "submitted_at": None if submission is None else submission.submitted_at,
    }


def _ungradable(assignment: Assignment, variant: Variant, unit: Unit, reason: str) -> Report:
    return Report(
        **_head(assignment.name, assignment.title, assignment.max_score, variant, unit),
        status="ungradable",
        reason=reason,
        score=0.0,
        tasks=tuple(TaskResult(t.name, t.summary, 0.0, t.points) for t in assignment.tasks),
    )


def grader_failed(unit: Unit, reason: str) -> Report:
    """The report when grading itself failed: it must not need what may have failed (the course
    or the assignment may be what is broken), so it uses them only if they load."""
    variant = Variant(unit.assignment, unit.student_id, unit.variant_key)
    try:
        assignment = Course.at(unit.course_root).assignment(unit.assignment)
    except Exception:  # the very thing that failed: a report without the assignment's tasks
        return Report(**_head(unit.assignment, unit.assignment, 0.0, variant, unit), status="ungradable",
                      reason=reason, score=0.0)
    return _ungradable(assignment, variant, unit, reason)
