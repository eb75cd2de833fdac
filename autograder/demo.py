"""The bundled sample class: correct work, the known mistakes, and a few broken submissions.

Submissions are made from each student's own solution notebook, with one solution cell
replaced by a mistake from ``assignments/<name>/mistakes/`` (or broken on purpose), then
graded exactly as a TA would grade a real class. The tests use the same building blocks.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .batch import grade_class
from .course import BUNDLED, Course
from .notebooks import build_notebook, notebook_bytes, with_cell
from .roster import Roster
from .sandbox import choose_sandbox
from .variants import Variant

DEMO_SECRET = b"demo-course-secret: not for real classes"


@dataclass(frozen=True)
class Mistake:
    name: str  # as the verdict names it
    task: str  # the only task that should lose points
    slug: str
    source: str  # the replacement solution cell


def load_mistakes(course: Course, assignment: str) -> list[Mistake]:
    folder = course.assignment_dir(assignment) / "mistakes"
    mistakes = []
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        module = ast.parse(text)
        doc = ast.get_docstring(module) or ""
        lines = doc.splitlines()
        task = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("task:")), None)
        if not lines or task is None:
            raise ValueError(f"{path}: the docstring must start with the mistake's name and hold a 'task: ...' line")
        body = "\n".join(text.splitlines()[module.body[0].end_lineno:]).strip("\n")
        mistakes.append(Mistake(lines[0].strip(), task, path.stem, body))
    return mistakes


def sample_class(course: Course, assignment: str, secret: bytes) -> tuple[Roster, dict[str, bytes]]:
    """A dozen students and what each submitted (a missing key is a student who submitted nothing)."""
    definition = course.assignment(assignment)
    mistakes = load_mistakes(course, assignment)
    looping_task = definition.tasks[0].name
    plans: list[tuple[str, Callable]] = [
        ("correct", lambda v: notebook_bytes(build_notebook(course, definition, v, solutions=True))),
        ("correct-too", lambda v: notebook_bytes(build_notebook(course, definition, v, solutions=True))),
        ("untouched", lambda v: notebook_bytes(build_notebook(course, definition, v))),
        ("infinite-loop", lambda v: notebook_bytes(with_cell(
            build_notebook(course, definition, v, solutions=True), looping_task,
            f"def {looping_task}(*args, **kwargs):\n    while True:\n        pass"))),
        ("broken-file", lambda v: b'{"cells": [ this is not json'),
        ("no-submission", None),
    ]
    for mistake in mistakes[: 12 - len(plans)]:
        plans.append((mistake.slug, lambda v, m=mistake: notebook_bytes(with_cell(
            build_notebook(course, definition, v, solutions=True), m.task, m.source))))
    rows, files = [], {}
    for number, (case, make) in enumerate(plans, start=1):
        sid = f"s{number:03d}"
        rows.append({"student_id": sid, "name": f"Sample Student {number}", "demo_case": case})
        if make is not None:
            files[sid] = make(Variant.derive(secret, assignment, sid))
    return Roster(("student_id", "name", "demo_case"), tuple(rows)), files


def run_demo(out: Path, jobs: int, say: Callable[[str], None] = print, course: Course | None = None,
             sandbox: str | None = None) -> None:
    """The whole pipeline on the sample class; `sandbox` as `choose_sandbox` chose it (bubblewrap, or
    a refusal, when not given)."""
    course = course or bundled_course()
    sandbox = sandbox or choose_sandbox()[0]
    for assignment in course.assignment_names():
        roster, files = sample_class(course, assignment, DEMO_SECRET)
        folder = out / assignment
        submissions = folder / "submissions"
        submissions.mkdir(parents=True, exist_ok=True)
        for sid, data in files.items():
            (submissions / f"{sid}.ipynb").write_bytes(data)
        roster_path = folder / "roster.csv"
        roster_path.write_text("student_id,name,demo_case\n" + "".join(
            f"{r['student_id']},{r['name']},{r['demo_case']}\n" for r in roster.rows), encoding="utf-8")
        say(f"== {assignment}: {len(roster.rows)} sample students ({', '.join(r['demo_case'] for r in roster.rows)})")
        run = grade_class(course, assignment, roster, submissions, folder / "reports", DEMO_SECRET,
                          jobs=jobs, sandbox=sandbox, force=True, say=say)
        say(f"   {run.graded} graded, {run.ungradable} ungradable, {run.missing} missing in {run.seconds:.1f} s")
        say(f"   class summary: {(folder / 'reports' / 'summary.html').resolve()}")
        say(f"   student reports: {(folder / 'reports').resolve()}/<student_id>/report.html")
        say(f"   grades: {(folder / 'reports' / 'grades.csv').resolve()}")
    say(f"Demo done. Start with {(out / course.assignment_names()[0] / 'reports' / 'summary.html').resolve()}")


def bundled_course() -> Course:
    """The current directory when it is a course, else the course this distribution ships."""
    here = Path.cwd()
    return Course(here if (here / "assignments").is_dir() else BUNDLED)
