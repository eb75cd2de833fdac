"""The LTI routes: login, launch and our key set for the platform; the session a launch opens;
Deep Linking's picker; and for staff, the roster sync (JSON and page) and the passback page.

Pages that the LMS shows in its frame (the launch's answer, the picker) carry their own
Content-Security-Policy, which lets the platform frame them and, for the picker, post back to
the platform; every other page keeps the server's "never framed". A launch never relies on a
cookie inside the frame: it ends in a one-time code that opens the session in a first-party
context, at once when the launch came as a whole page, or from a link that opens a new window
when it came in a frame (where browsers now block our cookie). Our pages share the server's
layout, session and form tokens (its page helpers).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import UserError
from ..server import incoming
from ..server.auth import COOKIE, Person, digest
from ..server.pages import _form, _who
from ..server.pages import _page as page
from ..server.store import now
from . import roster_sync
from .keys import KeyRing
from .launch import DEEP_LINKING, DL, LTI, Launch, Refused, login_redirect, validate
from .ltistore import Context, LtiStore
from .passback import Gradebook, line_item_json
from .people import Identity, match, our_role
from .platform import Platform, PlatformError
from .registration import Registration, registration_of

CODE_LIFETIME = 120  # seconds to follow the link a launch gives
PICKER_LIFETIME = 3600
PASSBACK_EVERY = 10.0  # seconds between looks for scores to post (a due date passing); a change posts at once
PASSBACK_GAP = 1.0  # seconds at least between two rounds: a burst of grades is posted in one
log = logging.getLogger("autograder.lti")


class Lti:
    """LTI's part of one server: its registration (read again when course.toml changes), keys, memory, gradebook."""

    def __init__(self, service):
        self.service = service
        data: Path = service.settings.data
        self.keys = KeyRing(data / "lti-keys.json")
        self.store = LtiStore(data / "lti.sqlite")
        self.state_key = hmac.new(service.auth.form_key, b"lti state", hashlib.sha256).digest()
        self._registration: tuple[dict | None, Registration | None, Platform | None] | None = None
        self.gradebook = Gradebook(service, self.store, None)
        self.wake = asyncio.Event()
        self._posting = threading.Lock()  # one round at a time, or a score could go out twice

    def registration(self) -> tuple[Registration, Platform]:
        """The registration in force; HTTPException 404 when course.toml has no [lti]."""
        try:
            tables = self.service.course_file
            if self._registration is None or self._registration[0] is not tables:
                registration = registration_of(tables)
                platform = Platform(registration, self.keys) if registration else None
                self._registration = (tables, registration, platform)
                self.gradebook.platform = platform
        except UserError as exc:
            raise HTTPException(503, f"the course's LTI registration is broken: {exc}") from None
        _, registration, platform = self._registration
        if registration is None:
            raise HTTPException(404, "this course is not registered with a learning platform ([lti] in course.toml)")
        return registration, platform

    async def run_passback(self) -> None:
        """Record and post scores when what stands changes (the service says so: a grade stored, an
        override, an extension, ...) or staff ask, and every PASSBACK_EVERY seconds for what time
        changes (a due date passing, a retry falling due)."""
        loop = asyncio.get_running_loop()

        def changed() -> None:  # in whichever thread made the change
            with contextlib.suppress(RuntimeError):  # the loop has closed: the server is stopping
                loop.call_soon_threadsafe(self.wake.set)

        self.service.on_change(changed)
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=PASSBACK_EVERY)
            self.wake.clear()
            try:
                await run_in_threadpool(self.passback_once)
            except Exception:  # a bug of ours must not end the passback for the rest of the term
                log.exception("the passback failed this round")
            await asyncio.sleep(PASSBACK_GAP)

    def passback_once(self) -> tuple[int, int]:
        """One round: record what should stand, post what changed; (posted, failed)."""
        with self._posting:
            with contextlib.suppress(HTTPException):
                self.registration()
            self.gradebook.reconcile()
            return self.gradebook.post()


def lti(request: Request) -> Lti:
    return request.app.state.lti


# --- the platform's side: login, launch, our keys ---------------------------------------

async def login(request: Request) -> Response:
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form(max_files=0, max_fields=20)
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    tool = lti(request)
    registration, _ = tool.registration()
    try:
        where = login_redirect(params, registration, tool.store, tool.state_key, _url(request, "/lti/launch"))
    except Refused as exc:
        return _framed(request, registration, "lti/refused.html.j2", exc.status, message=exc.message)
    return RedirectResponse(where, status_code=302)


async def launch(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    tool = lti(request)
    registration, platform = tool.registration()
    try:
        claims = await run_in_threadpool(validate, str(form.get("id_token", "")), str(form.get("state", "")),
                                         registration, platform, tool.store, tool.state_key)
    except Refused as exc:
        return _framed(request, registration, "lti/refused.html.j2", exc.status, message=exc.message)
    return await run_in_threadpool(_launched, request, tool, registration, claims)


def _launched(request: Request, tool: Lti, registration: Registration, launch: Launch) -> Response:
    svc = tool.service
    role = our_role(launch.roles)
    identity = Identity.of_launch(launch.claims)
    if role is None:
        return _framed(request, registration, "lti/refused.html.j2", 403,
                       message="your role in this course (neither learner nor instructor) has no place here")
    known = tool.store.person_of(identity.user_id)
    if role == "student":
        found = match(identity, list(svc.settings.roster.rows), "student_id", known and known[0])
    else:
        # The staff list holds ids alone: a staff id equal to the person's SIS id, e-mail or login name matches.
        rows = [{"staff_id": s, "lis_person_sourcedid": s, "email": s, "username": s} for s in svc.settings.staff]
        found = match(identity, rows, "staff_id", known and known[0])
    if found.person is None:
        log.info("LTI launch matched nobody: %s", found.why)
        return _framed(request, registration, "lti/nobody.html.j2", 403, why=found.why, identity=identity,
                       role=role)
    context = _remember(tool, launch, found.person, role)
    if launch.kind == DEEP_LINKING:
        if role != "staff":
            return _framed(request, registration, "lti/refused.html.j2", 403,
                           message="only instructors place assignments in the course")
        return _picker(request, tool, registration, launch)
    target = _target(svc, launch, role)
    code = secrets.token_urlsafe(32)
    tool.store.add_code(digest(code), found.person, role, target, CODE_LIFETIME)
    follow = f"/lti/session?code={code}"
    if request.headers.get("sec-fetch-dest") in ("iframe", "frame", None):
        # Inside the LMS's frame our session cookie would be a third-party cookie: open a window of our own.
        return _framed(request, registration, "lti/open.html.j2", 200, follow=follow, person=found.person,
                       context=context, title=_title(svc, target))
    return RedirectResponse(follow, status_code=303)


def _remember(tool: Lti, launch: Launch, person: str, role: str) -> Context | None:
    """The person's platform user id, and the course context's service URLs, for roster sync and passback."""
    context_id = launch.context.get("id")
    tool.store.link(launch.sub, person, role, context_id if isinstance(context_id, str) else None, now())
    if not isinstance(context_id, str):
        return None
    ags, nrps = launch.ags, launch.nrps
    scopes = tuple(s for s in ags.get("scope", []) if isinstance(s, str)) if isinstance(ags.get("scope"), list) else ()
    context = Context(context_id, str(launch.context.get("title") or launch.context.get("label") or context_id),
                      _text(nrps.get("context_memberships_url")), _text(ags.get("lineitems")), scopes)
    tool.store.save_context(context, now())
    return context


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _target(svc, launch: Launch, role: str) -> str:
    """The page a launch opens: the assignment of its resource link (placed by Deep Linking, or named in the
    link's custom parameters or its target_link_uri), else the start page."""
    name = launch.custom.get("assignment")
    if not isinstance(name, str):
        path = urlsplit(str(launch.claims.get(LTI + "target_link_uri", ""))).path
        name = path.rstrip("/").rsplit("/", 1)[-1] if "/assignments/" in path else None
    if name in svc.assignments:
        return f"/staff/{quote(name)}" if role == "staff" else f"/assignments/{quote(name)}"
    return "/"


def _title(svc, target: str) -> str:
    name = target.rsplit("/", 1)[-1]
    return svc.assignments[name].title if name in svc.assignments else "the course server"


def session(request: Request) -> Response:
    """A launch's one-time code for a session cookie, first-party here, then the page the launch opens."""
    tool = lti(request)
    held = tool.store.use_code(digest(request.query_params.get("code", "")))
    if held is None:
        raise HTTPException(403, "this link from the learning platform was used already or is older than two "
                                 "minutes; open the assignment from the platform again")
    person, role, target = held
    if tool.service.auth.people.get(person) != role:
        raise HTTPException(403, f"{person} is no longer on this course's list")
    if not tool.service.auth.admit(person, role):
        raise HTTPException(403, "your access to this course was ended by the course staff; please talk to them")
    value, lifetime = tool.service.auth.open_session(Person(person, role))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, value, max_age=lifetime, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return response


def jwks(request: Request) -> JSONResponse:
    return JSONResponse(lti(request).keys.jwks())


# --- Deep Linking -----------------------------------------------------------------------

def _picker(request: Request, tool: Lti, registration: Registration, launch: Launch) -> Response:
    settings = launch.deep_linking
    ticket = _seal(tool, {"return": settings.get("deep_link_return_url"), "data": settings.get("data"),
                          "deployment": launch.deployment_id, "multiple": bool(settings.get("accept_multiple")),
                          "exp": time.time() + PICKER_LIFETIME})
    return _framed(request, registration, "lti/picker.html.j2", 200, ticket=ticket,
                   multiple=bool(settings.get("accept_multiple")), items=tool.service.assignments)


async def deep_link(request: Request) -> Response:
    """The picker's choice, signed and posted back to the platform as a Deep Linking response."""
    form = await request.form(max_files=0, max_fields=50)
    tool = lti(request)
    registration, _ = tool.registration()
    ticket = _unseal(tool, str(form.get("ticket", "")))
    if ticket is None or not isinstance(ticket.get("return"), str):
        raise HTTPException(403, "this choice is older than an hour or was not made on our picker; "
                                 "start again from the learning platform")
    chosen = [n for n in form.getlist("assignment") if n in tool.service.assignments]
    if not chosen:
        raise HTTPException(400, "choose an assignment to place in the course")
    launch_url = _url(request, "/lti/launch")
    items = [{"type": "ltiResourceLink", "title": tool.service.assignments[n].title, "url": launch_url,
              "custom": {"assignment": n}, "lineItem": line_item_json(n, tool.service.assignments[n])}
             for n in (chosen if ticket["multiple"] else chosen[:1])]
    at = int(time.time())
    claims = {"iss": registration.client_id, "aud": [registration.issuer], "iat": at, "exp": at + 600,
              "nonce": secrets.token_urlsafe(16), LTI + "deployment_id": ticket["deployment"],
              LTI + "message_type": "LtiDeepLinkingResponse", LTI + "version": "1.3.0", DL + "content_items": items}
    if ticket.get("data") is not None:
        claims[DL + "data"] = ticket["data"]
    jwt = await run_in_threadpool(tool.keys.sign, claims)
    return _framed(request, registration, "lti/return.html.j2", 200, action=ticket["return"], jwt=jwt,
                   titles=[i["title"] for i in items], extra_form_target=_origin(ticket["return"]))


def _seal(tool: Lti, data: dict) -> str:
    text = json.dumps(data, sort_keys=True)
    mac = hmac.new(tool.state_key, text.encode(), hashlib.sha256).hexdigest()
    return f"{mac}.{text}"


def _unseal(tool: Lti, ticket: str) -> dict | None:
    mac, _, text = ticket.partition(".")
    if not hmac.compare_digest(mac, hmac.new(tool.state_key, text.encode(), hashlib.sha256).hexdigest()):
        return None
    data = json.loads(text)
    return data if data.get("exp", 0) > time.time() else None


# --- staff: roster sync and passback --------------------------------------------------

def _roster_change(tool: Lti) -> tuple[roster_sync.Change, Context]:
    _, platform = tool.registration()
    contexts = [c for c in tool.store.contexts() if c.memberships_url]
    if not contexts:
        raise HTTPException(409, "no launch from the platform has brought its Names and Roles service yet; "
                                 "open the tool once from the course in the LMS")
    path = tool.service.settings.roster_path
    if path is None:
        raise HTTPException(409, "the server was started without a roster file to update")
    try:
        people = roster_sync.members(platform, contexts[0].memberships_url)
    except PlatformError as exc:
        raise HTTPException(502, f"the platform's member list could not be read: {exc}") from None
    rows = roster_sync.read_rows(path)
    return roster_sync.compare(people, rows, tool.store.links("student")), contexts[0]


def roster_preview(request: Request) -> JSONResponse:
    incoming.staff(request)
    change, _ = _roster_change(lti(request))
    return JSONResponse(change.to_json())


def roster_apply(request: Request) -> JSONResponse:
    who = incoming.staff(request)
    if not incoming.same_site(request):
        raise HTTPException(403, "a request from another site was refused")
    return JSONResponse(_apply(lti(request), who))


def _apply(tool: Lti, who: Person) -> dict:
    change, context = _roster_change(tool)
    roster_sync.apply(tool.service.settings.roster_path, change)
    for sub, person in change.linked.items():
        tool.store.link(sub, person, "student", context.id, now())
    log.info("%s synced the roster from the platform: %d added, %d dropped", who.id, len(change.added),
             len(change.dropped))
    return change.to_json()


def staff_page(request: Request) -> Response:
    _who(request, "staff")
    tool = lti(request)
    registration, _ = tool.registration()
    change = error = None
    if request.query_params.get("preview"):
        try:
            change, _ = _roster_change(tool)
        except HTTPException as exc:
            error = exc.detail
    svc = tool.service
    passbacks = {name: tool.store.passbacks(name) for name in svc.assignments}
    return page(request, "lti/staff.html.j2", registration=registration, contexts=tool.store.contexts(),
                change=change, error=error, passbacks=passbacks, policies={n: svc.policy(n) for n in svc.assignments},
                released={n: tool.store.released(n) for n in svc.assignments})


async def staff_sync(request: Request) -> Response:
    who = _who(request, "staff")
    await _form(request)
    await run_in_threadpool(_apply, lti(request), who)
    return RedirectResponse("/lti/staff", status_code=303)


async def staff_release(request: Request) -> Response:
    who = _who(request, "staff")
    fields = await _form(request)
    tool = lti(request)
    name = request.path_params["a"]
    if name not in tool.service.assignments:
        raise HTTPException(404, f"no assignment {name[:100]!r}")
    if fields.get("action") == "release":
        tool.store.release(name, who.id, now())
    else:
        tool.store.retry_now(name)
    tool.wake.set()
    return RedirectResponse("/lti/staff", status_code=303)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _url(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


def _framed(request: Request, registration: Registration, template: str, status: int,
            extra_form_target: str | None = None, **context) -> Response:
    """A page the LMS may show in its frame (and, for Deep Linking's answer, that posts to the platform)."""
    forms = " ".join(["'self'", *([extra_form_target] if extra_form_target else [])])
    csp = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
           f"form-action {forms}; frame-ancestors 'self' {' '.join(registration.origins)}; base-uri 'none'")
    return page(request, template, status, {"Content-Security-Policy": csp}, **context)


routes = [
    Route("/lti/login", login, methods=["GET", "POST"]),
    Route("/lti/launch", launch, methods=["POST"]),
    Route("/lti/jwks.json", jwks),
    Route("/lti/session", session),
    Route("/lti/deep-link", deep_link, methods=["POST"]),
    Route("/api/lti/roster", roster_preview, methods=["GET"]),
    Route("/api/lti/roster", roster_apply, methods=["POST"]),
    Route("/lti/staff", staff_page),
    Route("/lti/staff/roster", staff_sync, methods=["POST"]),
    Route("/lti/staff/{a}", staff_release, methods=["POST"]),
]
