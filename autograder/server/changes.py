"""Changes by hand to what stands, each recorded with who made it and when: the attempt that counts,
staff's scores for tasks (overrides, which follow the code they judged), a student's own dates
(extensions), and review requests with their answers. Each raises Refused when the rules say no,
and returns what the JSON API answers (mostly the student's new total)."""

from __future__ import annotations

import datetime as dt
import secrets

from ..records import Override
from . import gradesheet
from .auth import Person
from .service import Refused, Service
from .store import Attempt, Extension as StoredExtension, ReviewRequest, now


def choose(svc: Service, person: Person, assignment: str, student: str, submission_id) -> dict:
    """The attempt that counts (None: the policy decides again): the student's own choice before
    their due date, staff's at any time. Raises Refused."""
    if not person.staff:
        if person.id != student:
            raise Refused(403, "you can choose only your own attempt")
        policy = svc.rules(assignment, student, overrides=[], chosen=None).policy
        if policy.due is not None and dt.datetime.now(dt.timezone.utc) > policy.due:
            raise Refused(403, f"the due date ({svc.when(policy.due)}) has passed: the attempt that counts can "
                               "no longer be changed by you; ask your course staff")
    if submission_id is not None:
        attempt = svc.store.attempt(str(submission_id)) if isinstance(submission_id, str) else None
        if attempt is None or attempt.assignment != assignment or attempt.student_id != student:
            raise Refused(404, f"{student} has no attempt {str(submission_id)[:40]!r} at {assignment}")
        if attempt.status == "ungradable":
            raise Refused(409, "that attempt could not be graded, so it cannot count; choose a graded one")
    svc.store.choose(assignment, student, submission_id, person.id)
    return total(svc, assignment, student)


def set_override(svc: Service, person: Person, assignment: str, student: str, task: str, score, comment,
                 on: Attempt | None = None) -> dict:
    """The override judges the code of task in `on` (default: the attempt that counts now)."""
    definition = svc.assignments[assignment]
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
    on = on or svc.standing(assignment, student).counting
    code = gradesheet.NOTHING if on is None else svc.codes(on).get(task, "missing")
    override = Override(task, float(score), comment.strip(), person.id, now())
    svc.store.set_override(assignment, student, override, code)
    return total(svc, assignment, student) | {"override": override.to_json()}


def delete_override(svc: Service, person: Person, assignment: str, student: str, task: str) -> dict:
    if not svc.store.delete_override(assignment, student, task, person.id):
        raise Refused(404, f"{student} has no override of {str(task)[:100]!r} in {assignment}")
    return total(svc, assignment, student)


def total(svc: Service, assignment: str, student: str) -> dict:
    row = svc.standing(assignment, student)
    return {"student_id": student, "assignment": assignment, "score": row.report.score,
            "max_score": row.report.max_score, "submission": row.counting.id if row.counting else None}


def set_extension(svc: Service, person: Person, assignment: str, student: str, due, cutoff, comment) -> dict:
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
    svc.store.set_extension(assignment, student, stored, person.id)
    return extension_json(svc, assignment, student)


def delete_extension(svc: Service, person: Person, assignment: str, student: str) -> dict:
    if not svc.store.set_extension(assignment, student, None, person.id):
        raise Refused(404, f"{student} has no extension at {assignment} set on the server")
    return extension_json(svc, assignment, student)


def extension_json(svc: Service, assignment: str, student: str) -> dict:
    extension, by = svc.extension(assignment, student)
    policy = svc.policy(assignment).extended(extension)
    return {"student_id": student, "assignment": assignment, "due": _iso(policy.due),
            "cutoff": _iso(policy.late_cutoff), "comment": extension.comment if extension else "",
            "extended": extension is not None, "by": by if extension else None} | total(svc, assignment, student)


def request_review(svc: Service, person: Person, attempt: Attempt, task, message) -> dict:
    if attempt.report is None:
        raise Refused(409, "this attempt is not graded yet; ask about it once its report is here")
    tasks = [t.name for t in svc.assignments[attempt.assignment].tasks]
    if task not in tasks:
        raise Refused(400, f"task must be one of {', '.join(tasks)}")
    if not isinstance(message, str) or not message.strip() or len(message) > 4000:
        raise Refused(400, "message must be text of 1 to 4000 characters: what should the staff look at?")
    if len(svc.store.requests(attempt.assignment, person.id, open_only=True)) >= 20:
        raise Refused(429, "you have 20 open review requests; wait for answers before asking more")
    request = ReviewRequest(secrets.token_hex(6), attempt.id, attempt.assignment, person.id, task,
                            message.strip(), now())
    svc.store.add_request(request)
    return request.to_json()


def answer_review(svc: Service, person: Person, request_id: str, comment, score) -> dict:
    request = svc.store.request(request_id)
    if request is None:
        raise Refused(404, "no such review request")
    if not isinstance(comment, str) or not comment.strip() or len(comment) > 4000:
        raise Refused(400, "comment must be text of 1 to 4000 characters (the student reads it)")
    if score is not None:
        set_override(svc, person, request.assignment, request.student_id, request.task, score, comment,
                     on=svc.store.attempt(request.submission_id))
    svc.store.answer_request(request_id, comment.strip(), None if score is None else float(score), person.id)
    return svc.store.request(request_id).to_json()


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
