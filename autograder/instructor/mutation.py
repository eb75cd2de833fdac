"""How strong are the checks? Every mutant of every task's reference, graded.

Each mutant (`mutants.py`) replaces one solution cell of the reference notebook and is graded
by the engine, exactly as `grade` would, on a sample of the class's variants, stopping at
the first variant where its own task loses points: it is caught. A mutant whose task keeps
full marks on every sampled variant survives, unless the assignment declares it equivalent
(``assignments/<name>/mutants.py``: it changes nothing a student could observe, and why). A
declared equivalent that loses points is reported too: either the declaration is wrong or a
check punishes a correct answer.
"""

from __future__ import annotations

import ast
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from tqdm import tqdm

from ..course import Course
from ..grading import Unit, grade
from ..notebooks import build_notebook, notebook_bytes, with_cell
from ..records import Submission
from ..sandbox import Limits
from ..variants import Variant
from .mutants import Mutant, mutants_of

# A mutant can loop far longer than any student should (a step count never reached): it is
# caught by its time-out, which need not be a student's full allowance.
MUTANT_LIMITS = Limits(call_timeout=5.0, submission_timeout=90.0)
SAMPLE = 3
EPS = 1e-6


@dataclass(frozen=True)
class MutantJob:
    course_root: str
    assignment: str
    mutant: Mutant
    cell: str  # the solution cell holding the mutant
    students: tuple[tuple[str, bytes], ...]  # (student id, variant key) of the sample
    sandbox: str


@lru_cache(maxsize=8)
def _solution_notebook(course_root: str, assignment: str, student_id: str, key: bytes):
    course = Course.at(course_root)
    return build_notebook(course, course.assignment(assignment), Variant(assignment, student_id, key), solutions=True)


def grade_mutant(job: MutantJob) -> dict:
    """Caught (its own task lost points on a sampled variant) or not, and whether a check named a mistake."""
    for student_id, key in job.students:
        nb = with_cell(_solution_notebook(job.course_root, job.assignment, student_id, key), job.mutant.task, job.cell)
        unit = Unit(job.course_root, job.assignment, student_id, key,
                    Submission(f"mutant of {job.mutant.task}", notebook_bytes(nb)), job.sandbox, MUTANT_LIMITS)
        report = grade(unit)
        task = report.task(job.mutant.task)
        if task is not None and task.score < task.max_score - EPS:
            failing = [c for c in task.checks if not c.passed]
            return {"caught": True, "student": student_id, "lost": round(task.max_score - task.score, 6),
                    "named": sorted({c.mistake for c in failing if c.mistake}),
                    "check": f"{failing[0].name}: {failing[0].message}"[:300] if failing else ""}
    return {"caught": False}


def declared_equivalents(course: Course, name: str) -> dict[tuple[str, str, str], str]:
    module = course.assignment_part(name, "mutants")
    return dict(getattr(module, "EQUIVALENT", {})) if module is not None else {}


def mutation_report(course: Course, name: str, student_ids: list[str], secret: bytes, *, jobs: int, sandbox: str,
                    sample: int = SAMPLE, say: Callable[[str], None] = print) -> dict:
    """Every mutant of every task graded on `sample` students spread over `student_ids`."""
    started = time.monotonic()
    assignment = course.assignment(name)
    students = _spread(student_ids, sample)
    keys = tuple((sid, Variant.derive(secret, name, sid).key) for sid in students)
    functions = course.solution_functions(name)
    constants = frozenset(assignment.parameters(Variant.derive(secret, name, students[0])))
    imports = "\n".join(ast.unparse(node) for node in ast.parse(course.solution_source(name)).body
                        if isinstance(node, (ast.Import, ast.ImportFrom)))
    mutants = [m for task in assignment.tasks for m in mutants_of(functions[task.name], task.name, constants)]
    work = [MutantJob(str(course.root), name, m, f"{imports}\n\n\n{m.source}", keys, sandbox) for m in mutants]
    results: dict[int, dict] = {}
    progress = tqdm(total=len(work), desc=f"mutants of {name}", unit="mutant", disable=None)
    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(grade_mutant, job): i for i, job in enumerate(work)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                progress.update(1)
    finally:
        progress.close()
    equivalent = declared_equivalents(course, name)
    records = []
    for i, mutant in enumerate(mutants):
        result, reason = results[i], equivalent.get(mutant.key)
        status = "caught" if result["caught"] else "equivalent" if reason is not None else "survived"
        record = {**mutant.as_json(), "status": status, **({"reason": reason} if reason is not None else {})}
        if result["caught"]:
            record.update(student=result["student"], lost=result["lost"], named=result["named"], check=result["check"])
            if reason is not None:
                say(f"note: the mutant declared equivalent ({mutant.task}: {mutant.before} → {mutant.after}) loses "
                    f"points: {result['check']}")
        records.append(record)
    used = {m.key for m in mutants}
    return _summary(records, [t.name for t in assignment.tasks], students,
                    stale=[" → ".join(key) for key in equivalent if key not in used],
                    wrongly_equivalent=[r for r in records if r["status"] == "caught" and "reason" in r],
                    seconds=time.monotonic() - started)


def _spread(student_ids: list[str], count: int) -> list[str]:
    """`count` students spread evenly over the roster (its first one first)."""
    if len(student_ids) <= count:
        return list(student_ids)
    step = len(student_ids) / count
    return [student_ids[int(i * step)] for i in range(count)]


def _summary(records: list[dict], tasks: list[str], students: list[str], stale: list[str],
             wrongly_equivalent: list[dict], seconds: float) -> dict:
    def counts(rows: list[dict]) -> dict:
        caught = [r for r in rows if r["status"] == "caught"]
        return {"total": len(rows), "caught": len(caught),
                "equivalent": sum(r["status"] == "equivalent" for r in rows),
                "survived": sum(r["status"] == "survived" for r in rows),
                "named": sum(bool(r["named"]) for r in caught)}

    whole = counts(records)
    judged = whole["total"] - whole["equivalent"]
    return {
        **whole,
        "score": whole["caught"] / judged if judged else 1.0,
        "named_share": whole["named"] / whole["caught"] if whole["caught"] else 0.0,
        "sample": students,
        "seconds": round(seconds, 1),
        "tasks": [{"task": task, **counts([r for r in records if r["task"] == task])} for task in tasks],
        "stale": stale,
        "wrongly_equivalent": [f"{r['task']}: {r['before']} → {r['after']}" for r in wrongly_equivalent],
        "mutants": records,
    }
