"""Real-world code, judged: tests/corpus/<assignment>/<case>.py, each a solution cell modelled on
public code (its source in the docstring), with the verdict and the mistake's name it must get.

A case's docstring holds `source:`, `task:` (the function it replaces), `verdict: right|wrong`
and, for a wrong one whose mistake has a name, `name:`. Each case is graded on several
variants, its calls answered in this process by the sandbox worker's own `call`: the same
verdict on every variant, the expected name and no other (a wrong case without `name:` must
get no name at all: an unnamed mistake is better than a wrong name).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox import inside
from autograder.assignment import GradingContext
from autograder.checks import run_judge
from autograder.course import Course
from autograder.variants import Variant

from conftest import SECRET, answer_in_process

CORPUS = Path(__file__).parent / "corpus"
STUDENTS = ("s001", "alice", "zoë")
# A task whose reference calls another task's function: a case of the latter is judged there too.
USED_BY = {"numerical_hessian": ("escape_saddle",)}


@dataclass(frozen=True)
class Case:
    assignment: str
    slug: str
    source: str
    task: str
    right: bool
    name: str | None
    code: str

    @classmethod
    def read(cls, path: Path) -> "Case":
        text = path.read_text(encoding="utf-8")
        doc, _, code = text.partition('"""')[2].partition('"""')
        fields = dict(line.split(": ", 1) for line in doc.splitlines()[1:] if ": " in line)
        assert fields.get("verdict") in ("right", "wrong") and fields.get("source") and fields.get("task"), path
        return cls(path.parent.name, path.stem, fields["source"], fields["task"], fields["verdict"] == "right",
                   fields.get("name"), code)


CASES = [Case.read(p) for p in sorted(CORPUS.glob("*/*.py"))]


def judged(course: Course, case: Case, student: str) -> dict[str, list]:
    """The verdicts of the case's task (and of the tasks that use its function), by task."""
    assignment = course.assignment(case.assignment)
    params, checks = _checks(course, case.assignment, student)
    namespace = {"np": np, **copy.deepcopy(params)}  # a case that changes a constant in place changes its own
    exec(course.solution_source(case.assignment), namespace)
    exec(case.code, namespace)
    observers = inside.compile_observers(assignment.observers)
    tasks = (case.task, *USED_BY.get(case.task, ()))
    out = {task: [] for task in tasks}
    with np.errstate(all="ignore"):
        for check in checks:
            if check.task in tasks:
                out[check.task].append(run_judge(check, [answer_in_process(namespace, c, observers) for c in check.calls]))
    return out


@functools.lru_cache(maxsize=None)
def _checks(course: Course, name: str, student: str) -> tuple[dict, tuple]:
    """A student's constants and checks, built once for every case graded on that variant (a third
    of the time of grading a case)."""
    assignment = course.assignment(name)
    variant = Variant.derive(SECRET, name, student)
    params = assignment.parameters(variant)
    return params, tuple(assignment.checks(GradingContext(variant, params, course.reference(name, params))))


def test_the_corpus_is_large_and_every_name_is_known(course):
    assert len(CASES) >= 40 + 16  # at least 40 beyond the 16 real submissions the tests held before
    for case in CASES:
        if case.name:
            known = course.assignment_part(case.assignment, "known")
            assert case.name in vars(known).values(), case.slug


@pytest.mark.parametrize("case", CASES, ids=[f"{c.assignment}/{c.slug}" for c in CASES])
def test_each_case_gets_its_verdict_and_its_name_on_every_variant(course, case):
    for student in STUDENTS:
        verdicts = judged(course, case, student)
        own = verdicts[case.task]
        assert all(v.passed for v in own) == case.right, (student, [v.message for v in own if not v.passed][:1])
        assert all(v.passed for task, vs in verdicts.items() if task != case.task for v in vs), student
        names = {v.mistake for v in own if not v.passed} - {None}
        assert names == ({case.name} if case.name else set()), (student, names)
