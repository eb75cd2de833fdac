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

from . import requests as rq
from .service import Refused


def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def me(request: Request) -> JSONResponse:
    who = rq.signed_in(request)
    return JSONResponse({"id": who.id, "role": who.role})


def assignments(request: Request) -> JSONResponse:
    rq.signed_in(request)
    svc = rq.service(request)
    return JSONResponse([
        {"name": name, "title": a.title, "max_score": a.max_score, "due": _iso(svc.policy(name).due)}
        for name, a in svc.assignments.items()
    ])


def notebook(request: Request) -> Response:
    who = rq.student(request)
    name = _assignment(request)
    data = rq.service(request).notebook(name, who.id)
    return Response(data, media_type="application/x-ipynb+json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.ipynb"'})


async def submit(request: Request) -> JSONResponse:
    who = await run_in_threadpool(rq.student, request)
    name = _assignment(request)
    _same_site(request)
    svc = rq.service(request)
    filename, data, _ = await rq.read_notebook(request, svc.policy(name).max_upload)
    submission_id = await run_in_threadpool(_hand_in, svc, who, name, filename, data)
    return JSONResponse({"id": submission_id, "status": "queued"}, status_code=202,
                        headers={"Location": f"/api/submissions/{submission_id}"})


def _hand_in(svc, who, name, filename, data) -> str:
    try:
        return svc.hand_in(who, name, filename, data)
    except Refused as exc:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        raise HTTPException(exc.status, exc.message, headers=headers) from None


def submission(request: Request) -> JSONResponse:
    who = rq.signed_in(request)
    svc = rq.service(request)
    attempt = svc.store.attempt(request.path_params["id"])
    if attempt is None or (not who.staff and attempt.student_id != who.id):
        raise HTTPException(404, "no such submission")
    return JSONResponse(svc.submission_json(attempt))


def grades(request: Request) -> JSONResponse:
    rq.staff(request)
    name = _assignment(request)
    svc = rq.service(request)
    return JSONResponse([svc.grade_row(row) for row in svc.class_table(name)])


async def set_override(request: Request) -> JSONResponse:
    who = await run_in_threadpool(rq.staff, request)
    name, sid = _assignment(request), _student(request)
    _same_site(request)
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HTTPException(400, 'send JSON: {"task": ..., "score": ..., "comment": ...}') from None
    if not isinstance(body, dict) or "task" not in body or "score" not in body:
        raise HTTPException(400, 'send JSON with "task" and "score" (and a "comment" for the student)')
    svc = rq.service(request)
    result = await run_in_threadpool(_refusing, svc.set_override, who, name, sid, str(body["task"]), body["score"],
                                     body.get("comment", ""))
    return JSONResponse(result)


def delete_override(request: Request) -> JSONResponse:
    who = rq.staff(request)
    name, sid = _assignment(request), _student(request)
    _same_site(request)
    return JSONResponse(_refusing(rq.service(request).delete_override, who, name, sid, request.path_params["task"]))


def _refusing(operation, *args):
    try:
        return operation(*args)
    except Refused as exc:
        raise HTTPException(exc.status, exc.message) from None


def _assignment(request: Request) -> str:
    name = request.path_params["a"]
    if rq.service(request).assignment(name) is None:
        raise HTTPException(404, f"no assignment {name[:100]!r}")
    return name


def _student(request: Request) -> str:
    sid = request.path_params["sid"]
    if not rq.service(request).is_student(sid):
        raise HTTPException(404, f"no student {sid[:100]!r} on the roster")
    return sid


def _same_site(request: Request) -> None:
    if not rq.same_site(request):
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
]
