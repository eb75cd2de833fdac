"""What every route needs from a request: who sent it, whether a form came from our own pages,
and the uploaded notebook, refused before its body is read where the rules allow, and read with
its size bounded while it streams in."""

from __future__ import annotations

import contextlib
import traceback

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from .auth import COOKIE, Person, Throttled
from .handin import admit, too_large
from .service import Refused, Service

# Room for the multipart headers and the other small fields around the notebook itself.
ENVELOPE = 64 * 1024
# Past this many bytes an over-large upload is not even read to its end: the connection is closed.
DRAIN_LIMIT = 256 * 2**20


def service(request: Request) -> Service:
    return request.app.state.service


def person(request: Request) -> Person | None:
    """The signed-in person, from `Authorization: Bearer` or the session cookie. Failures are
    counted per token; past the limit that token answers 429 for a while."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if header:
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "the Authorization header must be 'Bearer <your token>'")
        return by_token(request, token.strip())
    return session_person(request)


def session_person(request: Request) -> Person | None:
    """Who the session cookie signs in; an expired or revoked session is no guess at anything: it signs
    nobody in, and costs no try."""
    cookie = request.cookies.get(COOKIE)
    return service(request).auth.by_session(cookie) if cookie else None


def by_token(request: Request, token: str) -> Person | None:
    try:
        return service(request).auth.signed_in_by(token)
    except Throttled as exc:
        raise HTTPException(429, f"This token failed too often; try again in {exc.wait:.0f} s.",
                            headers={"Retry-After": str(int(exc.wait) + 1)}) from None


def signed_in(request: Request) -> Person:
    found = person(request)
    if found is None:
        raise HTTPException(401, "sign in first: open the link your course sent you, or send 'Authorization: "
                                 "Bearer <your token>'", headers={"WWW-Authenticate": "Bearer"})
    return found


def staff(request: Request) -> Person:
    found = signed_in(request)
    if not found.staff:
        raise HTTPException(403, "this is for course staff only")
    return found


def student(request: Request) -> Person:
    found = signed_in(request)
    if found.staff:
        raise HTTPException(403, "this is for students only (staff see students' work from the class table)")
    return found


def same_site(request: Request) -> bool:
    """False for a state-changing request that a browser says came from another site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser's cross-site request (scripts, curl)
    return origin == f"{request.url.scheme}://{request.url.netloc}"


@contextlib.asynccontextmanager
async def notebook(request: Request, who: Person, assignment: str, student: str | None = None):
    """The multipart field `notebook` of `who`'s upload to `assignment` (staff's: for `student`), as (file name,
    bytes, the other fields).

    Whatever can be refused without the body is refused before it is read (Refused): the cut-off,
    the declared length, the student's queue and quota. An upload over the limit answers 413 as soon
    as the bytes received show it, before anything is kept. The body is spooled to disk as it comes;
    at most UPLOADS_IN_MEMORY files are held in memory at once, until the block is done with them."""
    svc = service(request)
    limit = svc.policy(assignment).max_upload
    declared = request.headers.get("content-length", "")
    size = max(0, int(declared) - ENVELOPE) if declared.isdigit() else 0
    try:
        await run_in_threadpool(admit, svc, who, assignment, size, student)
    except Refused:
        # A client that waits for our "100 Continue" before it sends the body (curl does, for large
        # files) has sent nothing and hears the answer at once; a browser is sending anyway.
        if request.headers.get("expect", "").lower() != "100-continue":
            await _drain(request)
        raise
    received = 0

    async def counting_receive():
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > limit + ENVELOPE:
            raise _TooLarge()
        return message

    try:
        form = await Request(request.scope, counting_receive).form(max_files=2, max_fields=20)
    except _TooLarge:
        await _drain(request)
        raise HTTPException(413, too_large(limit)) from None
    except MultiPartException as exc:
        raise HTTPException(400, f"the upload is not a valid multipart form ({exc.message})") from None
    try:
        upload = form.get("notebook")
        if not isinstance(upload, UploadFile):
            raise HTTPException(400, "send the notebook as the file of the multipart form field 'notebook'")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        async with svc.uploads_in_memory:
            data = await upload.read(limit + 1)
            if len(data) > limit:
                raise HTTPException(413, too_large(limit))
            try:
                yield upload.filename or "notebook.ipynb", data, fields
            except BaseException as exc:
                # A refusal raised where the file was in hand keeps it alive through its traceback's
                # frames, in reference cycles that only a full collection frees: twenty refused
                # uploads of 32 MiB held 700 MiB. The frames that are done let go of it now.
                traceback.clear_frames(exc.__traceback__)
                raise
    finally:
        await form.close()


class _TooLarge(Exception):
    pass


async def _drain(request: Request) -> None:
    """Read what the client still sends (without keeping it), so that it hears our answer."""
    total = 0
    while total < DRAIN_LIMIT:
        message = await request.receive()
        if message["type"] != "http.request":
            return
        total += len(message.get("body", b""))
        if not message.get("more_body"):
            return
