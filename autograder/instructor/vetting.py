"""Vetting a class: is every student's variant fair, and do the checks see it so?

For every roster student, as one unit of work in a pool of processes:

- the reference solution in that student's notebook gets full marks, with no warning and
  no cell error, and passes every self-check cell when the notebook is run top to bottom
  in the sandbox, as "Run All" in Jupyter would;
- the stub (the notebook as handed out) gets 0;
- every known mistake (``mistakes/``) loses points on its own task only, and is named there,
  by its own name alone (a case where two mistakes give one value must name neither);
- every known mistake loses points on the same tasks on every variant: a verdict never depends
  on the student's numbers;
- the assignment's difficulty measures (``measures.py``) fall inside their declared ranges.

Everything is graded by the engine's own `grading.grade`, exactly as `grade` would.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from ..course import Course
from ..demo import load_mistakes
from ..errors import UserError
from ..grading import Unit, grade
from ..notebooks import build_notebook, cell_grade_id, notebook_bytes, strip_magics, with_cell
from ..records import Report, Submission, score
from ..roster import Roster
from ..sandbox import Limits, Worker, WorkerDied, WorkerTimeout
from ..variants import Variant
from . import measures as measures_
from .pages import render_vetting

# Points are compared after rounding: reports carry scores rounded to 6 decimals.
EPS = 1e-6


@dataclass(frozen=True)
class Job:
    """One student's vetting: everything a pool process needs, and nothing that changes between runs."""

    course_root: str
    assignment: str
    student_id: str
    variant_key: bytes
    sandbox: str
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class MistakeOutcome:
    slug: str
    task: str
    lost: float  # points lost on its own task
    named: bool  # some check of its task names it
    others: dict[str, float]  # other tasks that lost points, and how many
    misnamed: tuple[str, ...] = ()  # other names its task's checks gave it: a case that cannot tell them apart

    @property
    def tasks_lost(self) -> tuple[str, ...]:
        """Every task it loses points on: the same on every variant, or a grade depends on the numbers."""
        return tuple(sorted({*self.others, *((self.task,) if self.lost > EPS else ())}))

    def as_json(self) -> dict:
        return {"slug": self.slug, "task": self.task, "lost": self.lost, "named": self.named, "others": self.others,
                "misnamed": list(self.misnamed)}


@dataclass(frozen=True)
class VariantOutcome:
    student_id: str
    variant: str
    problems: tuple[str, ...]  # one line each, for people; none when the variant is fair
    reference_score: float
    stub_score: float
    max_score: float
    selfchecks_passed: int
    selfchecks: int
    mistakes: tuple[MistakeOutcome, ...]
    measures: dict[str, float | None]

    @property
    def outcome(self) -> str:
        return "fail" if self.problems else "pass"

    def as_json(self) -> dict:
        return {
            "student_id": self.student_id, "variant": self.variant, "outcome": self.outcome,
            "problems": list(self.problems),
            "reference": {"score": self.reference_score, "max_score": self.max_score},
            "stub": {"score": self.stub_score},
            "selfchecks": {"passed": self.selfchecks_passed, "total": self.selfchecks},
            "mistakes": [m.as_json() for m in self.mistakes],
            "measures": self.measures,
        }


def vet_variant(job: Job) -> VariantOutcome:
    course = Course.at(job.course_root)
    assignment = course.assignment(job.assignment)
    variant = Variant(job.assignment, job.student_id, job.variant_key)
    context = course.context(assignment, variant)
    solution = build_notebook(course, assignment, variant, solutions=True, context=context)
    problems: list[str] = []

    def graded(label: str, nb) -> Report:
        unit = Unit(job.course_root, job.assignment, job.student_id, job.variant_key,
                    Submission(f"{label} of {job.student_id}", notebook_bytes(nb)), job.sandbox, job.limits)
        report = grade(unit)
        if report.status != "graded":
            problems.append(f"the {label} was not graded: {report.reason}")
        return report

    reference = graded("reference solution", solution)
    problems += [f"the reference fails {check.task}: {check.name}: {check.message}"
                 for check in reference.checks() if not check.passed]
    problems += [f"the reference's cell {e.cell} fails: {e.error}" for e in reference.cell_errors]
    problems += [f"grading the reference warns: {w}" for w in reference.warnings]

    selfchecks = selfcheck_errors(solution, job.sandbox, job.limits)
    problems += [f"the reference fails the self-check {cell}: {error}" for cell, error in selfchecks.items() if error]

    stub = graded("stub", build_notebook(course, assignment, variant, context=context))
    if stub.score > 0:
        problems.append(f"the stub gets {stub.score:g} points, not 0")

    full = {t.name: t.points for t in assignment.tasks}
    mistakes = []
    for mistake in load_mistakes(course, job.assignment):
        report = graded(f"mistake {mistake.slug}", with_cell(solution, mistake.task, mistake.source))
        scores = report.task_scores()
        own = report.task(mistake.task)
        outcome = MistakeOutcome(
            mistake.slug, mistake.task,
            lost=score(full.get(mistake.task, 0.0) - scores.get(mistake.task, 0.0)),
            named=own is not None and any(c.mistake == mistake.name for c in own.checks),
            others={t: score(full[t] - s) for t, s in scores.items() if t != mistake.task and s < full[t] - EPS},
            misnamed=tuple(sorted({c.mistake for c in own.checks if c.mistake and c.mistake != mistake.name}))
            if own is not None else (),
        )
        if outcome.lost <= EPS:
            problems.append(f"the mistake {mistake.slug} ({mistake.name!r}) loses no points on {mistake.task}")
        elif not outcome.named:
            problems.append(f"the mistake {mistake.slug} loses points on {mistake.task} but is not named there "
                            f"as {mistake.name!r}")
        if outcome.misnamed:
            problems.append(f"the mistake {mistake.slug} is also named {', '.join(map(repr, outcome.misnamed))} on "
                            f"{mistake.task}: a case where two mistakes give the same value must name neither")
        if outcome.others:
            lost = ", ".join(f"{t} ({p:g})" for t, p in outcome.others.items())
            problems.append(f"the mistake {mistake.slug} in {mistake.task} also costs points on {lost}")
        mistakes.append(outcome)

    declared = measures_.declared(course, job.assignment)
    values = measures_.measure_all(declared, context.params, context.reference)
    for measure in declared:
        if not measure.inside(values[measure.name]):
            problems.append(f"{measure.label} is {values[measure.name]}, outside its declared range {measure.range_text}")

    return VariantOutcome(
        job.student_id, variant.fingerprint, tuple(problems), reference.score, stub.score,
        assignment.max_score, sum(1 for e in selfchecks.values() if not e), len(selfchecks), tuple(mistakes), values,
    )


def selfcheck_errors(nb, sandbox: str, limits: Limits) -> dict[str, str | None]:
    """Run every code cell of a notebook in order in the sandbox; each self-check cell's error, or None."""
    cells = [{"label": cell_grade_id(c) or f"cell {i}", "source": strip_magics(c["source"]),
              "role": c["metadata"].get("autograder", {}).get("role")}
             for i, c in enumerate(nb["cells"], start=1) if c["cell_type"] == "code"]
    errors: dict[str, str | None] = {c["label"]: None for c in cells if c["role"] == "selfcheck"}
    try:
        worker = Worker(sandbox, limits)
    except (WorkerDied, WorkerTimeout) as exc:
        return {label: f"the sandbox could not start ({exc})" for label in errors}
    try:
        worker.send({"op": "cells", "cells": [{"label": c["label"], "source": c["source"]} for c in cells]})
        while True:
            message = worker.receive(limits.cell_timeout)
            if message.get("event") == "cells_done":
                break
            index = message.get("index")
            if message.get("event") == "cell_done" and message.get("error") and isinstance(index, int) \
                    and cells[index]["label"] in errors:
                errors[cells[index]["label"]] = str(message["error"])
    except WorkerTimeout:
        pending = [label for label, error in errors.items() if error is None]
        errors.update({label: f"no result within {limits.cell_timeout:g} s" for label in pending})
    except WorkerDied as exc:
        pending = [label for label, error in errors.items() if error is None]
        errors.update({label: f"the notebook's process ended: {exc}" for label in pending})
    finally:
        worker.close()
    return errors


@dataclass
class Vetting:
    assignment: str
    sandbox: str
    jobs: int
    variants: list[VariantOutcome]
    measures: list[dict]
    mistakes: list[dict]
    seconds: float = 0.0

    @property
    def failed(self) -> list[VariantOutcome]:
        return [v for v in self.variants if v.problems]

    def as_json(self) -> dict:
        return {
            "assignment": self.assignment, "sandbox": self.sandbox, "jobs": self.jobs,
            "seconds": round(self.seconds, 1), "students": len(self.variants),
            "passed": len(self.variants) - len(self.failed), "failed": len(self.failed),
            "mistakes": self.mistakes, "measures": self.measures,
            "variants": [v.as_json() for v in self.variants],
        }


def vet_class(course: Course, name: str, roster: Roster, secret: bytes, *, jobs: int, sandbox: str,
              limits: Limits = Limits(), say: Callable[[str], None] = print) -> Vetting:
    """Vet every roster student's variant, `jobs` students at a time."""
    started = time.monotonic()
    course.assignment(name)
    try:
        known = load_mistakes(course, name)
    except ValueError as exc:  # a mistake file the author wrote: one line for them, before any grading
        raise UserError(str(exc)) from None
    units = [Job(str(course.root), name, sid, Variant.derive(secret, name, sid).key, sandbox, limits)
             for sid in roster.student_ids]
    done: dict[str, VariantOutcome] = {}
    progress = tqdm(total=len(units), desc=f"vet {name}", unit="variant", disable=None)

    def finished(outcome: VariantOutcome) -> None:
        done[outcome.student_id] = outcome
        progress.update(1)
        for problem in outcome.problems:
            progress.write(f"{outcome.student_id}: {problem}")

    try:
        if jobs <= 1:
            for unit in units:
                finished(vet_variant(unit))
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                for future in as_completed([pool.submit(vet_variant, unit) for unit in units]):
                    finished(future.result())
    finally:
        progress.close()
    variants = _flag_inconsistent([done[sid] for sid in roster.student_ids])
    declared = measures_.declared(course, name)
    spreads = [measures_.spread(m, {v.student_id: v.measures[m.name] for v in variants}) for m in declared]
    mistakes = []
    for m in known:
        outcomes = [(v.student_id, o) for v in variants for o in v.mistakes if o.slug == m.slug]
        lost = [o.lost for _, o in outcomes]
        mistakes.append({"slug": m.slug, "name": m.name, "task": m.task,
                         "lost": {"min": min(lost), "max": max(lost)} if lost else None,
                         "failed": sorted(sid for sid, o in outcomes if o.lost <= EPS or not o.named or o.others
                                          or o.misnamed or o.tasks_lost != _usual(m.slug, variants))})
    return Vetting(name, sandbox, jobs, variants, spreads, mistakes, time.monotonic() - started)


def _usual(slug: str, variants: list[VariantOutcome]) -> tuple[str, ...]:
    """The tasks a mistake loses on most variants."""
    counts = Counter(o.tasks_lost for v in variants for o in v.mistakes if o.slug == slug)
    return counts.most_common(1)[0][0] if counts else ()


def _flag_inconsistent(variants: list[VariantOutcome]) -> list[VariantOutcome]:
    """Each variant on which a mistake loses other tasks than on most variants fails, saying so: the
    same code must get the same verdict whatever the student's numbers."""
    out = []
    for v in variants:
        odd = [f"the mistake {o.slug} loses points on {', '.join(o.tasks_lost) or 'no task'} here, but on "
               f"{', '.join(_usual(o.slug, variants)) or 'no task'} on most variants"
               for o in v.mistakes if o.tasks_lost != _usual(o.slug, variants)]
        out.append(replace(v, problems=v.problems + tuple(odd)) if odd else v)
    return out


def write_vetting(data: dict, out: Path, course: Course) -> None:
    """OUT/vetting.json and OUT/vetting.html, both from the same dict."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "vetting.json").write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                                      encoding="utf-8")
    (out / "vetting.html").write_text(render_vetting(data, course.root / "templates"), encoding="utf-8")
