"""The ASGI application: routes, security headers, errors for people, and the grading dispatcher's life.

Every response carries a Content-Security-Policy that allows nothing from another origin
(scripts and styles are ours, images are ours or inline data), forbids framing, and is
not cached. An error is `{"error": "..."}` under /api and a short page elsewhere; a bug of
ours is logged with its traceback and shown to nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from ..lti.routes import Lti, routes as lti_routes
from . import api, pages
from .connections import BodyTimeouts
from .executors import Executor
from .service import Service
from .settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
log = logging.getLogger("autograder.server")


def create_app(settings: Settings, executor: Executor | None = None) -> Starlette:
    """The course server over `settings`; `executor` replaces the local process pool (tests, clusters)."""
    service = Service(settings)
    lti = Lti(service)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        dispatcher = service.start(executor)
        task = asyncio.create_task(dispatcher.run())
        passback = asyncio.create_task(lti.run_passback())
        try:
            yield
        finally:
            passback.cancel()
            await dispatcher.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            dispatcher.close()

    app = Starlette(
        routes=[*api.routes, *pages.routes, *lti_routes, Mount("/static", StaticFiles(directory=STATIC), name="static")],
        exception_handlers={HTTPException: _http_error, Exception: _our_bug},
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.lti = lti
    app.add_middleware(BodyTimeouts)
    app.add_middleware(SecurityHeaders)
    return app


class SecurityHeaders:
    """Pure ASGI (no buffering), so that uploads stream through untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                # A page that sets its own policy (one the LMS frames: autograder.lti) decides its framing.
                own = any(name.lower() == b"content-security-policy" for name, _ in headers)
                headers += [h for h in HEADERS if not own or h[0] not in (b"content-security-policy",
                                                                          b"x-frame-options")]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    headers = dict(exc.headers or {})
    if request.url.path.startswith("/api/") or request.url.path == "/api":
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=headers)
    return pages.error_page(request, exc.status_code, exc.detail, headers)


async def _our_bug(request: Request, exc: Exception) -> Response:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    message = "the server failed on this request; this is our bug, and it has been logged"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=500)
    return pages.error_page(request, 500, message, {})
