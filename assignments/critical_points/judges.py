"""What every judge of this assignment shares: safety against any value, batching, shapes."""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np

from autograder.checks import Call, Outcome, Verdict, as_array, show

from .cases import short


# Set by the tests, to see a judge's exception instead of the verdict it becomes: a judge that
# fails a strange value only because it raised on it would pass those tests whatever it did.
STRICT = False


def safe(judge: Callable[[Sequence[Outcome]], Verdict]) -> Callable[[Sequence[Outcome]], Verdict]:
    """A judge that turns any surprise in a student's value into a failing verdict, never an exception."""

    @functools.wraps(judge)
    def wrapped(outcomes: Sequence[Outcome]) -> Verdict:
        try:
            return judge(outcomes)
        except Exception as exc:  # a value shaped like nothing we foresaw
            if STRICT:
                raise
            values = ", ".join(show(o.value, 120) for o in outcomes)
            return Verdict(False, f"Your function returned a value that could not be checked ({values}); "
                                  f"it raised {type(exc).__name__} while being compared.")

    return wrapped


def surface_calls(function: str, inputs: list, extra: str) -> list[Call]:
    """One call of function(f, theta[, extra]) per (surface, θ, value) input; a value of None
    leaves the argument out, so that the student's default is what is tested."""
    calls = []
    for surf, theta, value in inputs:
        args = (surf.wire("f"), np.array(theta, dtype=float)) + (() if value is None else (value,))
        shows = f"f = {surf.label}, theta = {short(theta)}" + ("" if value is None else f", {extra} = {value}")
        calls.append(Call(function, args, "array", shows))
    return calls


def batch(verdicts: Sequence[Verdict], what: str) -> Verdict:
    """One verdict for several inputs: the first failure, or a pass that says how many inputs."""
    for verdict in verdicts:
        if not verdict.passed:
            return verdict
    if len(verdicts) == 1:
        return verdicts[0]
    details = {"inputs": [v.details.get("input", "") for v in verdicts]}
    return Verdict(True, f"Correct on all {len(verdicts)} {what}.", details=details)


def vector(value, n: int, shows: str, what: str = "your result") -> tuple[np.ndarray | None, Verdict | None]:
    arr, problem = as_array(value, (n,), what)
    if arr is None:
        return None, Verdict(False, f"For {shows}: {problem}.", details={"input": shows, "got": show(value)})
    return arr, None


def unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v
