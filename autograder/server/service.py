"""The course server's state apart from HTTP, and what stands: one `Service` per data folder holds
the store, the files, the course, who may sign in and the dispatcher that grades, and reads each
student's rules, each attempt's report as it counts, a student's standing and the class table.

What routes call besides, each a plain (blocking) function of the service that routes run in a
thread: `views` (what each page and API answer shows), `handin` (handing in), `changes`
(the attempt that counts, overrides, extensions, review requests) and `regrades`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from dataclasses import replace
from pathlib import Path
from typing import Callable

from ..assignment import Assignment
from ..course import Course
from ..grading import Unit
from ..notebooks import build_notebook, notebook_bytes
from ..policy import Extension, Policy
from ..records import Report, Submission
from ..variants import Variant
from . import gradesheet
from .auth import Auth, Person, form_key
from .blobs import Blobs
from .dispatch import Dispatcher
from .executors import Executor, LocalPool
from .settings import Current, People, Settings
from .store import Attempt, Claim, Extension as StoredExtension, Held, ReviewRequest, Store, parse_time

UPLOADS_IN_MEMORY = 2


class Refused(Exception):
    """An upload or a change that the rules do not allow; `status` is the HTTP status that says so."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class Service:
    def __init__(self, settings: Settings):
        settings.data.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.data / "autograder.sqlite")
        self.blobs = Blobs(settings.data / "files")
        self.course = Course.at(str(Path(settings.course_root).resolve()))
        self.assignments: dict[str, Assignment] = {n: self.course.assignment(n) for n in self.course.assignment_names()}
        self._current = Current(settings, list(self.assignments))
        self.auth = Auth(self.store, People(self._current), form_key(settings.data))
        self.dispatcher: Dispatcher | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

        # Uploads whose file is held in memory at once (each up to max_upload, with a copy or two while it
        # is checked): 20 students handing in 32 MiB at the same second wait their turn here.
        self.uploads_in_memory = asyncio.Semaphore(UPLOADS_IN_MEMORY)

    @property
    def settings(self) -> Settings:
        """As course.toml, the roster and the staff list say now."""
        return self._current.settings

    @property
    def course_file(self) -> dict | None:
        """course.toml's tables as last read (None: there is none); UserError when it cannot be read."""
        return self._current.course_file

    # --- grading ------------------------------------------------------------------------

    def start(self, executor: Executor | None = None) -> Dispatcher:
        """Called on the event loop at start-up."""
        self._loop = asyncio.get_running_loop()
        executor = executor or LocalPool(self.settings.jobs, self.settings.sandbox)
        self.dispatcher = Dispatcher(self.store, executor, self.unit_for)
        return self.dispatcher

    def on_loop(self, method: Callable, *args) -> None:
        """Call the dispatcher's `method` (e.g. Dispatcher.wake) on the event loop, from any thread;
        nothing before the dispatcher starts."""
        if self.dispatcher is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(method, self.dispatcher, *args)

    def on_change(self, listener: Callable[[], None]) -> None:
        """`listener()` whenever what stands changes (a grade, an override, an extension, ...): see
        `Store.on_change`."""
        self.store.on_change(listener)

    def unit_for(self, job: Claim) -> Unit:
        attempt = self.store.attempt(job.submission_id)
        data = self.blobs.get(attempt.sha256)
        label = f"{attempt.filename} (attempt {attempt.id})"  # its time is the report's submitted_at
        # Hidden inputs drawn from the file's content: new ones for every changed attempt, the same
        # ones (and the same report) for the same file.
        return replace(self._unit(attempt.assignment, attempt.student_id, Submission(label, data, attempt.received_at)),
                       salt=attempt.sha256)

    def _unit(self, assignment: str, student: str, submission: Submission | None) -> Unit:
        variant = Variant.derive(self.settings.secret, assignment, student)
        return Unit(str(self.course.root), assignment, student, variant.key, submission, self.settings.sandbox,
                    self.settings.limits)

    # --- what people see ----------------------------------------------------------------

    def policy(self, assignment: str) -> Policy:
        return self.settings.policy.of(assignment)

    def when(self, text: str | dt.datetime | None) -> str:
        """A stored time (ISO 8601, UTC) or a moment as the course reads it, in the course's time zone."""
        if not text:
            return "–"
        return self.settings.policy.local(parse_time(text) if isinstance(text, str) else text)

    def assignment(self, name: str) -> Assignment | None:
        return self.assignments.get(name)

    def is_student(self, sid: str) -> bool:
        return sid in self.settings.roster.student_ids

    def names(self) -> dict[str, str]:
        """The roster's name of each student ('' where it has none)."""
        return {row["student_id"]: row.get("name") or " ".join(filter(None, (row.get("first_name"),
                                                                             row.get("last_name"))))
                for row in self.settings.roster.rows}

    @functools.lru_cache(maxsize=512)
    def notebook(self, assignment: str, student: str) -> bytes:
        """The student's own notebook, as `generate` makes it."""
        variant = Variant.derive(self.settings.secret, assignment, student)
        return notebook_bytes(build_notebook(self.course, self.assignments[assignment], variant))

    @functools.lru_cache(maxsize=8192)
    def _codes(self, sha256: str) -> dict[str, str]:
        return gradesheet.task_codes(self.blobs.get(sha256))

    def codes(self, attempt: Attempt) -> dict[str, str]:
        """The digest of each task's code in the attempt's file."""
        return self._codes(attempt.sha256)

    def attempt(self, submission_id: str, viewer: Person) -> Attempt | None:
        """The attempt, if `viewer` may see it (staff any, a student their own); else None, as if there were none."""
        found = self.store.attempt(submission_id)
        return found if found is not None and (viewer.staff or found.student_id == viewer.id) else None

    def review_request(self, request_id: str) -> ReviewRequest | None:
        return self.store.request(request_id)

    # --- what stands --------------------------------------------------------------------

    def extension(self, assignment: str, student: str,
                  stored: dict[str, StoredExtension] | None = None) -> tuple[Extension | None, str]:
        """The student's extension (staff's on the server first, then course.toml's) and who granted it."""
        stored = self.store.extensions(assignment) if stored is None else stored
        if student in stored:
            e = stored[student]
            return Extension(parse_time(e.due), None if e.cutoff is None else parse_time(e.cutoff), e.comment), e.by
        return self.policy(assignment).extensions.get(student), "course.toml"

    def rules(self, assignment: str, student: str, overrides: list[Held] | None = None,
              chosen: tuple[str, str, str] | None | bool = False,
              extensions: dict[str, StoredExtension] | None = None) -> gradesheet.Rules:
        """What decides the student's standing besides the grades (looked up unless given)."""
        if overrides is None:
            overrides = self.store.overrides(assignment, student).get(student, [])
        if chosen is False:
            chosen = self.store.chosen(assignment).get(student)
        extension, by = self.extension(assignment, student, extensions)
        return gradesheet.Rules(self.policy(assignment).extended(extension), overrides, self.codes, chosen,
                                extension, by)

    def final(self, attempt: Attempt, viewer: Person | None = None, rules: gradesheet.Rules | None = None) -> Report | None:
        """The attempt's report as it counts; for a student, with the hidden checks as the policy shows them."""
        rules = rules or self.rules(attempt.assignment, attempt.student_id)
        report = gradesheet.final_report(attempt, rules)
        if report is None or viewer is None or viewer.staff:
            return report
        return gradesheet.hide(report, rules.policy, dt.datetime.now(dt.timezone.utc))

    def standing(self, assignment: str, student: str, attempts: list[Attempt] | None = None,
                 rules: gradesheet.Rules | None = None) -> gradesheet.Standing:
        """From reports without their checks, unless `attempts` are given."""
        attempts = self.store.attempts(assignment, student, checks=False) if attempts is None else attempts
        rules = rules or self.rules(assignment, student)
        return gradesheet.standing(student, attempts, rules, self._unit(assignment, student, None))

    def class_table(self, assignment: str, checks: bool = True) -> list[gradesheet.Standing]:
        """One standing per roster student, in roster order (`checks=False`: reports without their checks)."""
        return [self.standing(assignment, sid, attempts, rules)
                for sid, attempts, rules in self.class_rules(assignment, checks)]

    def class_rules(self, assignment: str, checks: bool = True) -> list[tuple[str, list[Attempt], gradesheet.Rules]]:
        """Every roster student's attempts and rules, read in one go."""
        by_student: dict[str, list[Attempt]] = {}
        for attempt in self.store.attempts(assignment, checks=checks):
            by_student.setdefault(attempt.student_id, []).append(attempt)
        overrides, chosen = self.store.overrides(assignment), self.store.chosen(assignment)
        extensions = self.store.extensions(assignment)
        return [(sid, by_student.get(sid, []), self.rules(assignment, sid, overrides.get(sid, []), chosen.get(sid),
                                                           extensions))
                for sid in self.settings.roster.student_ids]
