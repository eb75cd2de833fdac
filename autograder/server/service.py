"""The course server's state and its operations, apart from HTTP: what routes and pages call.

One `Service` per data folder: the store, the files, who may sign in, the course and its
policy, and the dispatcher that grades. Each method is a plain (blocking) function;
routes run them in a thread.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from ..assignment import Assignment
from ..course import Course
from ..grading import Unit
from ..notebooks import build_notebook, notebook_bytes
from ..policy import CoursePolicy, Policy
from ..records import Job, Override, Report, Submission
from ..reports import visible
from ..roster import Roster
from ..sandbox import Limits
from ..variants import Variant
from . import gradesheet
from .auth import Auth, Person
from .blobs import Blobs
from .dispatch import Dispatcher
from .executors import Executor, LocalPool
from .people import everyone
from .store import Attempt, Claim, Store, now, parse_time


@dataclass(frozen=True)
class Settings:
    course_root: Path
    roster: Roster
    staff: tuple[str, ...]
    data: Path
    secret: bytes
    policy: CoursePolicy
    jobs: int = 1
    sandbox: str = "bwrap"
    limits: Limits = field(default_factory=Limits)


class Refused(Exception):
    """An upload or a change that the rules do not allow; `status` is the HTTP status that says so."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class Service:
    def __init__(self, settings: Settings):
        self.settings = settings
        settings.data.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.data / "autograder.sqlite")
        self.blobs = Blobs(settings.data / "files")
        self.course = Course.at(str(Path(settings.course_root).resolve()))
        self.assignments: dict[str, Assignment] = {n: self.course.assignment(n) for n in self.course.assignment_names()}
        self.auth = Auth(self.store, everyone(settings.roster, list(settings.staff)), _form_key(settings.data))
        self.dispatcher: Dispatcher | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- grading ------------------------------------------------------------------------

    def start(self, executor: Executor | None = None) -> Dispatcher:
        """Called on the event loop at start-up."""
        self._loop = asyncio.get_running_loop()
        executor = executor or LocalPool(self.settings.jobs, self.settings.sandbox)
        self.dispatcher = Dispatcher(self.store, executor, self.unit_for)
        return self.dispatcher

    def _wake(self) -> None:
        if self.dispatcher is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self.dispatcher.wake)

    def unit_for(self, job: Claim) -> Unit:
        attempt = self.store.attempt(job.submission_id)
        data = self.blobs.get(attempt.sha256)
        label = f"{attempt.filename} (attempt {attempt.id}, received {attempt.received_at})"
        return self._unit(attempt.assignment, attempt.student_id, Submission(label, data, attempt.received_at))

    def _unit(self, assignment: str, student: str, submission: Submission | None) -> Unit:
        variant = Variant.derive(self.settings.secret, assignment, student)
        return Unit(str(self.course.root), assignment, student, variant.key, submission, self.settings.sandbox,
                    self.settings.limits)

    # --- what people see ----------------------------------------------------------------

    def policy(self, assignment: str) -> Policy:
        return self.settings.policy.of(assignment)

    def when(self, text: str | None) -> str:
        """A stored time (ISO 8601, UTC) as the course reads it, in the course's time zone."""
        return "–" if not text else self.settings.policy.local(parse_time(text))

    def assignment(self, name: str) -> Assignment | None:
        return self.assignments.get(name)

    def is_student(self, sid: str) -> bool:
        return sid in self.settings.roster.student_ids

    @functools.lru_cache(maxsize=512)
    def notebook(self, assignment: str, student: str) -> bytes:
        """The student's own notebook, as `generate` makes it."""
        variant = Variant.derive(self.settings.secret, assignment, student)
        return notebook_bytes(build_notebook(self.course, self.assignments[assignment], variant))

    def overrides(self, assignment: str, student: str) -> list[Override]:
        return self.store.overrides(assignment, student).get(student, [])

    def final(self, attempt: Attempt) -> Report | None:
        return gradesheet.final_report(attempt, self.overrides(attempt.assignment, attempt.student_id),
                                       self.policy(attempt.assignment))

    def submission_json(self, attempt: Attempt) -> dict:
        """GET /api/submissions/{id}: the attempt, and its report with overrides and lateness once graded;
        besides the contract's fields, whether it is late and its place in the queue."""
        report = self.final(attempt)
        record = Job(attempt.id, attempt.student_id, attempt.assignment, attempt.status, attempt.received_at,
                           None if report is None else report.score, self.assignments[attempt.assignment].max_score,
                           report)
        lateness = self.policy(attempt.assignment).lateness(attempt.received_at)
        return record.to_json() | {"late": lateness.late, "position": self.store.queue_position(attempt.id)}

    def standing(self, assignment: str, student: str, attempts: list[Attempt] | None = None,
                 overrides: list[Override] | None = None) -> gradesheet.Standing:
        attempts = self.store.attempts(assignment, student) if attempts is None else attempts
        overrides = self.overrides(assignment, student) if overrides is None else overrides
        return gradesheet.standing(student, attempts, overrides, self.policy(assignment),
                                   self._unit(assignment, student, None))

    def class_table(self, assignment: str) -> list[gradesheet.Standing]:
        """One standing per roster student, in roster order."""
        by_student: dict[str, list[Attempt]] = {}
        for attempt in self.store.attempts(assignment):
            by_student.setdefault(attempt.student_id, []).append(attempt)
        overrides = self.store.overrides(assignment)
        return [self.standing(assignment, sid, by_student.get(sid, []), overrides.get(sid, []))
                for sid in self.settings.roster.student_ids]

    def grade_row(self, row: gradesheet.Standing) -> dict:
        """One row of GET /api/assignments/{a}/grades."""
        return {"student_id": row.student_id, "score": row.report.score, "max_score": row.report.max_score,
                "submission": row.counting.id if row.counting else None, "late": row.late,
                "overrides": [o.to_json() for o in row.overrides]}

    # --- handing in ---------------------------------------------------------------------

    def hand_in(self, person: Person, assignment: str, filename: str, data: bytes) -> str:
        """Keep the file and queue its grading; the id of the new attempt. Raises Refused."""
        policy = self.policy(assignment)
        received = now()
        refusal = policy.refuses(parse_time(received))
        if refusal:
            raise Refused(403, refusal)
        if len(data) > policy.max_upload:
            raise Refused(413, too_large(policy.max_upload))
        self._admissible(person.id, assignment, policy, received)  # before writing the file, and again after
        sha = self.blobs.put(data)
        submission_id = secrets.token_hex(6)
        outcome, value = self.store.add_submission(submission_id, assignment, person.id, sha, _label(filename),
                                                   len(data), received, policy.max_queued, policy.min_interval)
        if outcome != "queued":
            self._admissible(person.id, assignment, policy, received)
            raise Refused(429, "Too many uploads at once; please try again.", 5)
        self._wake()
        return submission_id

    def _admissible(self, student: str, assignment: str, policy: Policy, received: str) -> None:
        waiting = self.store.pending(assignment, student)
        if waiting >= policy.max_queued:
            raise Refused(429, f"You already have {waiting} attempt{'s' if waiting != 1 else ''} of {assignment} "
                               f"waiting to be graded (at most {policy.max_queued}); upload again once one is graded.",
                          10)
        last = self.store.last_received(assignment, student)
        if last and policy.min_interval:
            wait = policy.min_interval - (parse_time(received) - parse_time(last)).total_seconds()
            if wait > 0:
                raise Refused(429, f"Attempts of {assignment} must be at least "
                                   f"{_minutes(policy.min_interval)} apart; you can upload again in {_minutes(wait)}.",
                              int(wait) + 1)

    # --- staff --------------------------------------------------------------------------

    def set_override(self, person: Person, assignment: str, student: str, task: str, score, comment) -> dict:
        definition = self.assignments[assignment]
        try:
            points = definition.task(task).points
        except KeyError:
            raise Refused(404, f"{assignment} has no task {str(task)[:100]!r} "
                               f"(tasks: {', '.join(t.name for t in definition.tasks)})") from None
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= points:
            raise Refused(400, f"score must be a number from 0 to {points:g}, the points of {task}")
        if not isinstance(comment, str):
            raise Refused(400, "comment must be text (it is shown to the student)")
        if len(comment) > 2000:
            raise Refused(400, "comment is longer than 2000 characters")
        override = Override(task, float(score), comment.strip(), person.id, now())
        self.store.set_override(assignment, student, override)
        return self.total(assignment, student) | {"override": override.to_json()}

    def delete_override(self, person: Person, assignment: str, student: str, task: str) -> dict:
        if not self.store.delete_override(assignment, student, task, person.id):
            raise Refused(404, f"{student} has no override of {str(task)[:100]!r} in {assignment}")
        return self.total(assignment, student)

    def total(self, assignment: str, student: str) -> dict:
        row = self.standing(assignment, student)
        return {"student_id": student, "assignment": assignment, "score": row.report.score,
                "max_score": row.report.max_score}

    def start_regrade(self, person: Person, assignment: str) -> int:
        run = self.store.start_regrade(assignment, person.id)
        if self.dispatcher is not None and self._loop is not None:
            # A fresh pool, so that the grader's code as it is on disk now is the code that regrades.
            self._loop.call_soon_threadsafe(self.dispatcher.renew)
        return run


def too_large(limit: int) -> str:
    return (f"The file is larger than {limit / 2**20:g} MiB, the most this course accepts. Clear the notebook's "
            "outputs (Kernel → Restart & Clear Output, or Edit → Clear All Outputs), save, and upload again.")


def _label(filename: str | None) -> str:
    """The file name as we keep and show it: no folders, no characters that hide or reorder text."""
    name = os.path.basename((filename or "notebook.ipynb").replace("\\", "/")) or "notebook.ipynb"
    return visible(re.sub(r"[\x00-\x1f\x7f]", "?", name[:120]))


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    return f"{seconds / 60:.0f} min"


def _form_key(data: Path) -> bytes:
    """The key of the cross-site form tokens, made once per data folder and readable by us alone."""
    path = data / "server.key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32))
    return path.read_bytes()
