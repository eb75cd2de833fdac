"""Grading one submission: a pure unit of work, submission bytes and variant in, report out.

The notebook's code runs in a sandboxed worker (`sandbox.Worker`); the checks are built
and judged here, in the trusted process. A crash or a timeout costs the check that
caused it: the worker is restarted (without the cell or function that hung) and the
remaining checks go on.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

from . import __version__, wire
from .assignment import Assignment
from .checks import Call, Check, Outcome, Verdict, run_judge, score_checks
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
from .sandbox import Limits, Worker, WorkerDied, WorkerTimeout
from .variants import Variant

MAX_RESTARTS = 8


@dataclass(frozen=True)
class Submission:
    file: str  # where it came from, for people: "submissions/s001.ipynb" or "class.zip:s001.ipynb"
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


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


# --- running calls ----------------------------------------------------------------------

class SubmissionRun:
    """The sandboxed side of one submission, restarted as often as crashes require."""

    def __init__(self, kind: str, limits: Limits, cells: list[dict]):
        self.kind, self.limits, self.cells = kind, limits, cells
        self.deadline = time.monotonic() + limits.submission_timeout
        self.cell_errors: dict[int, str] = {}
        self.skipped_cells: set[int] = set()
        self.dead_functions: dict[str, str] = {}
        self.worker: Worker | None = None
        self.starts = 0
        # Several checks may ask the same question (the symbolic Hessian, say); a student
        # function is a function of its inputs, so it is asked once.
        self.answers: dict[tuple, Outcome] = {}

    def _remaining(self, limit: float) -> float:
        return max(0.0, min(limit, self.deadline - time.monotonic()))

    def _start(self) -> Worker | None:
        while self.starts <= MAX_RESTARTS and self._remaining(1) > 0:
            self.starts += 1
            try:
                worker = Worker(self.kind, self.limits)
            except (WorkerDied, WorkerTimeout):
                continue
            order = [i for i in range(len(self.cells)) if i not in self.skipped_cells]
            worker.send({"op": "cells", "cells": [self.cells[i] for i in order]})
            current = None
            try:
                while True:
                    message = worker.receive(self._remaining(self.limits.cell_timeout))
                    event = message.get("event")
                    if event == "cells_done":
                        return worker
                    index = message.get("index")
                    if not isinstance(index, int) or not 0 <= index < len(order):
                        raise WorkerDied("the grader's channel carried a malformed message")
                    current = order[index]
                    if event == "cell_done" and message.get("error"):
                        self.cell_errors.setdefault(current, str(message["error"])[:500])
            except WorkerTimeout:
                worker.close()
                if current is None:
                    return None
                self.skipped_cells.add(current)
                self.cell_errors[current] = (f"did not finish within {self.limits.cell_timeout:g} s "
                                             "(an infinite loop?); the cell was skipped")
            except WorkerDied as exc:
                worker.close()
                if current is None:
                    return None
                self.skipped_cells.add(current)
                self.cell_errors[current] = f"ended the notebook's process: {exc}; the cell was skipped"
        return None

    def call(self, call: Call) -> Outcome:
        """The outcome of a call; a call made before (same function, inputs and kind) is not repeated."""
        args = wire.encode(list(call.args))
        key = (call.function, call.expect, json.dumps(args, sort_keys=True))
        if key not in self.answers:
            outcome = self._call(call, args)
            if outcome.status == "skipped":
                return outcome
            self.answers[key] = outcome
        return self.answers[key]

    def _call(self, call: Call, args: list) -> Outcome:
        if call.function in self.dead_functions:
            return Outcome("skipped", message=self.dead_functions[call.function])
        if self._remaining(1) <= 0:
            return Outcome("skipped", message=f"the submission used up its {self.limits.submission_timeout:g} s time budget")
        if self.worker is None:
            self.worker = self._start()
            if self.worker is None:
                return Outcome("crash", message="the notebook's process could not be (re)started")
        timeout = self._remaining(self.limits.call_timeout)
        try:
            self.worker.send({"op": "call", "function": call.function, "args": args, "expect": call.expect})
            message = self.worker.expect("result", timeout)
        except WorkerTimeout:
            self._drop_worker()
            self.dead_functions[call.function] = (f"{call.function} did not finish on an earlier input "
                                                  f"within {timeout:g} s, so it was not called again")
            return Outcome("timeout", message=f"no answer within {timeout:g} s (an infinite loop, or far too slow)")
        except WorkerDied as exc:
            self._drop_worker()
            return Outcome("crash", message=str(exc))
        return _outcome(message)

    def _drop_worker(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def close(self) -> None:
        self._drop_worker()


def _outcome(message: dict) -> Outcome:
    status = message.get("status")
    if status not in ("ok", "error", "missing", "bad_value"):
        return Outcome("bad_value", message="a malformed answer")
    if status != "ok":
        return Outcome(status, message=str(message.get("message", ""))[:1000])
    try:
        value = wire.decode(message.get("value"))
    except wire.WireError as exc:
        return Outcome("bad_value", message=f"a value the grader cannot accept ({exc})")
    meta = message.get("meta") if isinstance(message.get("meta"), dict) else {}
    return Outcome("ok", value=value, meta=_plain_meta(meta))


def _plain_meta(meta: dict) -> dict:
    """Keep only the facts of known shape; the worker reports them, so they are not trusted further."""
    out = {}
    if isinstance(meta.get("type"), str):
        out["type"] = meta["type"][:100]
    if isinstance(meta.get("dtype"), str):
        out["dtype"] = meta["dtype"][:50]
    if isinstance(meta.get("aliased_rows"), bool):
        out["aliased_rows"] = meta["aliased_rows"]
    calls = meta.get("calls")
    if isinstance(calls, list):
        out["calls"] = [c if isinstance(c, int) and not isinstance(c, bool) else None for c in calls[:20]]
    mutated = meta.get("mutated")
    if isinstance(mutated, list):
        out["mutated"] = [m for m in mutated[:20] if isinstance(m, int) and not isinstance(m, bool)]
    return out


# --- the unit of work -----------------------------------------------------------------

def grade(unit: Unit) -> dict:
    """The report of one student: graded, or ungradable with a reason. Never raises."""
    try:
        return _grade(unit)
    except Exception as exc:  # our bug must not stop the class; the TA sees it in one line
        course = Course.at(unit.course_root)
        assignment = course.assignment(unit.assignment)
        report = _report_head(assignment, Variant(unit.assignment, unit.student_id, unit.variant_key), unit)
        return _ungradable(report, assignment, f"The grader failed on this submission ({type(exc).__name__}: "
                           f"{str(exc)[:200]}); this is the grader's fault, not the student's.")


def _grade(unit: Unit) -> dict:
    course = Course.at(unit.course_root)
    assignment = course.assignment(unit.assignment)
    variant = Variant(unit.assignment, unit.student_id, unit.variant_key)
    report = _report_head(assignment, variant, unit)
    if unit.submission is None:
        return _ungradable(report, assignment, "No submission was found for this student.", submitted=False)
    try:
        nb, major = read_submission(unit.submission.data)
    except Unreadable as exc:
        return _ungradable(report, assignment, f"The submission could not be read: {exc}.")
    context = course.context(assignment, variant)
    master = locked_cells(course, assignment, variant, context.params)
    cells, warnings = execution_plan(nb, master, unit.student_id, variant.fingerprint)
    if major == 3:
        warnings.insert(0, "The notebook was in the old nbformat 3 and was converted to nbformat 4 for grading.")
    checks = assignment.checks(context)
    run = SubmissionRun(unit.sandbox, unit.limits, cells)
    try:
        verdicts = [_judge(check, [run.call(c) for c in check.calls]) for check in checks]
    finally:
        run.close()
    report.update(status="graded", reason=None, warnings=warnings)
    report["cell_errors"] = [{"cell": cells[i]["label"], "error": e} for i, e in sorted(run.cell_errors.items())]
    report["tasks"] = _tasks(assignment, checks, verdicts)
    report["score"] = round(sum(t["score"] for t in report["tasks"]), 6)
    return report


def _judge(check: Check, outcomes: list[Outcome]) -> Verdict:
    try:
        return run_judge(check, outcomes)
    except Exception as exc:  # a grader bug must cost neither the student nor the run
        return Verdict(False, f"The grader could not judge this check ({type(exc).__name__}); "
                              "please tell your TA, this is our mistake, not yours.", mistake=None)


def _tasks(assignment: Assignment, checks: list[Check], verdicts: list[Verdict]) -> list[dict]:
    tasks = []
    for task in assignment.tasks:
        pairs = [(c, v) for c, v in zip(checks, verdicts) if c.task == task.name]
        results = score_checks([c for c, _ in pairs], [v for _, v in pairs], task.points)
        weights = sum(c.weight for c, _ in pairs) or 1.0
        passed = sum(c.weight for c, v in pairs if v.passed)
        tasks.append({
            "name": task.name,
            "summary": task.summary,
            # From the weights, not the rounded shares, so that full marks are exactly full.
            "score": round(task.points * passed / weights, 6),
            "max_score": task.points,
            "checks": [r.as_json() for r in results],
        })
    return tasks


def _report_head(assignment: Assignment, variant: Variant, unit: Unit) -> dict:
    return {
        "student_id": unit.student_id,
        "assignment": assignment.name,
        "title": assignment.title,
        "status": "ungradable",
        "reason": None,
        "submitted": unit.submission is not None,
        "score": 0.0,
        "max_score": assignment.max_score,
        "sandbox": unit.sandbox,
        "variant": variant.fingerprint,
        "grader_version": __version__,
        "submission": None if unit.submission is None else {"file": unit.submission.file, "sha256": unit.submission.sha256},
        "cell_errors": [],
        "tasks": [],
        "warnings": [],
    }


def _ungradable(report: dict, assignment: Assignment, reason: str, submitted: bool = True) -> dict:
    report.update(status="ungradable", reason=reason, submitted=submitted)
    report["tasks"] = [{"name": t.name, "summary": t.summary, "score": 0.0, "max_score": t.points, "checks": []}
                       for t in assignment.tasks]
    return report
