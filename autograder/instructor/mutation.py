"""How strong are the checks? Every mutant of every task's reference, graded on every variant.

Each mutant (`mutants.py`) replaces one solution cell of the reference notebook and is graded
by the engine's own pieces, as `grade` would (the cells `grading.execution_plan` runs, in a
`session.SubmissionRun`, judged by `checks.run_judge`), on every variant of the class. Only
the checks of the tasks it can change are asked: its own task and those whose reference calls
the mutated function, and a task's checks only until one fails; every other task is the
reference's, which gets full marks. A mutant is caught when its own task loses points; it must lose the same tasks on every variant, or its
verdict depends on the student's numbers (reported as inconsistent: the checks' hidden cases
must be chosen so that this never happens). A mutant whose task keeps full marks everywhere
survives, unless the assignment declares it equivalent (``assignments/<name>/mutants.py``: it
changes nothing a student could observe, and why). A declared equivalent that loses points is
reported too: either the declaration is wrong or a check punishes a correct answer.

One unit of work is one variant with every mutant: its checks are built once, and each mutant
costs one sandboxed worker and the calls of the tasks it can change.
"""

from __future__ import annotations

import ast
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Callable

from tqdm import tqdm

from ..checks import Verdict, run_judge
from ..course import Course
from ..grading import execution_plan
from ..session import SubmissionRun
from ..notebooks import build_notebook, locked_cells, with_cell
from ..sandbox import Limits, prestart, warm
from ..variants import Variant
from .mutants import Mutant, mutants_of

# A mutant can loop far longer than any student should (a step count never reached): it is
# caught by its time-out, which need not be a student's full allowance.
MUTANT_LIMITS = Limits(call_timeout=5.0, submission_timeout=90.0)
EPS = 1e-6


@dataclass(frozen=True)
class VariantJob:
    """Every mutant graded on one student's variant."""

    course_root: str
    assignment: str
    student_id: str
    key: bytes
    mutants: tuple[tuple[Mutant, str], ...]  # each with the solution cell holding it
    affected: tuple[tuple[str, tuple[str, ...]], ...]  # task → the tasks a mutant of it can change
    sandbox: str


def grade_variant(job: VariantJob) -> tuple[str, list[dict]]:
    """For each mutant: the tasks that lost points (and how many), the mistakes named, the first failing check."""
    course = Course.at(job.course_root)
    assignment = course.assignment(job.assignment)
    variant = Variant(job.assignment, job.student_id, job.key)
    context = course.context(assignment, variant)
    solution = build_notebook(course, assignment, variant, solutions=True, context=context)
    master = locked_cells(course, assignment, variant, context.params)
    checks = assignment.checks(context)
    points = {t.name: t.points for t in assignment.tasks}
    affected = dict(job.affected)
    warm_up = course.warm_up(job.assignment)
    prestart(job.sandbox, MUTANT_LIMITS, warm_up)
    warm(job.sandbox, MUTANT_LIMITS, warm_up)
    results = []
    for mutant, cell in job.mutants:
        cells, _ = execution_plan(with_cell(solution, mutant.task, cell), master, job.student_id, variant.fingerprint)
        if assignment.observers:
            cells.insert(0, {"label": "the assignment's observers", "observers": dict(assignment.observers)})
        run = SubmissionRun(job.sandbox, MUTANT_LIMITS, cells)
        lost, failing = {}, None
        try:
            for task in affected[mutant.task]:
                # A task's first failing check settles that it loses points: its later checks (the
                # longest runs come last) are not asked, so `lost` is the least it loses.
                mine = [c for c in checks if c.task == task]
                for check in mine:
                    verdict = _judge(check, run.calls(list(check.calls)))
                    if not verdict.passed:
                        lost[task] = round(points[task] * check.weight / sum(c.weight for c in mine), 6)
                        failing = failing or (check, verdict)
                        break
        finally:
            run.close()
        results.append({"lost": lost, "named": [failing[1].mistake] if failing and failing[1].mistake else [],
                        "check": f"{failing[0].name}: {failing[1].message}"[:300] if failing else ""})
    return job.student_id, results


def _judge(check, outcomes) -> Verdict:
    try:
        return run_judge(check, outcomes)
    except Exception as exc:  # a grader bug shows as a lost check here, as in grading
        return Verdict(False, f"The grader could not judge this check ({type(exc).__name__}).")


def affected_tasks(course: Course, name: str, tasks: list[str]) -> dict[str, tuple[str, ...]]:
    """For each task, the tasks whose reference uses its function, directly or not (itself first)."""
    functions = course.solution_functions(name)
    uses = {t: {n.id for n in ast.walk(functions[t]) if isinstance(n, ast.Name)} & set(tasks) - {t} for t in tasks}
    out = {}
    for task in tasks:
        reached = {task}
        while True:
            more = {t for t in tasks if uses[t] & reached} - reached
            if not more:
                break
            reached |= more
        out[task] = (task, *sorted(reached - {task}))
    return out


def declared_equivalents(course: Course, name: str) -> dict[tuple[str, str, str], str]:
    module = course.assignment_part(name, "mutants")
    return dict(getattr(module, "EQUIVALENT", {})) if module is not None else {}


def mutation_report(course: Course, name: str, student_ids: list[str], secret: bytes, *, jobs: int, sandbox: str,
                    say: Callable[[str], None] = print) -> dict:
    """Every mutant of every task graded on every student of `student_ids`."""
    started = time.monotonic()
    assignment = course.assignment(name)
    tasks = [t.name for t in assignment.tasks]
    functions = course.solution_functions(name)
    constants = frozenset(assignment.parameters(Variant.derive(secret, name, student_ids[0])))
    imports = "\n".join(ast.unparse(node) for node in ast.parse(course.solution_source(name)).body
                        if isinstance(node, (ast.Import, ast.ImportFrom)))
    mutants = [m for task in tasks for m in mutants_of(functions[task], task, constants)]
    cells = tuple((m, f"{imports}\n\n\n{m.source}") for m in mutants)
    affected = tuple(affected_tasks(course, name, tasks).items())
    work = [VariantJob(str(course.root), name, sid, Variant.derive(secret, name, sid).key, cells, affected, sandbox)
            for sid in student_ids]
    graded: dict[str, list[dict]] = {}
    progress = tqdm(total=len(work), desc=f"mutants of {name}", unit="variant", disable=None)
    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for future in as_completed([pool.submit(grade_variant, job) for job in work]):
                student, results = future.result()
                graded[student] = results
                progress.update(1)
    finally:
        progress.close()
    equivalent = declared_equivalents(course, name)
    records = []
    for i, mutant in enumerate(mutants):
        reason = equivalent.get(mutant.key)
        by_student = {sid: graded[sid][i] for sid in student_ids}
        losses = {}  # the set of tasks lost → the students where it is that set
        for sid, result in by_student.items():
            losses.setdefault(tuple(sorted(result["lost"])), []).append(sid)
        caught = [sid for sid, r in by_student.items() if mutant.task in r["lost"]]
        status = ("equivalent" if reason is not None and not caught else "inconsistent" if len(losses) > 1
                  else "caught" if caught else "equivalent" if reason is not None else "survived")
        record = {**mutant.as_json(), "status": status, **({"reason": reason} if reason is not None else {})}
        if caught:
            first = by_student[caught[0]]
            record.update(student=caught[0], lost=first["lost"][mutant.task],
                          named=sorted({n for sid in caught for n in by_student[sid]["named"]}), check=first["check"])
            if reason is not None:
                say(f"note: the mutant declared equivalent ({mutant.task}: {mutant.before} → {mutant.after}) loses "
                    f"points: {first['check']}")
        if len(losses) > 1:
            record["losses"] = [{"tasks": list(lost), "students": sids} for lost, sids in
                                sorted(losses.items(), key=lambda kv: -len(kv[1]))]
        records.append(record)
    used = {m.key for m in mutants}
    return _summary(records, tasks, list(student_ids),
                    stale=[" → ".join(key) for key in equivalent if key not in used],
                    wrongly_equivalent=[r for r in records if "student" in r and "reason" in r],
                    seconds=time.monotonic() - started)


def _summary(records: list[dict], tasks: list[str], students: list[str], stale: list[str],
             wrongly_equivalent: list[dict], seconds: float) -> dict:
    def counts(rows: list[dict]) -> dict:
        caught = [r for r in rows if r["status"] == "caught"]
        return {"total": len(rows), "caught": len(caught),
                "equivalent": sum(r["status"] == "equivalent" for r in rows),
                "survived": sum(r["status"] == "survived" for r in rows),
                "inconsistent": sum(r["status"] == "inconsistent" for r in rows),
                "named": sum(bool(r["named"]) for r in caught)}

    whole = counts(records)
    judged = whole["total"] - whole["equivalent"]
    return {
        **whole,
        "score": whole["caught"] / judged if judged else 1.0,
        "named_share": whole["named"] / whole["caught"] if whole["caught"] else 0.0,
        "variants": students,
        "seconds": round(seconds, 1),
        "tasks": [{"task": task, **counts([r for r in records if r["task"] == task])} for task in tasks],
        "stale": stale,
        "wrongly_equivalent": [f"{r['task']}: {r['before']} → {r['after']}" for r in wrongly_equivalent],
        "mutants": records,
    }
