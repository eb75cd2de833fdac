"""What the pages and the API show, each as one plain value read from the service: a student's
start page and assignment, staff's start page, class table, page of one student, class summary
and exports, an attempt and its report (the regrade preview is in `regrades`).

Routes read a request's parameters, call one of these (or an operation: `handin`, `changes`,
`regrades`) and render a template or answer JSON; none reads the store. Tables of scores read reports without
their checks (`Store.attempts(checks=False)`: a whole report costs about 1 ms to decode); what
shows checks (a report, the summary, the regrade preview) reads them whole.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass

from .. import __version__, similarity
from ..integrations import exports
from ..policy import Policy
from ..records import Job, Report, Submission
from ..similarity.findings import CopySignal, Similarity
from ..summary import ClassSummary, class_summary
from .auth import Person
from .gradesheet import Standing
from .service import Service
from .store import Attempt, Regrade, ReviewRequest

SORTS = {
    "student": lambda r: r.student_id,
    "score": lambda r: r.report.score,
    "attempts": lambda r: r.attempts,
    "late": lambda r: r.late,
    "flags": lambda r: len(r.flags),
    "overrides": lambda r: len(r.overrides),
    "last": lambda r: r.counting.received_at if r.counting else "",
}


def fields(view) -> dict:
    """A view's fields by name (its values as they are), e.g. as a template's variables."""
    return {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}


# --- students ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Card:
    """One assignment on a student's start page."""

    name: str
    title: str
    policy: Policy  # with the student's own dates
    standing: Standing


def student_home(svc: Service, student: str) -> list[Card]:
    cards = []
    for name, assignment in svc.assignments.items():
        standing = svc.standing(name, student)
        cards.append(Card(name, assignment.title, standing.rules.policy, standing))
    return cards


@dataclass(frozen=True)
class Work:
    """One student's work at one assignment: their own page of it, and staff's page of them."""

    attempts: list[Attempt]  # newest first
    finals: dict[str, Report | None]  # each attempt's report as it counts, as the viewer may see it
    standing: Standing
    requests: list[ReviewRequest]  # the student's review requests, oldest first
    audit: list[tuple[str, str, str, dict]]  # for staff: every change by hand, newest first
    may_choose: bool  # whether the student may still choose the attempt that counts (before their due date)


def work(svc: Service, assignment: str, student: str, viewer: Person) -> Work:
    attempts = svc.store.attempts(assignment, student, checks=False)
    rules = svc.rules(assignment, student)
    standing = svc.standing(assignment, student, attempts, rules)
    due = rules.policy.due
    return Work(list(reversed(attempts)), {a.id: svc.final(a, viewer, rules) for a in attempts}, standing,
                svc.store.requests(assignment, student), svc.store.history(assignment, student) if viewer.staff else [],
                due is None or dt.datetime.now(dt.timezone.utc) <= due)


@dataclass(frozen=True)
class AttemptView:
    """One attempt: its status and facts, then its report."""

    info: dict  # as GET /api/submissions/{id} answers it
    counting: Attempt | None  # the student's attempt that counts now
    report: Report | None  # as it counts, as the viewer may see it; None while it waits for its grade


def attempt(svc: Service, found: Attempt, viewer: Person) -> AttemptView:
    return AttemptView(submission(svc, found, viewer),
                       svc.standing(found.assignment, found.student_id).counting, svc.final(found, viewer))


def submission(svc: Service, found: Attempt, viewer: Person) -> dict:
    """GET /api/submissions/{id}: the attempt, and its report with overrides and lateness once graded;
    besides the contract's fields, whether it is late, its place in the queue, who handed it in, and
    its review requests."""
    rules = svc.rules(found.assignment, found.student_id)
    report = svc.final(found, viewer, rules)
    record = Job(found.id, found.student_id, found.assignment, found.status, found.received_at,
                 None if report is None else report.score, svc.assignments[found.assignment].max_score, report)
    late = report.late if report is not None else rules.policy.lateness(found.received_at).late
    asked = [r.to_json() for r in svc.store.requests(found.assignment, found.student_id)
             if r.submission_id == found.id]
    return record.to_json() | {"late": late, "position": svc.store.queue_position(found.id),
                               "handed_in_by": found.handed_in_by, "requests": asked}


def handed_in(svc: Service, found: Attempt) -> tuple[str, bytes]:
    """The attempt's file as it was handed in, and a name to save it under."""
    return f"{found.student_id}-{found.assignment}-{found.id}.ipynb", svc.blobs.get(found.sha256)


# --- staff ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class StaffHome:
    counts: dict[str, dict[str, int]]  # by assignment: attempts, students (who handed in), waiting
    waiting: int  # jobs of the queue, of every assignment
    running: int
    policies: dict[str, Policy]


def staff_home(svc: Service) -> StaffHome:
    waiting, running = svc.store.queue_length()
    return StaffHome({name: svc.store.tally(name) for name in svc.assignments}, waiting, running,
                     {name: svc.policy(name) for name in svc.assignments})


@dataclass(frozen=True)
class ClassView:
    rows: list[Standing]  # the students the search found, sorted
    names: dict[str, str]  # the roster's names
    requests: list[ReviewRequest]  # the open review requests, oldest first
    mean: float | None  # of the rows with an attempt that counts
    regrade_run: Regrade | None  # the latest regrade
    policy: Policy


def class_view(svc: Service, assignment: str, query: str = "", sort: str = "student",
               descending: bool = False) -> ClassView:
    """`query` finds students by id or name; `sort`: a key of SORTS (else roster order)."""
    rows = svc.class_table(assignment, checks=False)
    names = svc.names()
    if query:
        rows = [r for r in rows if query.casefold() in f"{r.student_id} {names.get(r.student_id, '')}".casefold()]
    if sort in SORTS:
        rows.sort(key=lambda r: (SORTS[sort](r), r.student_id), reverse=descending)
    scores = [r.report.score for r in rows if r.counting]
    return ClassView(rows, names, svc.store.requests(assignment, open_only=True),
                     sum(scores) / len(scores) if scores else None, svc.store.latest_regrade(assignment),
                     svc.policy(assignment))


def grades(svc: Service, assignment: str) -> list[dict]:
    """GET /api/assignments/{a}/grades: one row per roster student."""
    return [{"student_id": row.student_id, "score": row.report.score, "max_score": row.report.max_score,
             "submission": row.counting.id if row.counting else None, "late": row.late,
             "overrides": [o.to_json() for o in row.overrides], "stale_overrides": [o.to_json() for o in row.stale]}
            for row in svc.class_table(assignment, checks=False)]


def review_queue(svc: Service, assignment: str, answered_too: bool = False) -> list[dict]:
    """The review requests of an assignment, oldest first: the open ones (`answered_too`: every one)."""
    return [r.to_json() for r in svc.store.requests(assignment, open_only=not answered_too)]


def export(svc: Service, assignment: str, fmt: str, canvas_assignment_id: str | None = None) -> str:
    """The grades as an LMS imports them (`fmt`: a format of `exports`)."""
    finals = [row.report for row in svc.class_table(assignment, checks=False)]
    return exports.export(fmt, svc.assignments[assignment], finals, svc.settings.roster, canvas_assignment_id)


def summary(svc: Service, assignment: str) -> ClassSummary:
    """The class summary of every student's standing, with possibly copied work."""
    rows = svc.class_table(assignment)
    return class_summary(svc.assignments[assignment], [row.report for row in rows], svc.settings.sandbox,
                         __version__, similarity=_copied_work(svc, assignment, rows))


def _copied_work(svc: Service, assignment: str, rows: list[Standing]) -> Similarity:
    """Every student's counting attempt compared with every other's, and so is every student's latest
    attempt (a copy need not be the one that counts)."""
    counting = {row.student_id: row.counting.sha256 for row in rows if row.counting is not None}
    latest = {a.student_id: a.sha256 for a in svc.store.attempts(assignment, checks=False)}
    return _similar(svc, assignment, tuple(sorted(counting.items())), tuple(sorted(latest.items())))


@functools.lru_cache(maxsize=16)
def _similar(svc: Service, assignment: str, *rounds: tuple[tuple[str, str], ...]) -> Similarity:
    signals, pairs, seen = [], [], set()
    for files in dict.fromkeys(rounds):  # the latest attempts are often the counting ones
        found = similarity.review(svc.course, svc.assignments[assignment], svc.settings.roster.student_ids,
                                  {sid: Submission(sid, svc.blobs.get(sha)) for sid, sha in files},
                                  svc.settings.secret).summary
        for item in (*found.signals, *found.pairs):
            key = (type(item).__name__, item.students)
            if key not in seen:
                seen.add(key)
                (signals if isinstance(item, CopySignal) else pairs).append(item)
    pairs.sort(key=lambda pair: -pair.score)
    return Similarity(similarity.fingerprints.THRESHOLD, tuple(signals), tuple(pairs),
                      tuple(similarity.fingerprints.clusters(pairs)))
