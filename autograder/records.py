"""The records of a grade, declared once: what was submitted, how each check and task went,
the report, staff corrections, and a job of the course server.

Every record is a frozen dataclass holding plain data only, with `to_json()` giving exactly
the form of report.json (SPEC "Reports") and `from_json(data)` reading it back, so that a
report written, stored in the gradebook, read back and written again gives the same bytes.
Grading builds these records; the gradebook, the pages, the summary, the exports, Gradescope,
nbgrader and the server read them, never the keys of a dict.
"""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Literal

import numpy as np

Status = Literal["graded", "ungradable"]
State = Literal["graded", "ungradable", "missing"]
JobStatus = Literal["queued", "running", "graded", "ungradable"]
JOB_STATUSES = ("queued", "running", "graded", "ungradable")


def plain(value: Any) -> Any:
    """Plain JSON data: numpy values as Python ones, tuples as lists, and nan, inf and -inf as
    the strings "nan", "inf", "-inf" (JSON has no such numbers; the figures read them back)."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if plain_numbers(value):
            return value if isinstance(value, list) else list(value)
        return [plain(item) for item in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        if getattr(value, "dtype", None) == float and getattr(value, "size", 0) and np.isfinite(value).all():
            return value.tolist()  # floats only, nothing to convert: a figure's paths, at numpy's speed
        return plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def plain_numbers(value: list | tuple) -> bool:
    """Whether a list holds finite Python numbers only, or rows of them (a figure's path): plain
    already, as most of a report's data is once recorded, and not worth walking item by item."""
    def numbers(items):
        return all(type(item) is int or type(item) is float and math.isfinite(item) for item in items)
    return numbers(value) or all(type(row) is list and numbers(row) for row in value)


def score(value: float) -> float:
    """A score as reports keep it: rounded to 6 decimals, so that sums of shares stay exact enough."""
    return round(float(value), 6)


# --- what was submitted ---------------------------------------------------------------

@dataclass(frozen=True)
class SubmittedFile:
    """What a report keeps of a submission: where it came from and the hash of its bytes."""

    file: str
    sha256: str

    def to_json(self) -> dict:
        return {"file": self.file, "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: dict) -> "SubmittedFile":
        return cls(str(data["file"]), str(data["sha256"]))


@dataclass(frozen=True)
class Submission:
    """One handed-in file, bytes included."""

    file: str  # where it came from, for people: "submissions/s001.ipynb" or "class.zip:s001.ipynb"
    data: bytes
    submitted_at: str | None = None  # ISO 8601, when the LMS or the server knows it
    late: bool = False  # the LMS download marked it late

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def submitted_file(self) -> SubmittedFile:
        return SubmittedFile(self.file, self.sha256)

    def to_json(self, with_data: bool = False) -> dict:
        """The report's form {"file", "sha256"}; with the bytes (base64) and the LMS facts, a form
        that `from_json` reads back whole."""
        out = self.submitted_file.to_json()
        if with_data:
            out["data"] = base64.b64encode(self.data).decode("ascii")
            if self.submitted_at is not None:
                out["submitted_at"] = self.submitted_at
            if self.late:
                out["late"] = True
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Submission":
        """Needs the bytes ("data", base64); a "sha256" given beside them must match them."""
        if "data" not in data:
            raise ValueError(f"the submission {data.get('file')!r} was written without its bytes")
        submission = cls(str(data["file"]), base64.b64decode(data["data"]), data.get("submitted_at"),
                         bool(data.get("late", False)))
        if "sha256" in data and data["sha256"] != submission.sha256:
            raise ValueError(f"the bytes of {submission.file!r} do not match their sha256")
        return submission


# --- how it went ------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckResult:
    """One check of one task: the verdict and its share of the task's points."""

    task: str
    name: str
    passed: bool
    score: float
    max_score: float
    visibility: str
    message: str
    mistake: str | None = None  # the name of a recognised known mistake
    details: dict = field(default_factory=dict)  # input, got, expected, error, tolerance, reproduce
    figure: dict | None = None  # a plain description of a picture; the pages draw it

    def __post_init__(self):
        # Only plain data in a record: what a judge put in details or a figure may hold numpy values.
        object.__setattr__(self, "details", plain(self.details))
        object.__setattr__(self, "figure", plain(self.figure))

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "passed": self.passed,
            "score": self.score,
            "max_score": self.max_score,
            "visibility": self.visibility,
            "message": self.message,
            "mistake": self.mistake,
            "details": self.details,
            "figure": self.figure,
        }

    @classmethod
    def from_json(cls, data: dict, task: str | None = None) -> "CheckResult":
        """`task` is the task holding the check (report.json does not repeat it in each check)."""
        return cls(
            task=task if task is not None else str(data.get("task", "")),
            name=data["name"],
            passed=data["passed"],
            score=data["score"],
            max_score=data["max_score"],
            visibility=data["visibility"],
            message=data["message"],
            mistake=data.get("mistake"),
            details=data.get("details") or {},
            figure=data.get("figure"),
        )


@dataclass(frozen=True)
class Override:
    """A staff correction of one task's score, for every grade of one student and assignment."""

    task: str
    score: float
    comment: str
    by: str  # the staff member's id
    at: str  # ISO 8601
    # The score the checks gave, once the override is applied to a task of a report.
    automatic_score: float | None = None

    def to_json(self) -> dict:
        out = {"task": self.task, "score": self.score, "comment": self.comment, "by": self.by, "at": self.at}
        if self.automatic_score is not None:
            out["automatic_score"] = self.automatic_score
        return out

    @classmethod
    def from_json(cls, data: dict, task: str | None = None) -> "Override":
        return cls(task if task is not None else str(data["task"]), data["score"], data["comment"], data["by"],
                   data["at"], data.get("automatic_score"))


@dataclass(frozen=True)
class TaskResult:
    """One task: its score (the staff's, when overridden) out of its points, and its checks."""

    name: str  # the student's function
    summary: str
    score: float
    max_score: float
    checks: tuple[CheckResult, ...] = ()
    override: Override | None = None

    def __post_init__(self):
        object.__setattr__(self, "checks", tuple(self.checks))

    @property
    def automatic_score(self) -> float:
        """The score the checks gave, whatever the staff set."""
        return self.score if self.override is None else self.override.automatic_score

    def with_override(self, override: Override | None) -> "TaskResult":
        """This task with the staff's score (`None`: the automatic score again)."""
        if override is None and self.override is None:
            return self  # most tasks of most reports: no copy (a class table asks for thousands)
        automatic = self.automatic_score
        if override is None:
            return replace(self, score=automatic, override=None)
        return replace(self, score=score(override.score),
                       override=replace(override, task=self.name, automatic_score=automatic))

    def to_json(self) -> dict:
        out = {"name": self.name, "summary": self.summary, "score": self.score, "max_score": self.max_score,
               "checks": [c.to_json() for c in self.checks]}
        if self.override is not None:
            o = self.override
            out["override"] = {"score": o.score, "comment": o.comment, "by": o.by, "at": o.at,
                               "automatic_score": o.automatic_score}
        return out

    @classmethod
    def from_json(cls, data: dict) -> "TaskResult":
        name = data["name"]
        override = data.get("override")
        return cls(name, data.get("summary", ""), data["score"], data["max_score"],
                   tuple(CheckResult.from_json(c, name) for c in data.get("checks") or ()),
                   None if override is None else Override.from_json(override, name))


@dataclass(frozen=True)
class CellError:
    """A notebook cell that failed to run while grading (the notebook went on, as in Jupyter)."""

    cell: str  # its grade_id, or "cell N" for a cell the template does not know
    error: str

    def to_json(self) -> dict:
        return {"cell": self.cell, "error": self.error}

    @classmethod
    def from_json(cls, data: dict) -> "CellError":
        return cls(data["cell"], data["error"])


# --- the report -------------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """One student's grade of one assignment: report.json, and what every page and table shows."""

    student_id: str
    assignment: str
    title: str
    status: Status
    reason: str | None
    submitted: bool
    score: float
    max_score: float
    sandbox: str  # "bwrap", or "rlimit-only" where bubblewrap could not run
    variant: str  # the variant's public fingerprint
    grader_version: str
    submission: SubmittedFile | None
    cell_errors: tuple[CellError, ...] = ()
    tasks: tuple[TaskResult, ...] = ()
    warnings: tuple[str, ...] = ()
    late: bool = False  # the LMS download marked it late, or its time is after the due date; in JSON only when true
    late_penalty: float = 0.0  # the fraction of the score a late attempt lost (course.toml); in JSON when not 0
    submitted_at: str | None = None  # ISO 8601, when the LMS download says; in JSON only when known
    # Those of `warnings` that came from comparing the whole class (copied work), not from the
    # student's file alone: a later run replaces them rather than adding to them. In JSON only when any.
    class_warnings: tuple[str, ...] = ()

    def __post_init__(self):
        for name in ("cell_errors", "tasks", "warnings", "class_warnings"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def state(self) -> State:
        """graded, ungradable (a submission that could not be graded) or missing (none handed in)."""
        if not self.submitted:
            return "missing"
        return "graded" if self.status == "graded" else "ungradable"

    def task(self, name: str) -> TaskResult | None:
        return next((t for t in self.tasks if t.name == name), None)

    def task_scores(self) -> dict[str, float]:
        return {t.name: t.score for t in self.tasks}

    def checks(self) -> Iterable[CheckResult]:
        return (check for task in self.tasks for check in task.checks)

    def with_overrides(self, overrides: Iterable[Override]) -> "Report":
        """The report with exactly these staff corrections: each named task's score replaced (its
        automatic score kept beside it), every other task back to its automatic score, and the
        total summed again. Overrides of tasks the report does not have are ignored; the last
        of several for one task counts."""
        by_task = {o.task: o for o in overrides}
        tasks = tuple(t.with_override(by_task.get(t.name)) for t in self.tasks)
        if tasks == self.tasks:
            return self
        return replace(self, tasks=tasks, score=score(sum(t.score for t in tasks)))

    def with_class_warnings(self, warnings: Iterable[str]) -> "Report":
        """The report with exactly these class-wide warnings after its own (those of the last run replaced)."""
        warnings = tuple(warnings)
        if warnings == self.class_warnings:
            return self
        own = tuple(w for w in self.warnings if w not in self.class_warnings)
        return replace(self, warnings=own + warnings, class_warnings=warnings)

    def to_json(self) -> dict:
        out = {
            "student_id": self.student_id,
            "assignment": self.assignment,
            "title": self.title,
            "status": self.status,
            "reason": self.reason,
            "submitted": self.submitted,
            "score": self.score,
            "max_score": self.max_score,
            "sandbox": self.sandbox,
            "variant": self.variant,
            "grader_version": self.grader_version,
            "submission": None if self.submission is None else self.submission.to_json(),
            "cell_errors": [e.to_json() for e in self.cell_errors],
            "tasks": [t.to_json() for t in self.tasks],
            "warnings": list(self.warnings),
        }
        if self.late:
            out["late"] = True
        if self.late_penalty:
            out["late_penalty"] = self.late_penalty
        if self.submitted_at is not None:
            out["submitted_at"] = self.submitted_at
        if self.class_warnings:
            out["class_warnings"] = list(self.class_warnings)
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Report":
        submission = data.get("submission")
        return cls(
            student_id=data["student_id"],
            assignment=data["assignment"],
            title=data["title"],
            status=data["status"],
            reason=data.get("reason"),
            submitted=data.get("submitted", True),
            score=data["score"],
            max_score=data["max_score"],
            sandbox=data["sandbox"],
            variant=data["variant"],
            grader_version=data["grader_version"],
            submission=None if submission is None else SubmittedFile.from_json(submission),
            cell_errors=tuple(CellError.from_json(e) for e in data.get("cell_errors") or ()),
            tasks=tuple(TaskResult.from_json(t) for t in data.get("tasks") or ()),
            warnings=tuple(data.get("warnings") or ()),
            late=bool(data.get("late", False)),
            late_penalty=float(data.get("late_penalty", 0.0)),
            submitted_at=data.get("submitted_at"),
            class_warnings=tuple(data.get("class_warnings") or ()),
        )


# --- the course server ------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One submission to the course server and its grade: GET /api/submissions/{id} (SPEC)."""

    id: str
    student_id: str
    assignment: str
    status: JobStatus
    received_at: str  # ISO 8601
    score: float | None = None  # set once graded (or ungradable), overrides applied
    max_score: float | None = None
    report: Report | None = None  # report.json once done, overrides applied

    def __post_init__(self):
        if self.status not in JOB_STATUSES:
            raise ValueError(f"a job's status is one of {', '.join(JOB_STATUSES)}, not {self.status!r}")

    def to_json(self) -> dict:
        return {"id": self.id, "student_id": self.student_id, "assignment": self.assignment, "status": self.status,
                "received_at": self.received_at, "score": self.score, "max_score": self.max_score,
                "report": None if self.report is None else self.report.to_json()}

    @classmethod
    def from_json(cls, data: dict) -> "Job":
        report = data.get("report")
        return cls(data["id"], data["student_id"], data["assignment"], data["status"], data["received_at"],
                   data.get("score"), data.get("max_score"), None if report is None else Report.from_json(report))
