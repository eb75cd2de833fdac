"""The JSON API, exactly as SPEC.md's "The course server" lists it. Errors are `{"error": "..."}`.

A student reaches only their own notebook, attempts and reports: another student's
submission id answers 404 (as if it did not exist), a staff route 403.
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import changes, handin, views
from . import incoming
from .service import Refused


def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def me(request: Request) -> JSONResponse:
    who = incoming.signed_in(request)
    return JSONResponse({"id": who.id, "role": who.role})


def assignments(request: Request) -> JSONResponse:
    """A student sees their own due date (an extension's, if they have one)."""
    who = incoming.signed_in(request)
    svc = incoming.service(request)
    return JSONResponse([
        {"name": name, "title": a.title, "max_score": a.max_score,
         "due": _iso((svc.policy(name) if who.staff else svc.rules(name, who.id, [], None).policy).due)}
        for name, a in svc.assignments.items()
    ])


def notebook(request: Request) -> Response:
    who = incoming.student(request)
    name = _assignment(request)
    data = incoming.service(request).notebook(name, who.id)
    return Response(data, media_type="application/x-ipynb+json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.ipynb"'})


async def submit(request: Request) -> JSONResponse:
    who = await run_in_threadpool(incoming.student, request)
    return await _submit(request, who, None)


async def submit_for(request: Request) -> JSONResponse:
    """Staff hand in for a student: accepted after the cut-off too, marked as handed in by them."""
    who = await run_in_threadpool(incoming.staff, request)
    return await _submit(request, who, _student(request))


async def _submit(request: Request, who, student: str | None) -> JSONResponse:
    name = _assignment(request)
    _same_site(request)
    svc = incoming.service(request)
    try:
        async with incoming.notebook(request, who, name, student) as (filename, data, _):
            submission_id = await run_in_threadpool(handin.hand_in, svc, who, name, filename, data, student)
    except Refused as exc:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        raise HTTPException(exc.status, exc.message, headers=headers) from None
    return JSONResponse({"id": submission_id, "status": "queued"}, status_code=202,
                        headers={"Location": f"/api/submissions/{submission_id}"})


def submission(request: Request) -> JSONResponse:
    who = incoming.signed_in(request)
    svc = incoming.service(request)
    attempt = svc.attempt(request.path_params["id"], who)
    if attempt is None:
        raise HTTPException(404, "no such submission")
    return JSONResponse(views.submission(svc, attempt, who))


def grades(request: Request) -> JSONResponse:
    incoming.staff(request)
    name = _assignment(request)
    svc = incoming.service(request)
    return JSONResponse(views.grades(svc, name))


async def set_override(request: Request) -> JSONResponse:
    who = await run_in_threadpool(incoming.staff, request)
    name, sid = _assignment(request), _student(request)
    _same_site(request)
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HTTPException(400, 'send JSON: {"task": ..., "score": ..., "comment": ...}') from None
    if not isinstance(body, dict) or "task" not in body or "score" not in body:
        raise HTTPException(400, 'send JSON with "task" and "score" (and a "comment" for the student)')
    svc = incoming.service(request)
    result = await run_in_threadpool(_refusing, changes.set_override, svc, who, name, sid, str(body["task"]),
                                     body["score"], body.get("comment", ""))
    return JSONResponse(result)


async def counting(request: Request) -> JSONResponse:
    """PUT {"submission": ID}: that attempt counts (the student before their due date, staff any time);
    DELETE: the policy decides again."""
    who = await run_in_threadpool(incoming.signed_in, request)
    name, sid = _assignment(request), _student(request)
    _same_site(request)
    if not who.staff and who.id != sid:
        raise HTTPException(403, "you can choose only your own attempt")
    chosen = None
    if request.method == "PUT":
        body = await _json(request, '{"submission": "<attempt id>"}')
        if not isinstance(body.get("submission"), str):
            raise HTTPException(400, 'send JSON {"submission": "<attempt id>"}')
        chosen = body["submission"]
    svc = incoming.service(request)
    return JSONResponse(await run_in_threadpool(_refusing, changes.choose, svc, who, name, sid, chosen))


async def extension(request: Request) -> JSONResponse:
    """PUT {"due", "cutoff", "comment"} (ISO 8601 with offset; cutoff may be null); DELETE."""
    who = await run_in_threadpool(incoming.staff, request)
    name, sid = _assignment(request), _student(request)
    _same_site(request)
    svc = incoming.service(request)
    if request.method == "DELETE":
        return JSONResponse(await run_in_threadpool(_refusing, changes.delete_extension, svc, who, name, sid))
    body = await _json(request, '{"due": "2026-12-10T23:59:00+01:00", "cutoff": null, "comment": "..."}')
    if "due" not in body:
        raise HTTPException(400, 'send JSON with "due" (and "cutoff", "comment")')
    return JSONResponse(await run_in_threadpool(_refusing, changes.set_extension, svc, who, name, sid, body["due"],
                                                body.get("cutoff"), body.get("comment", "")))


async def ask_review(request: Request) -> JSONResponse:
    who = await run_in_threadpool(incoming.student, request)
    _same_site(request)
    svc = incoming.service(request)
    attempt = svc.attempt(request.path_params["id"], who)
    if attempt is None:
        raise HTTPException(404, "no such submission")
    body = await _json(request, '{"task": "<function name>", "message": "..."}')
    answer = await run_in_threadpool(_refusing, changes.request_review, svc, who, attempt, body.get("task"),
                                     body.get("message"))
    return JSONResponse(answer, status_code=201)


def review_queue(request: Request) -> JSONResponse:
    """The open review requests of an assignment, oldest first (?state=all: answered ones too)."""
    incoming.staff(request)
    name = _assignment(request)
    everything = request.query_params.get("state") == "all"
    return JSONResponse(views.review_queue(incoming.service(request), name, answered_too=everything))


async def answer_review(request: Request) -> JSONResponse:
    who = await run_in_threadpool(incoming.staff, request)
    _same_site(request)
    body = await _json(request, '{"comment": "...", "score": <optional number>}')
    svc = incoming.service(request)
    return JSONResponse(await run_in_threadpool(_refusing, changes.answer_review, svc, who, request.path_params["rid"],
                                                body.get("comment"), body.get("score")))


async def _json(request: Request, shape: str) -> dict:
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HTTPException(400, f"send JSON: {shape}") from None
    if not isinstance(body, dict):
        raise HTTPException(400, f"send a JSON object: {shape}")
    return body


def delete_override(request: Request) -> JSONResponse:
    who = incoming.staff(request)
    name, sid = _assignment(request), _student(request)
    _same_site(request)
    return JSONResponse(_refusing(changes.delete_override, incoming.service(request), who, name, sid,
                                  request.path_params["task"]))


def _refusing(operation, *args):
    try:
        return operation(*args)
    except Refused as exc:
        raise HTTPException(exc.status, exc.message) from None


def _assignment(request: Request) -> str:
    name = request.path_params["a"]
    if incoming.service(request).assignment(name) is None:
        raise HTTPException(404, f"no assignment {name[:100]!r}")
    return name


def _student(request: Request) -> str:
    sid = request.path_params["sid"]
    if not incoming.service(request).is_student(sid):
        raise HTTPException(404, f"no student {sid[:100]!r} on the roster")
    return sid


def _same_site(request: Request) -> None:
    if not incoming.same_site(request):
        raise HTTPException(403, "a request from another site was refused")


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat()


routes = [
    Route("/api/health", health),
    Route("/api/me", me),
    Route("/api/assignments", assignments),
    Route("/api/assignments/{a}/notebook", notebook),
    Route("/api/assignments/{a}/submissions", submit, methods=["POST"]),
    Route("/api/submissions/{id}", submission),
    Route("/api/assignments/{a}/grades", grades),
    Route("/api/assignments/{a}/students/{sid}/overrides", set_override, methods=["POST"]),
    Route("/api/assignments/{a}/students/{sid}/overrides/{task}", delete_override, methods=["DELETE"]),
    Route("/api/assignments/{a}/students/{sid}/counting", counting, methods=["PUT", "DELETE"]),
    Route("/api/assignments/{a}/students/{sid}/extension", extension, methods=["PUT", "DELETE"]),
    Route("/api/assignments/{a}/students/{sid}/submissions", submit_for, methods=["POST"]),
    Route("/api/submissions/{id}/requests", ask_review, methods=["POST"]),
    Route("/api/assignments/{a}/requests", review_queue),
    Route("/api/requests/{rid}/answer", answer_review, methods=["POST"]),
]
