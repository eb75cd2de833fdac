"""Difficulty measures: numbers an assignment declares about a variant, with the range each
must fall in for every variant to be equally hard.

An assignment lists them in ``assignments/<name>/measures.py`` as ``MEASURES``; `vet`
computes them for every student, draws their spread across the class and lists every
variant outside a declared range. The engine never reads them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from ..course import Course

BINS = 20


@dataclass(frozen=True)
class Measure:
    name: str  # a key of vetting.json: "kappa"
    label: str  # for people: "condition number κ = λmax/λmin of your quadratic"
    # The number, from the student's constants and the reference run with them; None when
    # it does not exist for this variant (a method that never converges), which is out of range.
    of: Callable[[dict[str, Any], SimpleNamespace], float | None]
    low: float = -math.inf
    high: float = math.inf

    def inside(self, value: float | None) -> bool:
        return value is not None and math.isfinite(value) and self.low <= value <= self.high

    @property
    def range_text(self) -> str:
        if math.isinf(self.low) and math.isinf(self.high):
            return "any value"
        if math.isinf(self.high):
            return f"≥ {self.low:g}"
        if math.isinf(self.low):
            return f"≤ {self.high:g}"
        return f"[{self.low:g}, {self.high:g}]"


def declared(course: Course, assignment: str) -> tuple[Measure, ...]:
    module = course.assignment_part(assignment, "measures")
    return tuple(getattr(module, "MEASURES", ())) if module is not None else ()


def measure_all(measures: tuple[Measure, ...], params: dict, reference: SimpleNamespace) -> dict[str, float | None]:
    values = {}
    for measure in measures:
        value = measure.of(params, reference)
        values[measure.name] = None if value is None else float(value)
    return values


def spread(measure: Measure, values: dict[str, float | None]) -> dict:
    """A measure across the class: range, mean, a histogram, and the students outside its declared range."""
    finite = np.array([v for v in values.values() if v is not None and math.isfinite(v)], dtype=float)
    outside = sorted(sid for sid, v in values.items() if not measure.inside(v))
    summary = {"name": measure.name, "label": measure.label, "low": _bound(measure.low), "high": _bound(measure.high),
               "range": measure.range_text, "outside": outside, "undefined": sum(1 for v in values.values() if v is None)}
    if finite.size == 0:
        return {**summary, "min": None, "max": None, "mean": None, "histogram": {"edges": [], "counts": []}}
    low, high = float(finite.min()), float(finite.max())
    # The axis spans the declared range too, so that the picture shows how far from its ends the class is.
    start = min(low, measure.low) if math.isfinite(measure.low) else low
    stop = max(high, measure.high) if math.isfinite(measure.high) else high
    # Integers (step counts) get one bar per value while they fit.
    integral = bool(np.all(finite == np.round(finite))) and stop - start < BINS
    edges = np.arange(start - 0.5, stop + 1.0) if integral else np.linspace(start, stop if stop > start else start + 1,
                                                                           BINS + 1)
    counts, edges = np.histogram(finite, bins=edges)
    return {**summary, "min": low, "max": high, "mean": float(finite.mean()),
            "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}}


def _bound(value: float) -> float | None:
    """JSON has no infinity: an open end is null."""
    return None if math.isinf(value) else value
