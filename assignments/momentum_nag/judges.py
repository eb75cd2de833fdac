"""Judging a trajectory or a dict of step counts against the reference, naming known mistakes.

A trajectory is judged row by row, so that a small early row cannot hide behind large
later ones: row t passes when ‖got_t − expected_t‖ ≤ RTOL·‖expected_t‖ + ATOL·S, with S the
largest row norm of the reference. The message names the first step that is off, and says
whether the first NEAR_STEPS steps were right. Nothing a student returns may make a judge
raise: every odd value becomes a failing verdict that says what it was.
"""

from __future__ import annotations

import dataclasses

from typing import Any, Callable, Sequence

import numpy as np

from autograder.checks import Outcome, Verdict, show

from . import known
from .cases import NEAR_STEPS

RTOL = 1e-8  # float64 forms of the same recurrence drift ~1e-15; float32 drifts 1e-7 and fails, as it should
ATOL = 1e-12

Mistakes = Sequence[tuple[str, np.ndarray]]


def _row_errors(got: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):
        error = np.linalg.norm((got - expected).reshape(len(expected), -1), axis=1)
        norms = np.linalg.norm(expected.reshape(len(expected), -1), axis=1)
    return error, RTOL * norms + ATOL * max(float(norms.max(initial=0.0)), 1.0)


def matches(got: np.ndarray, wrong: np.ndarray) -> bool:
    """The student's array equals what a mistake gives, up to float drift (blow-ups included)."""
    wrong = np.asarray(wrong, dtype=float)
    if got.size == 0 or wrong.size == 0:  # np.array([]) has shape (0,), whatever the rows would have been
        return got.size == wrong.size == 0
    if got.shape != wrong.shape:
        return False
    finite = np.isfinite(wrong)
    if not np.array_equal(finite, np.isfinite(got)):
        return False
    if not finite.any():
        return False
    with np.errstate(all="ignore"):
        error = np.linalg.norm(got[finite] - wrong[finite])
        return bool(error <= RTOL * np.linalg.norm(wrong[finite]) + ATOL * max(1.0, np.abs(wrong[finite]).max()))


def named(got: np.ndarray, mistakes: Mistakes) -> str | None:
    """The one mistake whose value the student's is; None when none is, or when mistakes of two
    names give this value (then the case cannot tell them apart, and naming one could be wrong)."""
    names = {name for name, wrong in mistakes if matches(got, wrong)}
    return names.pop() if len(names) == 1 else None


def _prefix(got, expected: np.ndarray) -> Mistakes:
    """A run cut short: the reference's first rows, as many as the student's."""
    if isinstance(got, np.ndarray) and got.ndim == expected.ndim and got.shape[1:] == expected.shape[1:] \
            and 0 < len(got) < len(expected):
        return ((known.EARLY_STOP, expected[: len(got)]),)
    return ()


def one_step_from(t: int, row: np.ndarray, right: np.ndarray, others: dict[str, np.ndarray],
                  step: str = "step") -> str:
    """Row t as one `step` from the reference's row t−1 under other likely conventions (`others`,
    by label; `right` is the reference's own step): which one the student's row is, or their
    values when it is none of them."""
    others = {label: value for label, value in others.items() if not matches(value[None], right[None])}
    mine = [label for label, value in others.items() if matches(row[None], value[None])]
    if len(mine) == 1:
        return f" Your row {t} is one {step} with {mine[0]} from the reference's row {t - 1}."
    listed = "; ".join(f"{label}: {show(value)}" for label, value in others.items())
    return f" One {step} from the reference's row {t - 1} gives, with {listed}: none is yours." if listed and not mine else ""


def mistake_verdict(name: str, shows: str, what: str, details: dict) -> Verdict:
    return Verdict(False, f"For {shows}: {what} shows a known mistake, {name}. {known.ADVICE[name]}",
                   mistake=name, details=details)


def _dtype_hint(outcome: Outcome) -> str:
    dtype = outcome.meta.get("dtype")
    if isinstance(dtype, str) and dtype in ("float32", "float16", "int64", "int32"):
        return f" (Your function returned a {dtype} array; compute in float64.)"
    return ""


def trajectory(outcome: Outcome, expected: np.ndarray, shows: str, mistakes: Callable[[], Mistakes] = tuple,
               what: str = "your trajectory", rows_name: str = "steps", passed_details: bool = True,
               explain: Callable[[int, np.ndarray], str] | None = None) -> Verdict:
    """Judge a whole trajectory (steps+1 rows) against the reference. `mistakes()` gives what the
    known mistakes return on this input; it is asked for only when the answer is wrong. Without
    `passed_details`, a pass carries only its input (all a check of several cases keeps of one),
    sparing the printed arrays. Where no mistake fits, `explain(t, row)` says what the update of
    row t, the first wrong one, would be under the likely conventions."""
    got = outcome.value
    expected = np.asarray(expected, dtype=float)

    def details(**measured) -> dict:
        return {"input": shows, "expected": show(expected), "got": show(got), **measured}

    if outcome.meta.get("observed", {}).get("aliased_rows") is True and len(expected) > 1:
        return mistake_verdict(known.ALIASED, shows, what, details())
    if not isinstance(got, np.ndarray):
        return Verdict(False, f"For {shows}: {what} should be an array of shape {expected.shape}, "
                              f"but it is {show(got)}.", details=details())
    if got.shape != expected.shape:
        name = named(got, (*mistakes(), *_prefix(got, expected)))
        if name:
            return mistake_verdict(name, shows, what, details())
        rows = f"the start plus one row for each of the {len(expected) - 1} {rows_name}"
        return Verdict(False, f"For {shows}: {what} should have shape {expected.shape} ({rows}), "
                              f"but it has shape {got.shape}.", details=details())
    if not np.all(np.isfinite(got)):
        name = named(got, mistakes())
        if name:
            return mistake_verdict(name, shows, what, details())
        first = int(np.argmax(~np.isfinite(got).reshape(len(got), -1).all(axis=1)))
        return Verdict(False, f"For {shows}: {what} has a non-finite value (nan or inf) from row {first} on, "
                              f"where the reference is {show(expected[first])}.", details=details())
    error, allowed = _row_errors(got, expected)
    measured = {"error": f"{float(error.max()):.3g}",
                "tolerance": f"row t: {RTOL:g}·‖expected_t‖ + {ATOL:g}·max_t ‖expected_t‖"}
    bad = np.flatnonzero(~(error <= allowed))
    if bad.size == 0:
        return Verdict(True, f"Correct for {shows}: all {len(expected)} rows agree with the reference "
                             f"(largest error {float(error.max()):.2g}).",
                       details=details(**measured) if passed_details else {"input": shows})
    name = named(got, mistakes())
    if name:
        return mistake_verdict(name, shows, what, details(**measured))
    t = int(bad[0])
    where = "row 0 must be the start itself" if t == 0 else (
        f"rows 0–{min(NEAR_STEPS, len(expected) - 1)} are right" if t > NEAR_STEPS
        else f"the first {NEAR_STEPS} {rows_name} must match exactly")
    return Verdict(
        False,
        f"For {shows}: {what} leaves the reference at row {t}: got {show(got[t])}, expected "
        f"{show(expected[t])} (error {float(error[t]):.3g}, allowed {float(allowed[t]):.3g}); {where}."
        + (explain(t, got[t]) if explain and t > 0 else "") + _dtype_hint(outcome),
        details=details(**measured, worst_index=str(int(np.argmax(error - allowed))), first_wrong_row=str(t)),
    )


def calls_note(outcome: Outcome, updates: int, per_update: int = 1) -> str:
    """A remark (never a penalty) when the gradient was called far more often than needed."""
    calls = outcome.meta.get("calls")
    count = calls[0] if isinstance(calls, list) and calls else None
    if isinstance(count, int) and count > 2 * per_update * updates + 2:
        return (f" Note: your function called grad {count} times for {updates} updates; "
                f"{per_update * updates} calls are enough (no points lost).")
    return ""


def first_failure(verdicts: Sequence[Verdict], summary: str, notes: Sequence[str] = ()) -> Verdict:
    """One verdict for several cases (smallest first): the first failing one that names a mistake,
    else the first failing one, or a summary of the passes."""
    failing = [v for v in verdicts if not v.passed]
    if failing:
        return next((v for v in failing if v.mistake), failing[0])
    note = next((n for n in notes if n), "")
    return Verdict(True, summary + note, details={"input": "; ".join(v.details.get("input", "") for v in verdicts)})


# --- step counts --------------------------------------------------------------------

METHODS = ("gd", "momentum", "nesterov")


def _count(value: Any) -> tuple[bool, int | None]:
    if value is None:
        return True, None
    if isinstance(value, bool):
        return False, None
    if isinstance(value, int):
        return True, value
    if isinstance(value, float) and np.isfinite(value) and value.is_integer():
        return True, int(value)
    return False, None


def counts(outcome: Outcome, expected: dict, shows: str,
           mistakes: Callable[[], Sequence[tuple[str, dict]]] = tuple) -> Verdict:
    """Judge {"gd", "momentum", "nesterov"} → int or None against the reference counts; `mistakes()`
    gives the known mistakes' counts, asked for only when the answer is wrong."""
    got = outcome.value
    details = {"input": shows, "expected": show(expected), "got": show(got)}
    if not isinstance(got, dict):
        return Verdict(False, f"For {shows}: the result should be a dict with keys 'gd', 'momentum', "
                              f"'nesterov', but it is {show(got)}.", details=details)
    missing = [k for k in METHODS if k not in got]
    if missing:
        return Verdict(False, f"For {shows}: the dict has no key {', '.join(repr(k) for k in missing)} "
                              f"(its keys: {show(sorted(got)[:10])}).", details=details)
    values = {}
    for key in METHODS:
        ok, values[key] = _count(got[key])
        if not ok:
            return Verdict(False, f"For {shows}: result[{key!r}] should be an int or None, but it is "
                                  f"{show(got[key])}.", details=details)
    if values == expected:
        return Verdict(True, f"Correct for {shows}: {show(expected)}.", details=details)
    names = {name for name, wrong in mistakes() if values == wrong}
    if len(names) == 1:  # two names for one answer: this case cannot tell which
        name = names.pop()
        return Verdict(False, f"For {shows}: your counts {show(values)} show a known mistake, {name}. "
                              f"{known.ADVICE[name]}",
                       mistake=name, details=details)
    wrong_keys = ", ".join(f"{k}: got {values[k]!r}, expected {expected[k]!r}" for k in METHODS if values[k] != expected[k])
    return Verdict(False, f"For {shows}: {wrong_keys}.", details=details)


def exact(value) -> str:
    return repr(np.asarray(value).tolist()) if isinstance(value, np.ndarray) else repr(value)


def reproduce(case: dict, keys: tuple[str, ...]) -> str:
    """The case in full precision, so that a TA (or the student) can rerun it."""
    surface = case.get("surface")
    head = f"{case['family']} surface {({k: exact(v) for k, v in surface.items()})}; " if surface else ""
    return head + "; ".join(f"{k} = {exact(case[k])}" for k in keys if k in case)


def with_details(verdict: Verdict, **changes) -> Verdict:
    details = {**verdict.details, **changes.pop("details", {})}
    return dataclasses.replace(verdict, details=details, **changes)
