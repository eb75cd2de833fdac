"""The pages people click through: server-rendered jinja2 (autoescaped), forms that work without
JavaScript, one small script of ours that polls an attempt's status while it is graded.

Students: their assignments, one assignment (rules, notebook, upload, every attempt), one
attempt (live status, then the report). Staff: the class table (sortable), a student
(attempts, report, overrides), the class summary, exports, and regrades with a preview.
Every form carries a token bound to the session, so another site cannot post it.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Callable

import jinja2
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import __version__
from ..render import reports
from . import changes, handin, regrades, views
from . import incoming
from .auth import COOKIE, Person
from .service import Refused

EXPORTS = {"csv": ("grades.csv", "text/csv"), "canvas": ("canvas.csv", "text/csv"), "moodle": ("moodle.csv", "text/csv")}


@functools.lru_cache(maxsize=4)
def _environment(course_templates: str) -> jinja2.Environment:
    env = reports.template_environment(course_templates)
    env.filters["size"] = size
    env.finalize = _shown
    # Compiled with `finalize`, these templates' code differs from the same source compiled for the
    # reports, and jinja's bytecode cache knows a template by its source alone.
    env.bytecode_cache = None
    return env


def _shown(value):
    """Every value a page prints: names and file names come from people, and a bidi override in one
    would reorder the text around it on the page. Markup is our own HTML, already safe."""
    return value if isinstance(value, Markup) else _plain(value)


def _plain(value):
    """`value` (text, or JSON of it) with control and bidi characters made visible: also for what goes to a
    page through the reports' environment (the report page), which prints without `_shown`."""
    if isinstance(value, str):
        return reports.visible(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def size(count: int) -> str:
    return f"{count} bytes" if count < 1024 else f"{count / 1024:.1f} KiB" if count < 2**20 else f"{count / 2**20:.1f} MiB"


def _page(request: Request, template: str, status: int = 200, headers: dict | None = None, **context) -> HTMLResponse:
    svc = incoming.service(request)
    html = _environment(str(svc.course.root / "templates")).get_template(template).render(
        **_common(request), **context)
    return HTMLResponse(html, status_code=status, headers=headers)


def _common(request: Request) -> dict:
    who = getattr(request.state, "person", None)
    session = request.cookies.get(COOKIE)
    svc = incoming.service(request)
    return {"me": who, "csrf": svc.auth.form_token(session) if session else "", "version": __version__,
            "assignments": svc.assignments, "when": svc.when}


def error_page(request: Request, status: int, message: str, headers: dict) -> HTMLResponse:
    """A page for people: a 401 offers the sign-in form, which comes back here (`next`)."""
    if status == 401:
        message = ("Open the sign-in link your course sent you, or paste your token below; "
                   "you come back to this page.")
    elif status == 405:
        message = "This address is not a page to open; go back to the start page and follow a link from there."
    return _page(request, "server/error.html.j2", status, headers, code=status, message=message,
                 next=request.url.path if request.method == "GET" else "/")


def _who(request: Request, role: str | None = None) -> Person:
    found = {"staff": incoming.staff, "student": incoming.student}.get(role, incoming.signed_in)(request)
    request.state.person = found
    return found


async def _form(request: Request) -> dict:
    """A posted form of our own pages: its fields, once its cross-site token is checked."""
    form = await request.form(max_files=0, max_fields=20)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    _check_form(request, fields.get("csrf"))
    return fields


def _check_form(request: Request, token: str | None) -> None:
    if not incoming.same_site(request) or not incoming.service(request).auth.form_token_ok(request.cookies.get(COOKIE), token):
        raise HTTPException(403, "this form was not sent from this site's own page (or your session changed); "
                                 "reload the page and try again")


# --- signing in and out ------------------------------------------------------------------

def home(request: Request) -> Response:
    who = incoming.person(request)
    request.state.person = who
    if who is None:
        return _page(request, "server/signin.html.j2", status=200, error=None)
    svc = incoming.service(request)
    if who.staff:
        return _page(request, "server/staff_home.html.j2", **views.fields(views.staff_home(svc)))
    return _page(request, "server/student_home.html.j2", rows=views.student_home(svc, who.id))


def sign_in_link(request: Request) -> Response:
    return _sign_in(request, request.query_params.get("token", ""))


async def sign_in_form(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    if not incoming.same_site(request):
        raise HTTPException(403, "a sign-in from another site was refused")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return await run_in_threadpool(_sign_in, request, fields.get("token", ""), fields.get("csrf"),
                                   _local_path(fields.get("next", "/")))


def _local_path(path: str) -> str:
    """Where to go after signing in: a path of this site, never another site's address."""
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) and len(path) < 500 else "/"


def _sign_in(request: Request, token: str, csrf: str | None = None, then: str = "/") -> Response:
    """Trade a token for a session. Signed in already as that person: the session stays (forms open
    in other tabs keep working). Signed in as someone else: a link (which another site may have
    planted) only asks; the switch is a form of this session's own page (`csrf`)."""
    svc = incoming.service(request)
    found = incoming.by_token(request, token.strip()) if token.strip() else None
    if found is None:
        request.state.person = None
        return _page(request, "server/signin.html.j2", status=401,
                     error="This sign-in link is not valid (any more). Use the newest link your course sent you, "
                           "or ask your course staff for a new one.")
    current = incoming.session_person(request)
    if current == found:
        return RedirectResponse(then, status_code=303)
    if current is not None and not svc.auth.form_token_ok(request.cookies.get(COOKIE), csrf):
        request.state.person = current
        return _page(request, "server/switch.html.j2", current=current, other=found, token=token.strip())
    if current is not None:
        svc.auth.close_session(request.cookies[COOKIE])
    value, lifetime = svc.auth.open_session(found)
    response = RedirectResponse(then, status_code=303)
    response.set_cookie(COOKIE, value, max_age=lifetime, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return response


async def sign_out(request: Request) -> Response:
    await _form(request)
    session = request.cookies.get(COOKIE)
    if session:
        await run_in_threadpool(incoming.service(request).auth.close_session, session)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# --- students ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Again:
    """A form refused, for the page it came from: why (shown on top), with what status, and what was
    typed (shown again to correct)."""

    error: str
    status: int
    typed: dict


def assignment_page(request: Request, again: Again | None = None) -> Response:
    who = _who(request, "student")
    svc = incoming.service(request)
    name = _assignment(request)
    work = views.work(svc, name, who.id, who)
    return _page(request, "server/assignment.html.j2", status=again.status if again else 200, name=name,
                 assignment=svc.assignments[name], policy=work.standing.rules.policy,
                 error=again.error if again else None, **views.fields(work))


def upload_again(request: Request) -> Response:
    """A reload of the page a refused upload answered with: back to the assignment, not a 405."""
    return RedirectResponse(f"/assignments/{_assignment(request)}", status_code=303)


def choose(request: Request, who: Person, fields: dict) -> str:
    """The attempt that counts, chosen on a page: a student's own (before their due date), or staff's."""
    name = _assignment(request)
    staff = "sid" in request.path_params
    sid = _student(request) if staff else who.id
    changes.choose(incoming.service(request), who, name, sid, fields.get("submission") or None)
    return f"/staff/{name}/students/{sid}" if staff else f"/assignments/{name}"


def ask(request: Request, who: Person, fields: dict) -> str:
    """A student asks the staff to look at one task of an attempt."""
    attempt = _attempt(request)
    changes.request_review(incoming.service(request), who, attempt, fields.get("task"), fields.get("message", ""))
    return f"/submissions/{attempt.id}"


async def upload(request: Request) -> Response:
    who = await run_in_threadpool(_who, request, "student")
    return await _hand_in(request, who, _assignment(request), None, assignment_page)


def attempt_page(request: Request) -> Response:
    svc = incoming.service(request)
    found = _attempt(request)
    shown = views.attempt(svc, found, request.state.person)
    context = {"attempt": found, "info": _plain(shown.info), "assignment": svc.assignments[found.assignment],
               "counting": shown.counting}
    if shown.report is None:
        return _page(request, "server/waiting.html.j2", **context)
    html = reports.render_report_html(shown.report, svc.course.root / "templates", page="server/report.html.j2",
                                      **_common(request), **context)
    return HTMLResponse(html)


def submitted_file(request: Request) -> Response:
    name, data = views.handed_in(incoming.service(request), _attempt(request))
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- staff -------------------------------------------------------------------------------

def class_page(request: Request) -> Response:
    _who(request, "staff")
    svc = incoming.service(request)
    name = _assignment(request)
    query = request.query_params.get("q", "").strip()
    sort = request.query_params.get("sort", "student")
    descending = request.query_params.get("order") == "desc"
    table = views.class_view(svc, name, query, sort, descending)
    return _page(request, "server/class.html.j2", name=name, assignment=svc.assignments[name], sort=sort,
                 descending=descending, query=query, **views.fields(table))


def student_page(request: Request, again: Again | None = None) -> Response:
    who = _who(request, "staff")
    svc = incoming.service(request)
    name, sid = _assignment(request), _student(request)
    work = views.work(svc, name, sid, who)
    return _page(request, "server/student.html.j2", status=again.status if again else 200, name=name,
                 assignment=svc.assignments[name], sid=sid, error=again.error if again else None,
                 typed=again.typed if again else {}, student_name=svc.names().get(sid, ""),
                 zone=svc.settings.policy.zone, **views.fields(work))


def override(request: Request, who: Person, fields: dict) -> str:
    name, sid = _assignment(request), _student(request)
    try:
        score = float(fields.get("score", ""))
    except ValueError:
        raise Refused(400, "The score must be a number.") from None
    changes.set_override(incoming.service(request), who, name, sid, fields.get("task", ""), score, fields.get("comment", ""))
    return f"/staff/{name}/students/{sid}"


def delete_override(request: Request, who: Person, fields: dict) -> str:
    name, sid = _assignment(request), _student(request)
    try:
        changes.delete_override(incoming.service(request), who, name, sid, request.path_params["task"])
    except Refused:
        pass  # already gone: the page shows the state as it is
    return f"/staff/{name}/students/{sid}"


def extend(request: Request, who: Person, fields: dict) -> str:
    """Staff set (or with action=delete, remove) a student's own due date and cut-off, given in the course's zone."""
    name, sid = _assignment(request), _student(request)
    svc = incoming.service(request)
    if fields.get("action") == "delete":
        changes.delete_extension(svc, who, name, sid)
    else:
        due, cutoff = (_local(fields.get(key, ""), svc.settings.policy.zone) for key in ("due", "cutoff"))
        if due is None:
            raise Refused(400, "Give the new due date.")
        changes.set_extension(svc, who, name, sid, due, cutoff, fields.get("comment", ""))
    return f"/staff/{name}/students/{sid}"


def _local(text: str, zone) -> str | None:
    """A date and time typed in the course's zone (the form's datetime-local) as ISO 8601 with its offset."""
    if not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise Refused(400, "Dates are written like 2026-12-10T23:59.") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).isoformat()


async def hand_in_for(request: Request) -> Response:
    """Staff hand in a notebook for a student (after the cut-off too)."""
    who = await run_in_threadpool(_who, request, "staff")
    return await _hand_in(request, who, _assignment(request), _student(request), student_page)


def answer(request: Request, who: Person, fields: dict) -> str:
    """Staff answer a review request; a score given sets the task's override."""
    name, sid = _assignment(request), _student(request)
    svc = incoming.service(request)
    asked = svc.review_request(request.path_params["rid"])
    if asked is None or asked.assignment != name or asked.student_id != sid:
        raise HTTPException(404, "There is no such review request.")
    try:
        score = float(fields["score"]) if fields.get("score", "").strip() else None
    except ValueError:
        score = "not a number"  # refused with the range a score must be in
    changes.answer_review(svc, who, asked.id, fields.get("comment", ""), score)
    return f"/staff/{name}/students/{sid}#requests"


def summary_page(request: Request) -> Response:
    _who(request, "staff")
    svc = incoming.service(request)
    name = _assignment(request)
    html = reports.render_summary_html(views.summary(svc, name), svc.course.root / "templates",
                                       page="server/summary.html.j2", **_common(request), name=name)
    return HTMLResponse(html)


def export(request: Request) -> Response:
    _who(request, "staff")
    svc = incoming.service(request)
    name = _assignment(request)
    fmt = request.path_params["fmt"]
    if fmt not in EXPORTS:
        raise HTTPException(404, f"There is no such export (there are: {', '.join(EXPORTS)}).")
    text = views.export(svc, name, fmt, request.query_params.get("canvas_assignment_id") or None)
    filename, media = EXPORTS[fmt]
    return Response(text, media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{filename}"'})


def regrade_page(request: Request) -> Response:
    _who(request, "staff")
    svc = incoming.service(request)
    name = _assignment(request)
    return _page(request, "server/regrade.html.j2", name=name, assignment=svc.assignments[name],
                 **views.fields(regrades.view(svc, name)))


def start_regrade(request: Request, who: Person, fields: dict) -> str:
    name = _assignment(request)
    regrades.start(incoming.service(request), who, name)
    return f"/staff/{name}/regrade"


def close_regrade(request: Request, who: Person, fields: dict) -> str:
    name = _assignment(request)
    regrades.close(incoming.service(request), who, request.path_params["run"], fields.get("action") == "apply")
    return f"/staff/{name}/regrade"


# --- forms and what paths name -----------------------------------------------------------

def posted(role: str, act: Callable[[Request, Person, dict], str],
           again: Callable[[Request, Again], Response] | None = None):
    """The route of a form of our pages: who sent it and what its path names are checked (401, 403,
    404), then its fields with their cross-site token; `act(request, who, fields)` runs in a thread and
    says where to go next (303). Refused: the page `again`, with why and what was typed (without
    `again`, an error page)."""
    async def endpoint(request: Request) -> Response:
        who = await run_in_threadpool(_who, request, role)
        await run_in_threadpool(_named, request)
        fields = await _form(request)
        try:
            where = await run_in_threadpool(act, request, who, fields)
        except Refused as exc:
            if again is None:
                raise HTTPException(exc.status, exc.message) from None
            return await run_in_threadpool(again, request, Again(exc.message, exc.status, fields))
        return RedirectResponse(where, status_code=303)
    return endpoint


async def _hand_in(request: Request, who: Person, name: str, student: str | None,
                   again: Callable[[Request, Again], Response]) -> Response:
    """The notebook uploaded with a form (`student`: staff's, for that student) handed in; the page
    `again` says why not."""
    svc = incoming.service(request)
    try:
        async with incoming.notebook(request, who, name, student) as (filename, data, fields):
            _check_form(request, fields.get("csrf"))
            submission_id = await run_in_threadpool(handin.hand_in, svc, who, name, filename, data, student)
    except Refused as exc:
        return await run_in_threadpool(again, request, Again(exc.message, exc.status, {}))
    except HTTPException as exc:
        if exc.status_code in (400, 413):
            return await run_in_threadpool(again, request, Again(exc.detail, exc.status_code, {}))
        raise
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


def _named(request: Request) -> None:
    """404 for an assignment, student or attempt the path names that is not there (or not the signed-in
    person's to see)."""
    params = request.path_params
    if "a" in params:
        _assignment(request)
    if "sid" in params:
        _student(request)
    if "id" in params:
        _attempt(request)


def _attempt(request: Request):
    """The attempt named in the path, if the signed-in person may see it (else 404, as if there were none)."""
    found = incoming.service(request).attempt(request.path_params["id"], _who(request))
    if found is None:
        raise HTTPException(404, "There is no such submission.")
    return found


def _assignment(request: Request) -> str:
    name = request.path_params["a"]
    if incoming.service(request).assignment(name) is None:
        raise HTTPException(404, "There is no such assignment.")
    return name


def _student(request: Request) -> str:
    sid = request.path_params["sid"]
    if not incoming.service(request).is_student(sid):
        raise HTTPException(404, "There is no such student on the roster.")
    return sid


routes = [
    Route("/", home),
    Route("/signin", sign_in_link, methods=["GET"]),
    Route("/signin", sign_in_form, methods=["POST"]),
    Route("/signout", sign_out, methods=["POST"]),
    Route("/assignments/{a}", assignment_page),
    Route("/assignments/{a}/upload", upload, methods=["POST"]),
    Route("/assignments/{a}/upload", upload_again, methods=["GET"]),
    Route("/assignments/{a}/counting", posted("student", choose, assignment_page), methods=["POST"]),
    Route("/submissions/{id}/requests", posted("student", ask), methods=["POST"]),
    Route("/submissions/{id}", attempt_page),
    Route("/submissions/{id}/file", submitted_file),
    Route("/staff/{a}", class_page),
    Route("/staff/{a}/students/{sid}", student_page),
    Route("/staff/{a}/students/{sid}/overrides", posted("staff", override, student_page), methods=["POST"]),
    Route("/staff/{a}/students/{sid}/overrides/{task}/delete", posted("staff", delete_override), methods=["POST"]),
    Route("/staff/{a}/students/{sid}/counting", posted("staff", choose, student_page), methods=["POST"]),
    Route("/staff/{a}/students/{sid}/extension", posted("staff", extend, student_page), methods=["POST"]),
    Route("/staff/{a}/students/{sid}/submissions", hand_in_for, methods=["POST"]),
    Route("/staff/{a}/students/{sid}/requests/{rid}/answer", posted("staff", answer, student_page), methods=["POST"]),
    Route("/staff/{a}/summary", summary_page),
    Route("/staff/{a}/export/{fmt}", export),
    Route("/staff/{a}/regrade", regrade_page, methods=["GET"]),
    Route("/staff/{a}/regrade", posted("staff", start_regrade), methods=["POST"]),
    Route("/staff/{a}/regrade/{run:int}", posted("staff", close_regrade), methods=["POST"]),
]
