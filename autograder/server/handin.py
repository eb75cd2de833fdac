"""Handing in: whether a file may be kept now (asked before an upload's body is read, and again with
its real size), and keeping it with its grading queued. Staff hand in for a student after the
cut-off too, beyond the queue and the quota."""

from __future__ import annotations

import os
import re
import secrets

from ..policy import Policy
from ..render.reports import visible
from ..variants import Variant
from . import uploads
from .auth import Person
from .dispatch import Dispatcher
from .service import Refused, Service
from .store import now, parse_time


def admit(svc: Service, person: Person, assignment: str, size: int = 0, student: str | None = None) -> None:
    """Raises Refused if a file of about `size` bytes may not be handed in now: asked before the upload's
    body is read, and again (with the file's real size) before it is kept. `student`: staff hand in for
    that student (after the cut-off too, beyond the queue and the quota)."""
    student = student or person.id
    policy = svc.rules(assignment, student, overrides=[], chosen=None).policy
    if size > policy.max_upload:
        raise Refused(413, too_large(policy.max_upload))
    if not person.staff:
        received = now()
        refusal = policy.refuses(parse_time(received))
        if refusal:
            raise Refused(403, refusal)
        _admissible(svc, student, assignment, policy, received, size)


def hand_in(svc: Service, person: Person, assignment: str, filename: str, data: bytes,
            student: str | None = None) -> str:
    """Keep the file and queue its grading; the id of the new attempt. Raises Refused.
    `student`: staff hand in for that student (after the cut-off too, marked as theirs)."""
    admit(svc, person, assignment, len(data), student)  # before writing the file, and again in its transaction
    student = student or person.id
    policy = svc.rules(assignment, student, overrides=[], chosen=None).policy
    received = now()
    variant = None if person.staff else Variant.derive(svc.settings.secret, assignment, student)
    wrong = uploads.refusal(data, svc.assignments[assignment], variant,
                            {n: a.title for n, a in svc.assignments.items()})
    if wrong:
        raise Refused(422, wrong)
    sha = svc.blobs.put(data)
    submission_id = secrets.token_hex(6)
    limits = (policy.max_queued, policy.min_interval, policy.quota) if not person.staff else (10**6, 0.0, 2**62)
    outcome, value = svc.store.add_submission(submission_id, assignment, student, sha, _label(filename),
                                               len(data), received, *limits,
                                               handed_in_by=person.id if person.staff else None)
    if outcome != "queued":
        _admissible(svc, student, assignment, policy, received, len(data))
        raise Refused(429, "Too many uploads at once; please try again.", 5)
    svc.on_loop(Dispatcher.wake)
    return submission_id


def _admissible(svc: Service, student: str, assignment: str, policy: Policy, received: str, size: int) -> None:
    waiting = svc.store.pending(student)
    if waiting >= policy.max_queued:
        raise Refused(429, f"You already have {waiting} attempt{'s' if waiting != 1 else ''} waiting to be "
                           f"graded (at most {policy.max_queued}, of all assignments together); upload again "
                           "once one is graded.", 10)
    used = svc.store.stored(assignment, student)
    if used + size > policy.quota:
        raise Refused(413, f"Your attempts of {assignment} take up {_mib(used)} of the {_mib(policy.quota)} this "
                           f"course keeps for each student; this file ({_mib(size)}) does not fit. Clear the "
                           "notebook's outputs to make it smaller, or ask your course staff.")
    last = svc.store.last_received(assignment, student)
    if last and policy.min_interval:
        wait = policy.min_interval - (parse_time(received) - parse_time(last)).total_seconds()
        if wait > 0:
            raise Refused(429, f"Attempts of {assignment} must be at least "
                               f"{_minutes(policy.min_interval)} apart; you can upload again in {_minutes(wait)}.",
                          int(wait) + 1)


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
