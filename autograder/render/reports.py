"""report.json, report.html and summary.html, rendered from the records of a grade.

The page is drawn from the same record that is written to report.json, so the two cannot
disagree. Much of that record came from a student: messages quote their values, cell
errors quote their code, a reason may quote their file. Every string is therefore cut
to a bounded length with control and bidi characters made visible before it reaches a
template, and the templates escape it (jinja2 autoescape). No timestamps: the same record
gives the same bytes.

Templates are looked up in the course's ``templates/`` folder first, then in the ones
shipped in the package (these pages' in ``render/templates/``), so a course overrides
`report.html.j2` or `summary.html.j2` by having its own. They receive the prepared views built here.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from functools import lru_cache
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from .. import jsontext
from ..records import CheckResult, Report, TaskResult, plain_numbers
from ..summary import ClassSummary, StudentLine, is_number, percent as _percent
from . import plots

if TYPE_CHECKING:  # only carried by the summary; imported where they are made
    from ..intake import IntakeNotes
    from ..similarity.findings import Similarity

# Every page template ships beside the code that renders it; the server's and LTI's are named by
# their package ("server/base.html.j2" is server/templates/base.html.j2).
PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATES = PACKAGE / "render" / "templates"
SHIPPED = (TEMPLATES, PACKAGE / "instructor" / "templates")
PREFIXED = {"server": PACKAGE / "server" / "templates", "lti": PACKAGE / "lti" / "templates"}
TEXT_LIMIT = 4000  # characters of any one string shown
LIST_LIMIT = 50  # warnings or cell errors shown; the rest are counted

DETAIL_LABELS = {
    "input": "Input",
    "got": "Your value",
    "expected": "Expected",
    "error": "Error",
    "tolerance": "Tolerance",
    "worst_index": "Largest difference at index",
    "reproduce": "Reproduce",
}

# Characters that would hide or reorder text on the page (C0/C1 controls, zero-width
# and bidi marks, embeddings, overrides and isolates): shown as \uXXXX instead.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def visible(text: str) -> str:
    """`text` with every character that would hide or reorder what is around it written as \\uXXXX."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render_report_html(report: Report, templates: Path | str | None = None, page: str = "report.html.j2",
                       **context) -> str:
    """One student's report as a self-contained HTML page (or as `page`, a template that extends
    report.html.j2 and fills its blocks from `context`: the course server's page)."""
    view = _report_view(_bounded(report))
    return _environment(str(templates or TEMPLATES)).get_template(page).render(report=view, **context)


def render_summary_html(summary: ClassSummary, templates: Path | str | None = None, page: str = "summary.html.j2",
                        **context) -> str:
    """The class summary as a self-contained HTML page (or as `page`, like `render_report_html`)."""
    view = _summary_view(_bounded(summary))
    return _environment(str(templates or TEMPLATES)).get_template(page).render(summary=view, **context)


def prepare(templates: Path | str | None = None) -> None:
    """Load the report page's template now: a pool forked after this inherits it compiled."""
    _environment(str(templates or TEMPLATES)).get_template("report.html.j2")


def report_json(report: Report) -> str:
    """The text of report.json: strict JSON, keys sorted, so the same report gives the same bytes."""
    return jsontext.indented(report.to_json()) + "\n"


def write_report(report: Report, folder: Path | str, templates: Path | str | None = None) -> None:
    """Write folder/report.json and folder/report.html, both from the same record."""
    write_report_files(report_files(report, templates), folder)


def report_files(report: Report, templates: Path | str | None = None) -> dict[str, str]:
    """The text of report.json and report.html (rendered where the grading ran, written elsewhere)."""
    return {"report.json": report_json(report), "report.html": render_report_html(report, templates)}


def write_report_files(files: dict[str, str], folder: Path | str) -> None:
    """Each file is written whole or not at all, so an interrupted run leaves no half report."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("report.json", "report.html"):
        _write_whole(folder / name, files[name])


def _write_whole(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def template_environment(course_templates: str) -> jinja2.Environment:
    """Jinja as every page of ours uses it: the course's templates before the ones the package ships
    (so a course overrides any page by its name), every value autoescaped, an undefined name an
    error, and the `points` filter."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader([course_templates, *map(str, SHIPPED)]),
            jinja2.PrefixLoader({name: jinja2.FileSystemLoader(str(folder)) for name, folder in PREFIXED.items()}),
        ]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Every grading process compiles the report template once; jinja's own cache (per user, in the
        # temporary directory, keyed by the template's source) spares all but the first run that work.
        bytecode_cache=jinja2.FileSystemBytecodeCache(),
    )
    env.filters["points"] = _points
    return env


_environment = lru_cache(maxsize=8)(template_environment)


# --- one student's report -----------------------------------------------------------

def _report_view(r: Report) -> dict:
    """What report.html.j2 shows; `r` is the report with its strings already bounded."""
    submission = r.submission
    facts = [("Student", r.student_id), ("Assignment", r.assignment),
             ("Submitted file", submission and submission.file), ("Submitted at", r.submitted_at),
             ("SHA-256 of the file", submission and submission.sha256),
             ("Variant", r.variant), ("Sandbox", r.sandbox), ("Grader version", r.grader_version)]
    if r.late:
        facts.append(("Handed in", "late"))
    cell_errors, more_errors = _limited(list(r.cell_errors))
    warnings, more_warnings = _limited(list(r.warnings))
    tasks = [_task_view(task) for task in r.tasks]
    return {
        "student_id": r.student_id or "unknown student",
        "assignment": r.assignment or "",
        "title": r.title or r.assignment or "Grading report",
        "graded": r.status == "graded",
        "submitted": r.submitted,
        "reason": r.reason,
        "score": r.score,
        "max_score": r.max_score,
        "percent": _percent(r.score, r.max_score),
        "sandbox": r.sandbox,
        "weak_sandbox": r.sandbox == "rlimit-only",
        "warnings": warnings,
        "more_warnings": more_warnings,
        "cell_errors": cell_errors,
        "more_cell_errors": more_errors,
        "tasks": tasks,
        "checks_ran": any(task["checks"] for task in tasks),
        "facts": [(label, value) for label, value in facts if value not in (None, "")],
    }


def _task_view(task: TaskResult) -> dict:
    checks = [_check_view(check) for check in task.checks]
    return {
        "name": task.name or "task",
        "summary": task.summary,
        "score": task.score,
        "max_score": task.max_score,
        "percent": _percent(task.score, task.max_score),
        "passed": sum(check["passed"] for check in checks),
        "checks": checks,
        "override": task.override,
    }


def _check_view(check: CheckResult) -> dict:
    details = check.details
    order = list(DETAIL_LABELS) + sorted(k for k in details if k not in DETAIL_LABELS)
    rows = [(DETAIL_LABELS.get(key, key.replace("_", " ").capitalize()),
             details[key] if isinstance(details[key], str) else _text(details[key]))
            for key in order if details.get(key) not in (None, "")]
    return {
        "name": check.name or "check",
        "passed": check.passed is True,
        "hidden": check.visibility == "hidden",
        "score": check.score,
        "max_score": check.max_score,
        "message": check.message,
        "mistake": check.mistake,
        # A passing check stays one line: its message already says what was right.
        "details": [] if check.passed else rows,
        "figure": _figure(check.figure),
    }


def _figure(spec) -> dict | None:
    if not spec:
        return None
    try:
        picture = plots.draw(spec)
    except ValueError as exc:
        # The figure is an illustration; a malformed one must not cost the report.
        return {"svg": None, "alt": "", "notes": [f"the figure could not be drawn: {_text(str(exc))}"]}
    return {"svg": picture.svg, "alt": picture.alt, "notes": list(picture.notes)}


# --- the class summary --------------------------------------------------------------

def _summary_view(s: ClassSummary) -> dict:
    """What summary.html.j2 shows; `s` is the summary with its strings already bounded."""
    students = [_student_view(student) for student in s.students]
    return {
        "assignment": s.assignment,
        "title": s.title or s.assignment or "Class summary",
        "max_score": s.max_score,
        "grader_version": s.grader_version,
        "sandbox": s.sandbox,
        "weak_sandbox": s.sandbox == "rlimit-only",
        "counts": s.counts,
        "mean": s.mean,
        "median": s.median,
        "scored": len(s.scores),
        "histogram": plots.histogram(list(s.scores), s.max_score),
        "tasks": s.tasks,
        "checks": s.checks,
        "mistakes": s.mistakes,
        "students": students,
        "ungradable": [st for st in students if st["state"] == "ungradable"],
        "flagged": [st for st in students if st["warnings"]],
        "missing": [st for st in students if st["state"] == "missing"],
        "late": [st for st in students if st["late"]],
        "intake": _intake_view(s.intake),
        "similarity": _similarity_view(s.similarity),
    }


def _similarity_view(similarity: Similarity | None) -> dict | None:
    if similarity is None:
        return None
    pairs, more_pairs = _limited(list(similarity.pairs))
    return {
        "threshold": _percent(similarity.threshold, 1),
        "signals": similarity.signals,
        "pairs": [{"students": pair.students, "percent": _percent(pair.score, 1),
                   "shares": [_percent(x, 1) for x in pair.shares],
                   # the two sides line by line, as rows of the side-by-side table
                   "rows": list(zip_longest(*pair.sides, fillvalue=None))} for pair in pairs],
        "more_pairs": more_pairs,
        "clusters": similarity.clusters,
    }


def _intake_view(intake: IntakeNotes | None) -> dict | None:
    if intake is None:
        return None
    problems, more = _limited(list(intake.problems))
    return {"layout": intake.layout, "rule": intake.rule, "problems": problems, "more": more}


def _student_view(student: StudentLine) -> dict:
    warnings, more = _limited(list(student.warnings))
    return {
        "student_id": student.student_id,
        "state": student.state,
        "score": student.score,
        "max_score": student.max_score,
        "percent": student.percent,
        "reason": student.reason,
        "warnings": warnings,
        "more_warnings": more,
        "late": student.late,
    }


# --- bounded, printable values ------------------------------------------------------

def _bounded(value):
    """The same record or data with every string cut and made printable (see `_text`)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _bounded(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    if isinstance(value, dict):
        return {_text(str(key)): _bounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if plain_numbers(value):
            return value  # a figure's numbers: nothing to bound (most of a report's data)
        return type(value)(_bounded(item) for item in value)
    if isinstance(value, str):
        return _text(value)
    return value


def _text(value, limit: int = TEXT_LIMIT) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = visible(text)
    if len(text) > limit:
        text = text[:limit] + f"… ({len(text) - limit} more characters not shown)"
    return text


def _limited(items: list) -> tuple[list, int]:
    return items[:LIST_LIMIT], max(0, len(items) - LIST_LIMIT)


def _points(value) -> str:
    """17.5 → "17.5", 20.0 → "20", 3.333333 → "3.33"; a missing score → "–"."""
    if not is_number(value):
        return "–"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


