"""report.json, report.html and summary.html, rendered from plain dicts.

The page is drawn from the same dict that is written to report.json, so the two cannot
disagree. Much of that dict came from a student: messages quote their values, cell
errors quote their code, a reason may quote their file. Every string is therefore cut
to a bounded length with control and bidi characters made visible before it reaches a
template, and the templates escape it (jinja2 autoescape). No timestamps: the same dict
gives the same bytes.

Templates are looked up in the course's ``templates/`` folder first, then in the
templates shipped with this repository, so a course overrides `report.html.j2` or
`summary.html.j2` by having its own. They receive the prepared views built here.
"""

from __future__ import annotations

import json
import math
import os
import re
import statistics
from functools import lru_cache
from pathlib import Path

import jinja2

from . import plots

BUNDLED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
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
# and bidi overrides): shown as \uXXXX instead.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def render_report_html(report: dict, templates: Path | str | None = None) -> str:
    """One student's report as a self-contained HTML page."""
    view = _report_view(_plain(report, _text))
    return _environment(str(templates or BUNDLED_TEMPLATES)).get_template("report.html.j2").render(report=view)


def render_summary_html(summary: dict, templates: Path | str | None = None) -> str:
    """The class summary as a self-contained HTML page."""
    view = _summary_view(_plain(summary, _text))
    return _environment(str(templates or BUNDLED_TEMPLATES)).get_template("summary.html.j2").render(summary=view)


def write_report(report: dict, folder: Path | str, templates: Path | str | None = None) -> None:
    """Write folder/report.json and folder/report.html, both from the same plain data.

    Each file is written whole or not at all, so an interrupted run leaves no half report.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = _plain(report)
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    _write_whole(folder / "report.json", text)
    _write_whole(folder / "report.html", render_report_html(data, templates))


def _write_whole(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


@lru_cache(maxsize=8)
def _environment(course_templates: str) -> jinja2.Environment:
    loader = jinja2.FileSystemLoader([course_templates, str(BUNDLED_TEMPLATES)])
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["points"] = _points
    return env


# --- one student's report -----------------------------------------------------------

def _report_view(r: dict) -> dict:
    """What report.html.j2 shows; `r` is the report with its strings already bounded."""
    submission = r.get("submission") or {}
    known = {"student_id", "assignment", "title", "status", "reason", "submitted", "score", "max_score",
             "sandbox", "variant", "grader_version", "submission", "cell_errors", "tasks", "warnings"}
    facts = [("Student", r.get("student_id")), ("Assignment", r.get("assignment")),
             ("Submitted file", submission.get("file")), ("SHA-256 of the file", submission.get("sha256")),
             ("Variant", r.get("variant")), ("Sandbox", r.get("sandbox")), ("Grader version", r.get("grader_version"))]
    # Keys the grader adds later are shown too, plainly, rather than silently dropped.
    facts += [(key, value) for key, value in sorted(r.items())
              if key not in known and isinstance(value, (str, int, float, bool))]
    cell_errors, more_errors = _limited(r.get("cell_errors") or [])
    warnings, more_warnings = _limited(r.get("warnings") or [])
    tasks = [_task_view(task) for task in r.get("tasks") or []]
    return {
        "student_id": r.get("student_id") or "unknown student",
        "assignment": r.get("assignment") or "",
        "title": r.get("title") or r.get("assignment") or "Grading report",
        "graded": r.get("status") == "graded",
        "submitted": r.get("submitted", True) is not False,
        "reason": r.get("reason"),
        "score": r.get("score"),
        "max_score": r.get("max_score"),
        "percent": _percent(r.get("score"), r.get("max_score")),
        "sandbox": r.get("sandbox"),
        "weak_sandbox": r.get("sandbox") == "rlimit-only",
        "warnings": warnings,
        "more_warnings": more_warnings,
        "cell_errors": cell_errors,
        "more_cell_errors": more_errors,
        "tasks": tasks,
        "checks_ran": any(task["checks"] for task in tasks),
        "facts": [(label, value) for label, value in facts if value not in (None, "")],
    }


def _task_view(task: dict) -> dict:
    checks = [_check_view(check) for check in task.get("checks") or []]
    return {
        "name": task.get("name") or "task",
        "summary": task.get("summary"),
        "score": task.get("score"),
        "max_score": task.get("max_score"),
        "percent": _percent(task.get("score"), task.get("max_score")),
        "passed": sum(check["passed"] for check in checks),
        "checks": checks,
    }


def _check_view(check: dict) -> dict:
    passed = check.get("passed") is True
    details = check.get("details") or {}
    order = list(DETAIL_LABELS) + sorted(k for k in details if k not in DETAIL_LABELS)
    rows = [(DETAIL_LABELS.get(key, key.replace("_", " ").capitalize()), _text(details[key]))
            for key in order if details.get(key) not in (None, "")]
    return {
        "name": check.get("name") or "check",
        "passed": passed,
        "hidden": check.get("visibility") == "hidden",
        "score": check.get("score"),
        "max_score": check.get("max_score"),
        "message": check.get("message") or "",
        "mistake": check.get("mistake"),
        # A passing check stays one line: its message already says what was right.
        "details": [] if passed else rows,
        "figure": _figure(check.get("figure")),
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

def _summary_view(s: dict) -> dict:
    """What summary.html.j2 shows; `s` is the summary with its strings already bounded."""
    students = [_student_view(student) for student in s.get("students") or []]
    submitted = [st for st in students if st["submitted"]]
    scores = [float(st["score"]) for st in submitted if _is_number(st["score"])]
    max_score = s.get("max_score")
    checks = [
        {**check, "total": check.get("passed", 0) + check.get("failed", 0),
         "percent": _percent(check.get("passed", 0), check.get("passed", 0) + check.get("failed", 0))}
        for check in s.get("checks") or []
    ]
    checks.sort(key=lambda c: (c["percent"], str(c.get("task")), str(c.get("name"))))
    mistakes = sorted(s.get("mistakes") or [], key=lambda m: (-m.get("students", 0), str(m.get("mistake"))))
    tasks = [{**task, "percent": _percent(task.get("mean_score"), task.get("max_score"))} for task in s.get("tasks") or []]
    return {
        "assignment": s.get("assignment") or "",
        "title": s.get("title") or s.get("assignment") or "Class summary",
        "max_score": max_score,
        "grader_version": s.get("grader_version"),
        "sandbox": s.get("sandbox"),
        "weak_sandbox": s.get("sandbox") == "rlimit-only",
        "counts": {
            "students": len(students),
            "graded": sum(st["state"] == "graded" for st in students),
            "ungradable": sum(st["state"] == "ungradable" for st in students),
            "missing": sum(st["state"] == "missing" for st in students),
            "flagged": sum(bool(st["warnings"]) for st in students),
        },
        "mean": statistics.fmean(scores) if scores else None,
        "median": statistics.median(scores) if scores else None,
        "scored": len(scores),
        "histogram": plots.histogram(scores, max_score),
        "tasks": tasks,
        "checks": checks,
        "mistakes": mistakes,
        "students": students,
        "ungradable": [st for st in students if st["state"] == "ungradable"],
        "flagged": [st for st in students if st["warnings"]],
        "missing": [st for st in students if st["state"] == "missing"],
    }


def _student_view(student: dict) -> dict:
    submitted = student.get("submitted", True) is not False
    state = "missing" if not submitted else "graded" if student.get("status") == "graded" else "ungradable"
    warnings, more = _limited(student.get("warnings") or [])
    return {
        "student_id": str(student.get("student_id", "")),
        "state": state,
        "submitted": submitted,
        "score": student.get("score"),
        "max_score": student.get("max_score"),
        "percent": _percent(student.get("score"), student.get("max_score")),
        "reason": student.get("reason"),
        "warnings": warnings,
        "more_warnings": more,
    }


# --- bounded, printable values ------------------------------------------------------

def _plain(value, text=str):
    """Plain JSON data: numpy values as Python ones, nan and ±inf as the strings "nan",
    "inf", "-inf" (JSON has no such numbers; plots reads the strings back), and every
    string passed through `text` (for pages: cut and made printable)."""
    if isinstance(value, dict):
        return {str(key): _plain(item, text) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item, text) for item in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _plain(value.tolist(), text)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return text(value)
    return value


def _text(value, limit: int = TEXT_LIMIT) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if len(text) > limit:
        text = text[:limit] + f"… ({len(text) - limit} more characters not shown)"
    return text


def _limited(items: list) -> tuple[list, int]:
    return items[:LIST_LIMIT], max(0, len(items) - LIST_LIMIT)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _points(value) -> str:
    """17.5 → "17.5", 20.0 → "20", 3.333333 → "3.33"; a missing score → "–"."""
    if not _is_number(value):
        return "–"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _percent(part, whole) -> float:
    if not (_is_number(part) and _is_number(whole)) or whole <= 0:
        return 0.0
    return round(100 * min(max(part / whole, 0.0), 1.0), 1)
