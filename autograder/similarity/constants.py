"""The signal per-student variants give: work done with another student's numbers.

Every student has their own constants (``X``, ``Y_HAT``, ``THETA0``, …). Code that computes
with another student's constants, written into it as literals, or a notebook generated for
another student, points at that student. The numbers are drawn from short decimal grids,
so one number alone proves nothing; a submission is flagged only when its literals hold at
least two of one other student's constant entries, none of them its own, and no other
student explains as many.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

LITERAL = re.compile(r"(?<![\w.])-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")
MIN_ENTRIES = 2


def constant_entries(params: dict) -> dict[float, list[str]]:
    """Each distinctive number among a student's constants, with where it stands ("THETA0[1]")."""
    out: dict[float, list[str]] = defaultdict(list)
    for name, value in params.items():
        array = np.asarray(value, dtype=float) if _numeric(value) else None
        if array is None:
            continue
        for index, x in np.ndenumerate(array):
            label = name + "".join(f"[{i}]" for i in index)
            if _distinctive(float(x)):
                out[_key(float(x))].append(label)
    return out


def literals(code: str) -> set[float]:
    """The distinctive numbers written in the code, with a sign written directly before one."""
    out = set()
    for match in LITERAL.finditer(code):
        try:
            x = float(match.group())
        except ValueError:  # pragma: no cover - the pattern only matches numbers
            continue
        if _distinctive(x):
            out.add(_key(x))
    return out


def borrowed(code_numbers: set[float], own: dict[float, list[str]],
             index: dict[float, dict[str, list[str]]], student: str) -> tuple[str, list[str]] | None:
    """The one other student whose constants the code holds (their id and the entries), or None."""
    hits: dict[str, set[str]] = defaultdict(set)
    for x in code_numbers - set(own):
        for other, labels in index.get(x, {}).items():
            if other != student:
                hits[other].update(labels)
    ranked = sorted(hits.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    if not ranked or len(ranked[0][1]) < MIN_ENTRIES:
        return None
    if len(ranked) > 1 and len(ranked[1][1]) == len(ranked[0][1]):
        return None  # two students explain it equally: no one is named on a guess
    return ranked[0][0], sorted(ranked[0][1])


def _numeric(value) -> bool:
    try:
        np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def _distinctive(x: float) -> bool:
    # Integers and one-digit numbers (2, 0.5, 1e-5) are everyone's; 1.24 or -2.2 may be someone's.
    if not np.isfinite(x) or x == round(x):
        return False
    digits = f"{abs(x):.10g}".split("e")[0].replace(".", "").strip("0")
    return len(digits) >= 2


def _key(x: float) -> float:
    return float(f"{x:.10g}")
