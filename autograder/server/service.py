"""The course server's state and its operations, apart from HTTP: what routes and pages call.

One `Service` per data folder: the store, the files, who may sign in, the course and its
policy, and the dispatcher that grades. Each method is a plain (blocking) function;
routes run them in a thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import similarity
from ..assignment import Assignment
from ..course import Course
from ..errors import UserError
from ..grading import Unit
from ..notebooks import build_notebook, notebook_bytes
from ..policy import CoursePolicy, Extension, Policy, read_policy
from ..records import Job, Override, Report, Submission
from ..render.reports import visible
from ..roster import Roster, read_roster
from ..sandbox import Limits
from ..similarity.findings import CopySignal, Similarity
from ..variants import Variant
from . import gradesheet, uploads
from .auth import Auth, Person
from .blobs import Blobs
from .dispatch import Dispatcher
from .executors import Executor, LocalPool
from .people import everyone, read_staff
from .store import Attempt, Claim, Extension as StoredExtension, Held, ReviewRequest, Store, now, parse_time

log = logging.getLogger("autograder.server")
RELOAD_CHECK = 1.0  # seconds between looks at course.toml, the roster and the staff list


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
    # Where the roster and staff list came from, and the options that win over course.toml:
    # edits to these files (and to course.toml) take effect without a restart.
    roster_path: Path | None = None
    staff_path: Path | None = None
    options: tuple[tuple[str, object], ...] = ()


UPLOADS_IN_MEMORY = 2


class Refused(Exception):
    """An upload or a change that the rules do not allow; `status` is the HTTP status that says so."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class Service:
    def __init__(self, settings: Settings):
        self._settings = settings
        settings.data.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.data / "autograder.sqlite")
        self.blobs = Blobs(settings.data / "files")
        self.course = Course.at(str(Path(settings.course_root).resolve()))
        self.assignments: dict[str, Assignment] = {n: self.course.assignment(n) for n in self.course.assignment_names()}
        self._people = everyone(settings.roster, list(settings.staff))
        self.auth = Auth(self.store, _Everyone(self), _form_key(settings.data))
        self.dispatcher: Dispatcher | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reload_lock = threading.Lock()
        self._looked = time.monotonic()
        self._stamp = self._files_stamp()

        # Uploads whose file is held in memory at once (each up to max_upload, with a copy or two while it
        # is checked): 20 students handing in 32 MiB at the same second wait their turn here.
        self.uploads_in_memory = asyncio.Semaphore(UPLOADS_IN_MEMORY)

    # --- the course's files, read again when they change --------------------------------

    @property
    def settings(self) -> Settings:
        self._reload()
        return self._settings

    @property
    def people(self) -> dict[str, str]:
        self._reload()
        return self._people

    def _files_stamp(self) -> tuple:
        s = self._settings
        paths = [Path(s.course_root) / "course.toml", s.roster_path, s.staff_path]
        return tuple(_stat(path) for path in paths if path is not None)

    def _reload(self) -> None:
        """Read course.toml, the roster and the staff list again if any changed (looked at once a second).
        A file with a mistake keeps the rules in force and says why in the log."""
        if time.monotonic() - self._looked < RELOAD_CHECK:
            return
        with self._reload_lock:
            if time.monotonic() - self._looked < RELOAD_CHECK:
                return
            self._looked = time.monotonic()
            stamp = self._files_stamp()
            if stamp == self._stamp:
                return
            self._stamp = stamp
            s = self._settings
            try:
                policy = read_policy(s.course_root, list(self.assignments)).with_options(**dict(s.options))
                roster = read_roster(s.roster_path) if s.roster_path else s.roster
                staff = tuple(read_staff(s.staff_path)) if s.staff_path else s.staff
                people = everyone(roster, list(staff))
            except (UserError, OSError) as exc:
                log.error("kept the rules and people in force: %s", exc)
                return
            self._settings = replace(s, policy=policy, roster=roster, staff=staff)
            self._people = people
            log.info("read course.toml, the roster and the staff list again (%d students, %d staff)",
                     len(roster.student_ids), len(staff))

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

    def submission_json(self, attempt: Attempt, viewer: Person | None = None) -> dict:
        """GET /api/submissions/{id}: the attempt, and its report with overrides and lateness once graded;
        besides the contract's fields, whether it is late, its place in the queue, who handed it in, and
        its review requests."""
        rules = self.rules(attempt.assignment, attempt.student_id)
        report = self.final(attempt, viewer, rules)
        record = Job(attempt.id, attempt.student_id, attempt.assignment, attempt.status, attempt.received_at,
                     None if report is None else report.score, self.assignments[attempt.assignment].max_score,
                     report)
        late = report.late if report is not None else rules.policy.lateness(attempt.received_at).late
        asked = [r.to_json() for r in self.store.requests(attempt.assignment, attempt.student_id)
                 if r.submission_id == attempt.id]
        return record.to_json() | {"late": late, "position": self.store.queue_position(attempt.id),
                                   "handed_in_by": attempt.handed_in_by, "requests": asked}

    def standing(self, assignment: str, student: str, attempts: list[Attempt] | None = None,
                 rules: gradesheet.Rules | None = None) -> gradesheet.Standing:
        attempts = self.store.attempts(assignment, student) if attempts is None else attempts
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

    def copied_work(self, assignment: str) -> Similarity:
        """Possibly copied work, for the class summary: every student's counting attempt compared with
        every other's, and so is every student's latest attempt (a copy need not be the one that counts)."""
        latest, counting = {}, {}
        for row in self.class_table(assignment):
            if row.counting is not None:
                counting[row.student_id] = row.counting.sha256
        for attempt in self.store.attempts(assignment):
            latest[attempt.student_id] = attempt.sha256
        return self._copied_work(assignment, tuple(sorted(counting.items())), tuple(sorted(latest.items())))

    @functools.lru_cache(maxsize=16)
    def _copied_work(self, assignment: str, *rounds: tuple[tuple[str, str], ...]) -> Similarity:
        signals, pairs, seen = [], [], set()
        for files in dict.fromkeys(rounds):  # the latest attempts are often the counting ones
            found = similarity.review(self.course, self.assignments[assignment], self.settings.roster.student_ids,
                                      {sid: Submission(sid, self.blobs.get(sha)) for sid, sha in files},
                                      self.settings.secret).summary
            for item in (*found.signals, *found.pairs):
                key = (type(item).__name__, item.students)
                if key not in seen:
                    seen.add(key)
                    (signals if isinstance(item, CopySignal) else pairs).append(item)
        pairs.sort(key=lambda pair: -pair.score)
        return Similarity(similarity.fingerprints.THRESHOLD, tuple(signals), tuple(pairs),
                          tuple(similarity.fingerprints.clusters(pairs)))

    def grade_row(self, row: gradesheet.Standing) -> dict:
        """One row of GET /api/assignments/{a}/grades."""
        return {"student_id": row.student_id, "score": row.report.score, "max_score": row.report.max_score,
                "submission": row.counting.id if row.counting else None, "late": row.late,
                "overrides": [o.to_json() for o in row.overrides],
                "stale_overrides": [o.to_json() for o in row.stale]}

    # --- handing in ---------------------------------------------------------------------

    def admit(self, person: Person, assignment: str, size: int = 0, student: str | None = None) -> None:
        """Raises Refused if a file of about `size` bytes may not be handed in now: asked before the upload's
        body is read, and again (with the file's real size) before it is kept. `student`: staff hand in for
        that student (after the cut-off too, beyond the queue and the quota)."""
        student = student or person.id
        policy = self.rules(assignment, student, overrides=[], chosen=None).policy
        if size > policy.max_upload:
            raise Refused(413, too_large(policy.max_upload))
        if not person.staff:
            received = now()
            refusal = policy.refuses(parse_time(received))
            if refusal:
                raise Refused(403, refusal)
            self._admissible(student, assignment, policy, received, size)

    def hand_in(self, person: Person, assignment: str, filename: str, data: bytes, student: str | None = None) -> str:
        """Keep the file and queue its grading; the id of the new attempt. Raises Refused.
        `student`: staff hand in for that student (after the cut-off too, marked as theirs)."""
        self.admit(person, assignment, len(data), student)  # before writing the file, and again in its transaction
        student = student or person.id
        policy = self.rules(assignment, student, overrides=[], chosen=None).policy
        received = now()
        variant = None if person.staff else Variant.derive(self.settings.secret, assignment, student)
        wrong = uploads.refusal(data, self.assignments[assignment], variant,
                                {n: a.title for n, a in self.assignments.items()})
        if wrong:
            raise Refused(422, wrong)
        sha = self.blobs.put(data)
        submission_id = secrets.token_hex(6)
        limits = (policy.max_queued, policy.min_interval, policy.quota) if not person.staff else (10**6, 0.0, 2**62)
        outcome, value = self.store.add_submission(submission_id, assignment, student, sha, _label(filename),
                                                   len(data), received, *limits,
                                                   handed_in_by=person.id if person.staff else None)
        if outcome != "queued":
            self._admissible(student, assignment, policy, received, len(data))
            raise Refused(429, "Too many uploads at once; please try again.", 5)
        self._wake()
        return submission_id

    def _admissible(self, student: str, assignment: str, policy: Policy, received: str, size: int) -> None:
        waiting = self.store.pending(student)
        if waiting >= policy.max_queued:
            raise Refused(429, f"You already have {waiting} attempt{'s' if waiting != 1 else ''} waiting to be "
                               f"graded (at most {policy.max_queued}, of all assignments together); upload again "
                               "once one is graded.", 10)
        used = self.store.stored(assignment, student)
        if used + size > policy.quota:
            raise Refused(413, f"Your attempts of {assignment} take up {_mib(used)} of the {_mib(policy.quota)} this "
                               f"course keeps for each student; this file ({_mib(size)}) does not fit. Clear the "
                               "notebook's outputs to make it smaller, or ask your course staff.")
        last = self.store.last_received(assignment, student)
        if last and policy.min_interval:
            wait = policy.min_interval - (parse_time(received) - parse_time(last)).total_seconds()
            if wait > 0:
                raise Refused(429, f"Attempts of {assignment} must be at least "
                                   f"{_minutes(policy.min_interval)} apart; you can upload again in {_minutes(wait)}.",
                              int(wait) + 1)

    def choose(self, person: Person, assignment: str, student: str, submission_id) -> dict:
        """The attempt that counts (None: the policy decides again): the student's own choice before
        their due date, staff's at any time. Raises Refused."""
        if not person.staff:
            if person.id != student:
                raise Refused(403, "you can choose only your own attempt")
            policy = self.rules(assignment, student, overrides=[], chosen=None).policy
            if policy.due is not None and dt.datetime.now(dt.timezone.utc) > policy.due:
                raise Refused(403, f"the due date ({self.when(policy.due)}) has passed: the attempt that counts can "
                                   "no longer be changed by you; ask your course staff")
        if submission_id is not None:
            attempt = self.store.attempt(str(submission_id)) if isinstance(submission_id, str) else None
            if attempt is None or attempt.assignment != assignment or attempt.student_id != student:
                raise Refused(404, f"{student} has no attempt {str(submission_id)[:40]!r} at {assignment}")
            if attempt.status == "ungradable":
                raise Refused(409, "that attempt could not be graded, so it cannot count; choose a graded one")
        self.store.choose(assignment, student, submission_id, person.id)
        return self.total(assignment, student)

    # --- staff --------------------------------------------------------------------------

    def set_override(self, person: Person, assignment: str, student: str, task: str, score, comment,
                     on: Attempt | None = None) -> dict:
        """The override judges the code of task in `on` (default: the attempt that counts now)."""
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
        on = on or self.standing(assignment, student).counting
        code = gradesheet.NOTHING if on is None else self.codes(on).get(task, "missing")
        override = Override(task, float(score), comment.strip(), person.id, now())
        self.store.set_override(assignment, student, override, code)
        return self.total(assignment, student) | {"override": override.to_json()}

    def delete_override(self, person: Person, assignment: str, student: str, task: str) -> dict:
        if not self.store.delete_override(assignment, student, task, person.id):
            raise Refused(404, f"{student} has no override of {str(task)[:100]!r} in {assignment}")
        return self.total(assignment, student)

    def total(self, assignment: str, student: str) -> dict:
        row = self.standing(assignment, student)
        return {"student_id": student, "assignment": assignment, "score": row.report.score,
                "max_score": row.report.max_score, "submission": row.counting.id if row.counting else None}

    def set_extension(self, person: Person, assignment: str, student: str, due, cutoff, comment) -> dict:
        try:
            due_at = _moment(due, "due")
            cutoff_at = None if cutoff is None else _moment(cutoff, "cutoff")
        except ValueError as exc:
            raise Refused(400, str(exc)) from None
        if cutoff_at is not None and cutoff_at < due_at:
            raise Refused(400, "cutoff is before due; give a cut-off after the due date, or null for none")
        if not isinstance(comment, str) or len(comment) > 2000:
            raise Refused(400, "comment must be text of at most 2000 characters")
        stored = StoredExtension(_utc(due_at), None if cutoff_at is None else _utc(cutoff_at), comment.strip(),
                                 person.id, now())
        self.store.set_extension(assignment, student, stored, person.id)
        return self.extension_json(assignment, student)

    def delete_extension(self, person: Person, assignment: str, student: str) -> dict:
        if not self.store.set_extension(assignment, student, None, person.id):
            raise Refused(404, f"{student} has no extension at {assignment} set on the server")
        return self.extension_json(assignment, student)

    def extension_json(self, assignment: str, student: str) -> dict:
        extension, by = self.extension(assignment, student)
        policy = self.policy(assignment).extended(extension)
        return {"student_id": student, "assignment": assignment, "due": _iso(policy.due),
                "cutoff": _iso(policy.late_cutoff), "comment": extension.comment if extension else "",
                "extended": extension is not None, "by": by if extension else None} | self.total(assignment, student)

    def request_review(self, person: Person, attempt: Attempt, task, message) -> dict:
        if attempt.report is None:
            raise Refused(409, "this attempt is not graded yet; ask about it once its report is here")
        tasks = [t.name for t in self.assignments[attempt.assignment].tasks]
        if task not in tasks:
            raise Refused(400, f"task must be one of {', '.join(tasks)}")
        if not isinstance(message, str) or not message.strip() or len(message) > 4000:
            raise Refused(400, "message must be text of 1 to 4000 characters: what should the staff look at?")
        if len(self.store.requests(attempt.assignment, person.id, open_only=True)) >= 20:
            raise Refused(429, "you have 20 open review requests; wait for answers before asking more")
        request = ReviewRequest(secrets.token_hex(6), attempt.id, attempt.assignment, person.id, task,
                                message.strip(), now())
        self.store.add_request(request)
        return request.to_json()

    def answer_review(self, person: Person, request_id: str, comment, score) -> dict:
        request = self.store.request(request_id)
        if request is None:
            raise Refused(404, "no such review request")
        if not isinstance(comment, str) or not comment.strip() or len(comment) > 4000:
            raise Refused(400, "comment must be text of 1 to 4000 characters (the student reads it)")
        if score is not None:
            self.set_override(person, request.assignment, request.student_id, request.task, score, comment,
                              on=self.store.attempt(request.submission_id))
        self.store.answer_request(request_id, comment.strip(), None if score is None else float(score), person.id)
        return self.store.request(request_id).to_json()

    def start_regrade(self, person: Person, assignment: str) -> int:
        run = self.store.start_regrade(assignment, person.id)
        if self.dispatcher is not None and self._loop is not None:
            # A fresh pool for the preview, so that the grader's code as it is on disk now is the code
            # that regrades; uploads stay with the pool in force.
            self._loop.call_soon_threadsafe(self.dispatcher.open_preview)
        return run

    def close_regrade(self, person: Person, run: int, apply: bool) -> None:
        if apply:
            self.store.apply_regrade(run, person.id)
        else:
            self.store.discard_regrade(run, person.id)
        if self.dispatcher is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self.dispatcher.close_preview, apply)


class _Everyone(Mapping):
    """The people who may sign in (id → role), as the roster and staff list say now."""

    def __init__(self, service: Service):
        self.service = service

    def __getitem__(self, key: str) -> str:
        return self.service.people[key]

    def __iter__(self):
        return iter(self.service.people)

    def __len__(self) -> int:
        return len(self.service.people)


def _stat(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is edited or replaced (an editor's or a sync's new file has a new inode)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


def _moment(value, what: str) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be an ISO 8601 date and time with its offset, e.g. 2026-12-10T23:59:00+01:00")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} {value[:40]!r} is not ISO 8601, e.g. 2026-12-10T23:59:00+01:00") from None
    if moment.tzinfo is None:
        raise ValueError(f"{what} needs its offset (e.g. +01:00 or Z): {value[:40]!r}")
    return moment


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def too_large(limit: int) -> str:
    return (f"The file is larger than {limit / 2**20:g} MiB, the most this course accepts. Clear the notebook's "
            "outputs (Kernel → Restart & Clear Output, or Edit → Clear All Outputs), save, and upload again.")


def _label(filename: str | None) -> str:
    """The file name as we keep and show it: no folders, no characters that hide or reorder text."""
    name = os.path.basename((filename or "notebook.ipynb").replace("\\", "/")) or "notebook.ipynb"
    return visible(re.sub(r"[\x00-\x1f\x7f]", "?", name[:120]))


def _mib(count: int) -> str:
    return f"{count / 2**20:.1f} MiB"


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
