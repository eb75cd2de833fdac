"""Whole classes: generating every student's notebook, grading every submission.

Grading fans out one `grading.Unit` per student over a standard process pool; each
finished report goes into the gradebook in its own transaction before the next one is
awaited, so an interruption loses only work in flight. Reports, grades.csv and
summary.html are written from the gradebook at the end.
"""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from tqdm import tqdm

from . import __version__, reports
from .course import Course
from .gradebook import Gradebook, grades_csv
from .grading import Unit, grade
from .notebooks import build_notebook, write_notebook
from .roster import Roster
from .sandbox import Limits
from .submissions import find_submissions
from .summary import class_summary
from .variants import Variant


def _write_student(course_root: str, name: str, sid: str, out: str, secret: bytes, solutions: bool) -> None:
    course = Course.at(course_root)
    assignment = course.assignment(name)
    variant = Variant.derive(secret, name, sid)
    context = course.context(assignment, variant)
    folder = Path(out) / sid
    write_notebook(build_notebook(course, assignment, variant, context=context), folder / f"{name}.ipynb")
    if solutions:
        write_notebook(build_notebook(course, assignment, variant, solutions=True, context=context),
                       folder / f"{name}.solution.ipynb")


def generate_class(course: Course, name: str, roster: Roster, out: Path, secret: bytes, solutions: bool,
                   jobs: int = 1) -> int:
    course.assignment(name)
    args = [(str(course.root), name, sid, str(out), secret, solutions) for sid in roster.student_ids]
    progress = tqdm(total=len(args), desc=f"generate {name}", unit="nb", disable=None)
    try:
        if jobs <= 1:
            for arg in args:
                _write_student(*arg)
                progress.update(1)
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                for future in as_completed([pool.submit(_write_student, *arg) for arg in args]):
                    future.result()
                    progress.update(1)
    finally:
        progress.close()
    return len(args)


def grader_key(course: Course, name: str) -> str:
    """Changes whenever anything that could change a grade changes: engine, assignment, reference, templates."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    sources = sorted(package.glob("*.py")) + sorted((course.assignment_dir(name)).rglob("*"))
    sources.append(course.root / "solutions" / f"{name}.py")
    for path in sources:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


GradeUnits = Callable[[list[Unit], Path, Path], Iterable[dict]]
"""Another place to grade (a Dask cluster): called with the units, `out` and the course's templates,
it yields each unit's report once that student's report.json and report.html are in `out`."""


@dataclass
class GradeRun:
    graded: int = 0
    ungradable: int = 0
    missing: int = 0
    skipped: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def _grade_and_render(unit: Unit, out: str, templates: str) -> dict:
    report = grade(unit)
    reports.write_report(report, Path(out) / unit.student_id, Path(templates))
    return report


def grade_class(
    course: Course, name: str, roster: Roster, submissions: Path, out: Path, secret: bytes, *,
    jobs: int, sandbox: str, gradebook_path: Path | None = None, force: bool = False,
    limits: Limits = Limits(), say: Callable[[str], None] = print, executor: GradeUnits | None = None,
) -> GradeRun:
    assignment = course.assignment(name)
    started = time.monotonic()
    found = find_submissions(submissions, name, roster.student_ids)
    run = GradeRun(problems=list(found.problems))
    for problem in found.problems:
        say(f"note: {problem}")
    book = Gradebook(gradebook_path or out / "gradebook.sqlite")
    key = grader_key(course, name)
    units = []
    for sid in roster.student_ids:
        submission = found.by_student.get(sid)
        variant = Variant.derive(secret, name, sid)
        sha = None if submission is None else submission.sha256
        if not force and book.is_current(name, sid, sha, variant.fingerprint, key) \
                and (out / sid / "report.json").exists():
            run.skipped += 1
            continue
        units.append(Unit(str(course.root), name, sid, variant.key, submission, sandbox, limits))
    templates = str(course.root / "templates")
    progress = tqdm(total=len(units), desc=f"grade {name}", unit="sub", disable=None)

    def finished(report: dict) -> None:
        book.store(report, key)
        progress.update(1)
        if report["status"] != "graded":
            line = f"{report['student_id']}: {report['reason']}"
            if report.get("submitted", True):
                file = (report.get("submission") or {}).get("file", "")
                line = f"{report['student_id']} ({file}): {report['reason']}"
            progress.write(line)

    try:
        if executor is not None:
            for report in executor(units, out, Path(templates)):
                finished(report)
        elif jobs <= 1:
            for unit in units:
                finished(_grade_and_render(unit, str(out), templates))
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(_grade_and_render, unit, str(out), templates) for unit in units]
                for future in as_completed(futures):
                    finished(future.result())
    finally:
        progress.close()
    all_reports = book.reports(name, roster.student_ids)
    book.close()
    for report in all_reports:
        if report["status"] == "graded":
            run.graded += 1
        elif report.get("submitted", True):
            run.ungradable += 1
        else:
            run.missing += 1
    (out / "grades.csv").write_text(
        grades_csv(all_reports, [t.name for t in assignment.tasks], list(roster.rows), list(roster.columns)),
        encoding="utf-8",
    )
    summary = class_summary(assignment, all_reports, sandbox, __version__)
    (out / "summary.html").write_text(reports.render_summary_html(summary, Path(templates)), encoding="utf-8")
    run.seconds = time.monotonic() - started
    return run


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
