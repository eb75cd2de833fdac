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
from dataclasses import replace

import jinja2
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import __version__, regrade
from ..grader_version import grader_key
from ..integrations import exports
from ..render import reports
from ..summary import class_summary
from . import requests as rq
from .auth import COOKIE, Person
from .service import Refused, Service

SORTS = {
    "student": lambda r: r.student_id,
    "score": lambda r: r.report.score,
    "attempts": lambda r: r.attempts,
    "late": lambda r: r.late,
    "flags": lambda r: len(r.flags),
    "overrides": lambda r: len(r.overrides),
    "last": lambda r: r.counting.received_at if r.counting else "",
}
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
    svc = rq.service(request)
    html = _environment(str(svc.course.root / "templates")).get_template(template).render(
        **_common(request), **context)
    return HTMLResponse(html, status_code=status, headers=headers)


def _common(request: Request) -> dict:
    who = getattr(request.state, "person", None)
    session = request.cookies.get(COOKIE)
    svc = rq.service(request)
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
    found = {"staff": rq.staff, "student": rq.student}.get(role, rq.signed_in)(request)
    request.state.person = found
    return found


async def _form(request: Request) -> dict:
    """A posted form of our own pages: its fields, once its cross-site token is checked."""
    form = await request.form(max_files=0, max_fields=20)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    _check_form(request, fields.get("csrf"))
    return fields


def _check_form(request: Request, token: str | None) -> None:
    if not rq.same_site(request) or not rq.service(request).auth.form_token_ok(request.cookies.get(COOKIE), token):
        raise HTTPException(403, "this form was not sent from this site's own page (or your session changed); "
                                 "reload the page and try again")


# --- signing in and out ------------------------------------------------------------------

def home(request: Request) -> Response:
    who = rq.person(request)
    request.state.person = who
    if who is None:
        return _page(request, "server/signin.html.j2", status=200, error=None)
    svc = rq.service(request)
    if who.staff:
        counts = {name: _counts(svc, name) for name in svc.assignments}
        waiting, running = svc.store.queue_length()
        return _page(request, "server/staff_home.html.j2", counts=counts, waiting=waiting, running=running,
                     policies={name: svc.policy(name) for name in svc.assignments})
    rows = []
    for name, assignment in svc.assignments.items():
        standing = svc.standing(name, who.id)  # with the student's own dates
        rows.append({"name": name, "title": assignment.title, "policy": standing.rules.policy, "standing": standing})
    return _page(request, "server/student_home.html.j2", rows=rows)


def _counts(svc: Service, name: str) -> dict:
    attempts = svc.store.attempts(name)
    return {"attempts": len(attempts), "students": len({a.student_id for a in attempts}),
            "waiting": sum(a.status in ("queued", "running") for a in attempts)}


def sign_in_link(request: Request) -> Response:
    return _sign_in(request, request.query_params.get("token", ""))


async def sign_in_form(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    if not rq.same_site(request):
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
    svc = rq.service(request)
    found = rq.by_token(request, token.strip()) if token.strip() else None
    if found is None:
        request.state.person = None
        return _page(request, "server/signin.html.j2", status=401,
                     error="This sign-in link is not valid (any more). Use the newest link your course sent you, "
                           "or ask your course staff for a new one.")
    current = rq.session_person(request)
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
        await run_in_threadpool(rq.service(request).auth.close_session, session)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# --- students ----------------------------------------------------------------------------

def assignment_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    who = _who(request, "student")
    svc = rq.service(request)
    name = _assignment(request)
    attempts = svc.store.attempts(name, who.id)
    rules = svc.rules(name, who.id)
    standing = svc.standing(name, who.id, attempts, rules)
    finals = {a.id: svc.final(a, who, rules) for a in attempts}
    return _page(request, "server/assignment.html.j2", status=status, name=name, assignment=svc.assignments[name],
                 policy=rules.policy, attempts=list(reversed(attempts)), finals=finals, standing=standing,
                 error=error, requests=svc.store.requests(name, who.id), may_choose=_may_choose(rules.policy))


def _may_choose(policy) -> bool:
    """Whether a student may still choose the attempt that counts (before their due date)."""
    return policy.due is None or dt.datetime.now(dt.timezone.utc) <= policy.due


def upload_again(request: Request) -> Response:
    """A reload of the page a refused upload answered with: back to the assignment, not a 405."""
    return RedirectResponse(f"/assignments/{_assignment(request)}", status_code=303)


async def choose_form(request: Request) -> Response:
    """The attempt that counts, chosen on a page: a student's own (before their due date), or staff's."""
    staff = "sid" in request.path_params
    who = await run_in_threadpool(_who, request, "staff" if staff else "student")
    name = _assignment(request)
    sid = _student(request) if staff else who.id
    fields = await _form(request)
    svc = rq.service(request)
    try:
        await run_in_threadpool(svc.choose, who, name, sid, fields.get("submission") or None)
    except Refused as exc:
        page = student_page if staff else assignment_page
        return await run_in_threadpool(page, request, exc.message, exc.status)
    return RedirectResponse(f"/staff/{name}/students/{sid}" if staff else f"/assignments/{name}", status_code=303)


async def review_form(request: Request) -> Response:
    """A student asks the staff to look at one task of an attempt."""
    who = await run_in_threadpool(_who, request, "student")
    attempt = await run_in_threadpool(_attempt, request)
    fields = await _form(request)
    svc = rq.service(request)
    try:
        await run_in_threadpool(svc.request_review, who, attempt, fields.get("task"), fields.get("message", ""))
    except Refused as exc:
        raise HTTPException(exc.status, exc.message) from None
    return RedirectResponse(f"/submissions/{attempt.id}", status_code=303)


async def upload(request: Request) -> Response:
    who = await run_in_threadpool(_who, request, "student")
    svc = rq.service(request)
    name = _assignment(request)
    try:
        async with rq.notebook(request, who, name) as (filename, data, fields):
            _check_form(request, fields.get("csrf"))
            submission_id = await run_in_threadpool(svc.hand_in, who, name, filename, data)
    except Refused as exc:
        return await run_in_threadpool(assignment_page, request, exc.message, exc.status)
    except HTTPException as exc:
        if exc.status_code in (400, 413):
            return await run_in_threadpool(assignment_page, request, exc.detail, exc.status_code)
        raise
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


def attempt_page(request: Request) -> Response:
    svc = rq.service(request)
    attempt = _attempt(request)
    who = request.state.person
    info = svc.submission_json(attempt, who)
    context = {"attempt": attempt, "info": _plain(info), "assignment": svc.assignments[attempt.assignment],
               "counting": svc.standing(attempt.assignment, attempt.student_id).counting}
    report = svc.final(attempt, who)
    if report is None:
        return _page(request, "server/waiting.html.j2", **context)
    html = reports.render_report_html(report, svc.course.root / "templates", page="server/report.html.j2",
                                      **_common(request), **context)
    return HTMLResponse(html)


def submitted_file(request: Request) -> Response:
    svc = rq.service(request)
    attempt = _attempt(request)
    name = f"{attempt.student_id}-{attempt.assignment}-{attempt.id}.ipynb"
    return Response(svc.blobs.get(attempt.sha256), media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- staff -------------------------------------------------------------------------------

def class_page(request: Request) -> Response:
    _who(request, "staff")
    svc = rq.service(request)
    name = _assignment(request)
    rows = svc.class_table(name, checks=False)
    names = svc.names()
    query = request.query_params.get("q", "").strip()
    if query:
        rows = [r for r in rows if query.casefold() in f"{r.student_id} {names.get(r.student_id, '')}".casefold()]
    sort = request.query_params.get("sort", "student")
    descending = request.query_params.get("order") == "desc"
    if sort in SORTS:
        rows.sort(key=lambda r: (SORTS[sort](r), r.student_id), reverse=descending)
    scores = [r.report.score for r in rows if r.counting]
    return _page(request, "server/class.html.j2", name=name, assignment=svc.assignments[name], rows=rows,
                 sort=sort, descending=descending, policy=svc.policy(name), names=names, query=query,
                 requests=svc.store.requests(name, open_only=True),
                 mean=sum(scores) / len(scores) if scores else None, regrade_run=svc.store.latest_regrade(name))


def student_page(request: Request, error: str | None = None, status: int = 200, typed: dict | None = None) -> Response:
    """`typed`: what staff typed into a form that was refused, shown again to correct."""
    _who(request, "staff")
    svc = rq.service(request)
    name, sid = _assignment(request), _student(request)
    attempts = svc.store.attempts(name, sid)
    rules = svc.rules(name, sid)
    standing = svc.standing(name, sid, attempts, rules)
    finals = {a.id: svc.final(a, rules=rules) for a in attempts}
    return _page(request, "server/student.html.j2", status=status, name=name, assignment=svc.assignments[name],
                 sid=sid, attempts=list(reversed(attempts)), finals=finals, standing=standing, error=error,
                 typed=typed or {}, student_name=svc.names().get(sid, ""), requests=svc.store.requests(name, sid),
                 audit=svc.store.history(name, sid), zone=svc.settings.policy.zone)


async def override_form(request: Request) -> Response:
    who = await run_in_threadpool(_who, request, "staff")
    name, sid = _assignment(request), _student(request)
    fields = await _form(request)
    svc = rq.service(request)
    back = f"/staff/{name}/students/{sid}"
    try:
        score = float(fields.get("score", ""))
    except ValueError:
        return await run_in_threadpool(student_page, request, "The score must be a number.", 400, fields)
    try:
        await run_in_threadpool(svc.set_override, who, name, sid, fields.get("task", ""), score,
                                fields.get("comment", ""))
    except Refused as exc:
        return await run_in_threadpool(student_page, request, exc.message, exc.status, fields)
    return RedirectResponse(back, status_code=303)


async def extension_form(request: Request) -> Response:
    """Staff set (or with action=delete, remove) a student's own due date and cut-off, given in the course's zone."""
    who = await run_in_threadpool(_who, request, "staff")
    name, sid = _assignment(request), _student(request)
    fields = await _form(request)
    svc = rq.service(request)
    zone = svc.settings.policy.zone
    try:
        if fields.get("action") == "delete":
            await run_in_threadpool(svc.delete_extension, who, name, sid)
        else:
            due, cutoff = (_local(fields.get(key, ""), zone) for key in ("due", "cutoff"))
            if due is None:
                raise Refused(400, "Give the new due date.")
            await run_in_threadpool(svc.set_extension, who, name, sid, due, cutoff, fields.get("comment", ""))
    except Refused as exc:
        return await run_in_threadpool(student_page, request, exc.message, exc.status, fields)
    return RedirectResponse(f"/staff/{name}/students/{sid}", status_code=303)


def _local(text: str, zone) -> str | None:
    """A date and time typed in the course's zone (the form's datetime-local) as ISO 8601 with its offset."""
    if not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise Refused(400, "Dates are written like 2026-12-10T23:59.") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).isoformat()


async def hand_in_form(request: Request) -> Response:
    """Staff hand in a notebook for a student (after the cut-off too)."""
    who = await run_in_threadpool(_who, request, "staff")
    name, sid = _assignment(request), _student(request)
    svc = rq.service(request)
    try:
        filename, data, fields = await rq.read_notebook(request, svc.policy(name).max_upload)
        _check_form(request, fields.get("csrf"))
        submission_id = await run_in_threadpool(svc.hand_in, who, name, filename, data, sid)
    except Refused as exc:
        return await run_in_threadpool(student_page, request, exc.message, exc.status)
    except HTTPException as exc:
        if exc.status_code in (400, 413):
            return await run_in_threadpool(student_page, request, exc.detail, exc.status_code)
        raise
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


async def answer_form(request: Request) -> Response:
    """Staff answer a review request; a score given sets the task's override."""
    who = await run_in_threadpool(_who, request, "staff")
    name, sid = _assignment(request), _student(request)
    fields = await _form(request)
    svc = rq.service(request)
    asked = svc.store.request(request.path_params["rid"])
    if asked is None or asked.assignment != name or asked.student_id != sid:
        raise HTTPException(404, "There is no such review request.")
    try:
        score = float(fields["score"]) if fields.get("score", "").strip() else None
    except ValueError:
        score = "not a number"
    try:
        await run_in_threadpool(svc.answer_review, who, asked.id, fields.get("comment", ""), score)
    except Refused as exc:
        return await run_in_threadpool(student_page, request, exc.message, exc.status, fields)
    return RedirectResponse(f"/staff/{name}/students/{sid}#requests", status_code=303)


async def delete_override_form(request: Request) -> Response:
    who = await run_in_threadpool(_who, request, "staff")
    name, sid = _assignment(request), _student(request)
    await _form(request)
    try:
        await run_in_threadpool(rq.service(request).delete_override, who, name, sid, request.path_params["task"])
    except Refused:
        pass  # already gone: the page shows the state as it is
    return RedirectResponse(f"/staff/{name}/students/{sid}", status_code=303)


def summary_page(request: Request) -> Response:
    _who(request, "staff")
    svc = rq.service(request)
    name = _assignment(request)
    rows = svc.class_table(name)
    summary = class_summary(svc.assignments[name], [row.report for row in rows], svc.settings.sandbox, __version__,
                            similarity=svc.copied_work(name))
    html = reports.render_summary_html(summary, svc.course.root / "templates", page="server/summary.html.j2",
                                       **_common(request), name=name)
    return HTMLResponse(html)


def export(request: Request) -> Response:
    _who(request, "staff")
    svc = rq.service(request)
    name = _assignment(request)
    fmt = request.path_params["fmt"]
    if fmt not in EXPORTS:
        raise HTTPException(404, f"There is no such export (there are: {', '.join(EXPORTS)}).")
    finals = [row.report for row in svc.class_table(name, checks=False)]
    text = exports.export(fmt, svc.assignments[name], finals, svc.settings.roster,
                          request.query_params.get("canvas_assignment_id") or None)
    filename, media = EXPORTS[fmt]
    return Response(text, media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{filename}"'})


def regrade_page(request: Request) -> Response:
    _who(request, "staff")
    svc = rq.service(request)
    name = _assignment(request)
    run = svc.store.latest_regrade(name)
    changes, unchanged = [], 0
    if run is not None and run.state == "running" and run.done == run.total:
        changes, unchanged = _preview(svc, name, run.id)
    current = grader_key(svc.course, name)
    attempts = [a for a in svc.store.attempts(name) if a.grader_key is not None]
    stale = sum(a.grader_key != current for a in attempts)
    return _page(request, "server/regrade.html.j2", name=name, assignment=svc.assignments[name], run=run,
                 changes=changes, unchanged=unchanged, stale=stale, graded=len(attempts), names=svc.names())


def _preview(svc: Service, name: str, run: int) -> tuple[list[regrade.Change], int]:
    """Each student's standing now against their standing with every attempt's new report,
    the largest losses first."""
    new_reports = svc.store.regrade_reports(run)
    old, new = [], []
    for sid, attempts, rules in svc.class_rules(name):
        if not attempts:
            continue
        old.append(svc.standing(name, sid, attempts, rules).report)
        regraded = [_replaced(a, new_reports.get(a.id)) for a in attempts]
        new.append(svc.standing(name, sid, regraded, rules).report)
    changes = sorted(regrade.compare(old, new), key=lambda c: (c.new_score - (c.old_score or 0.0), c.student_id))
    return changes, len(new) - len(changes)


def _replaced(attempt, report):
    return attempt if report is None else replace(attempt, report=report, status=report.status)


async def regrade_start(request: Request) -> Response:
    who = await run_in_threadpool(_who, request, "staff")
    name = _assignment(request)
    await _form(request)
    await run_in_threadpool(rq.service(request).start_regrade, who, name)
    return RedirectResponse(f"/staff/{name}/regrade", status_code=303)


async def regrade_close(request: Request) -> Response:
    who = await run_in_threadpool(_who, request, "staff")
    name = _assignment(request)
    fields = await _form(request)
    svc = rq.service(request)
    run = int(request.path_params["run"])
    await run_in_threadpool(svc.close_regrade, who, run, fields.get("action") == "apply")
    return RedirectResponse(f"/staff/{name}/regrade", status_code=303)


def _attempt(request: Request):
    """The attempt named in the path, if the signed-in person may see it (else 404, as if there were none)."""
    who = _who(request)
    attempt = rq.service(request).store.attempt(request.path_params["id"])
    if attempt is None or (not who.staff and attempt.student_id != who.id):
        raise HTTPException(404, "There is no such submission.")
    return attempt


def _assignment(request: Request) -> str:
    name = request.path_params["a"]
    if rq.service(request).assignment(name) is None:
        raise HTTPException(404, "There is no such assignment.")
    return name


def _student(request: Request) -> str:
    sid = request.path_params["sid"]
    if not rq.service(request).is_student(sid):
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
    Route("/assignments/{a}/counting", choose_form, methods=["POST"]),
    Route("/submissions/{id}/requests", review_form, methods=["POST"]),
    Route("/submissions/{id}", attempt_page),
    Route("/submissions/{id}/file", submitted_file),
    Route("/staff/{a}", class_page),
    Route("/staff/{a}/students/{sid}", student_page),
    Route("/staff/{a}/students/{sid}/overrides", override_form, methods=["POST"]),
    Route("/staff/{a}/students/{sid}/overrides/{task}/delete", delete_override_form, methods=["POST"]),
    Route("/staff/{a}/students/{sid}/counting", choose_form, methods=["POST"]),
    Route("/staff/{a}/students/{sid}/extension", extension_form, methods=["POST"]),
    Route("/staff/{a}/students/{sid}/submissions", hand_in_form, methods=["POST"]),
    Route("/staff/{a}/students/{sid}/requests/{rid}/answer", answer_form, methods=["POST"]),
    Route("/staff/{a}/summary", summary_page),
    Route("/staff/{a}/export/{fmt}", export),
    Route("/staff/{a}/regrade", regrade_page, methods=["GET"]),
    Route("/staff/{a}/regrade", regrade_start, methods=["POST"]),
    Route("/staff/{a}/regrade/{run:int}", regrade_close, methods=["POST"]),
]
