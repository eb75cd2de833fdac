"""What an assignment declares: its tasks and points, the student's parameters, its checks.

Each folder ``assignments/<name>/`` of a course is a Python package whose ``__init__``
defines ``ASSIGNMENT = Assignment(...)``. The reference implementation lives apart, in
``solutions/<name>.py``, and is executed only in the trusted process, with the
student's given constants as its globals, exactly as the notebook's given cells define
them for the student.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable, Mapping

import numpy as np

from .checks import Check
from .variants import Variant


@dataclass(frozen=True)
class Task:
    name: str  # the student's function name and the grade_id of its solution cell
    points: float
    summary: str


@dataclass(frozen=True)
class GradingContext:
    """Everything a check builder may use: the variant, its parameters and the reference."""

    variant: Variant
    params: dict[str, Any]
    reference: SimpleNamespace
    # Set by the course server to the attempt's content digest: see `hidden_rng`.
    salt: str = ""

    def rng(self, name: str) -> np.random.Generator:
        """A grading stream: drawn only at grading time, never shown in the notebook."""
        return self.variant.rng("grading/" + name)

    def hidden_rng(self, name: str) -> np.random.Generator:
        """The stream of a hidden check's inputs: on the course server drawn afresh for each attempt
        from its content (collecting them over attempts gains nothing; the same file gets the same
        ones), and without a salt (`grade`) the same as `rng(name)`."""
        return self.variant.rng("grading/" + name + (f"\0{self.salt}" if self.salt else ""))


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    tasks: tuple[Task, ...]
    # The student's given constants, drawn from the variant's parameter streams.
    parameters: Callable[[Variant], dict[str, Any]]
    # Extra values for the notebook template (self-check expectations, LaTeX), from the
    # parameters and the reference; computed at generation time.
    notebook_context: Callable[[dict[str, Any], SimpleNamespace], dict[str, Any]]
    # The checks for one student, built in the grader.
    checks: Callable[[GradingContext], list[Check]]
    # Facts the sandbox observes on the raw value a student function returned, before it is
    # converted to plain data: name → a Python expression in `value` (and `np`) whose result is
    # None, a bool, an int, a float or a str. Judges find them in `outcome.meta["observed"]`.
    # A fact is advice from the student's own process: a judge may name a mistake by it, but
    # must not award points for it.
    observers: Mapping[str, str] = field(default_factory=dict)

    @property
    def max_score(self) -> float:
        return float(sum(t.points for t in self.tasks))

    def task(self, name: str) -> Task:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(name)
