"""What a check is, and the judges that compare a student's value with the reference.

A `Check` is built in the trusted process: it names the calls to make in the sandbox
(`Call`: function, plain arguments, expected kind of answer) and a judge that turns the
`Outcome`s of those calls into a `Verdict`. The judge runs in the grader, next to the
reference values, which never leave this process. Outcomes that are not "ok" (an
exception, a timeout, a crash, a missing function, a value of the wrong kind) fail the
check before the judge is asked, with a message saying what happened on which input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

import numpy as np

from .records import CheckResult
from .wire import MatrixTree, Opaque

Expect = Literal["array", "array_or_none", "str", "matrix", "data"]
Status = Literal["ok", "error", "timeout", "crash", "missing", "skipped", "bad_value", "broken_dependency"]


@dataclass(frozen=True)
class Call:
    """One call of a student function in the sandbox, with the input shown to the student."""

    function: str
    args: tuple = ()
    expect: Expect = "array"
    shows: str = ""  # the input as the student should read it, e.g. "w = [0.3, -1.2]"
    # A fact the judge weighs (another of the student's functions on the same input), not an answer
    # graded: its outcome reaches the judge whatever its status, and costs the check nothing by itself.
    optional: bool = False


@dataclass(frozen=True)
class Outcome:
    """What came back from one call: a decoded plain value, or why there is none."""

    status: Status
    value: Any = None
    message: str = ""
    # Facts the sandbox observed around the call: "calls" (how often each callable argument
    # was called, by position; None for other arguments), "mutated" (argument positions
    # changed in place), "type" and "dtype" of the raw return value, and "observed" (the
    # facts the assignment's observers saw in the raw value, by name; see Assignment).
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str
    mistake: str | None = None  # the name of a recognised known mistake
    details: dict = field(default_factory=dict)  # input, got, expected, error, tolerance, reproduce
    figure: dict | None = None  # a plain description of a picture; reports draw it


@dataclass(frozen=True)
class Check:
    task: str
    name: str
    calls: tuple[Call, ...]
    judge: Callable[[Sequence[Outcome]], Verdict]
    weight: float = 1.0
    visibility: Literal["visible", "hidden"] = "visible"


# --- showing values to people -------------------------------------------------------

def show(value: Any, limit: int = 400) -> str:
    """A short, safe text for any decoded value (arrays rounded, long text cut)."""
    if isinstance(value, np.ndarray):
        text = _small_array(value) or np.array2string(value, precision=6, threshold=24, edgeitems=3,
                                                       max_line_width=100, suppress_small=False)
    elif isinstance(value, Opaque):
        text = f"a {value.type_name} object ({value.text})"
    elif isinstance(value, MatrixTree):
        text = f"a {value.shape[0]}×{value.shape[1]} sympy Matrix"
    elif isinstance(value, float):
        text = f"{value:.8g}"
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, float)) for v in value):
        text = show(np.asarray(value, dtype=float), limit)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _small_array(value: np.ndarray, precision: int = 6, separator: str = " ", suppress_small: bool = False,
                 line_width: int = 100) -> str | None:
    """What np.array2string (with these options; `show` calls it with the defaults) writes for a short
    vector, or a small matrix, of floats in positional notation, written here at a sixth of its cost
    (reports show hundreds of these); None for any other array, which numpy writes. Numpy writes each
    number with at most `precision` decimals, the shortest that round-trips, and pads them all to a
    common width: the integer parts on the left, the fractions on the right; a matrix's rows go on
    lines of their own."""
    if value.ndim not in (1, 2) or not 0 < value.size <= 9 or value.dtype != np.float64 or not np.isfinite(value).all():
        return None
    magnitudes = np.abs(value[value != 0])
    if magnitudes.size and (magnitudes.max() >= 1e8 or not suppress_small and (
            magnitudes.min() < 1e-4 or magnitudes.max() / magnitudes.min() > 1e3)):
        return None  # numpy writes these in scientific notation
    if suppress_small and magnitudes.size and magnitudes.min() < 10.0 ** -precision:
        return None  # rounded to zero, with a sign of numpy's own choosing
    parts = [np.format_float_positional(x, precision=precision, unique=True, fractional=True, trim=".").split(".")
             for x in value.ravel().tolist()]
    left, right = max(len(i) for i, _ in parts), max(len(f) for _, f in parts)
    numbers = [f"{i:>{left}}.{f:<{right}}" for i, f in parts]
    width = len(numbers) if value.ndim == 1 else value.shape[1]
    rows = ["[" + separator.join(numbers[k:k + width]) + "]" for k in range(0, len(numbers), width)]
    text = rows[0] if value.ndim == 1 else "[" + (separator.rstrip() + "\n ").join(rows) + "]"
    return text if max(map(len, rows)) <= line_width - 25 else None  # longer lines numpy may break


def array_text(value, precision: int, separator: str, suppress_small: bool, line_width: int) -> str:
    """np.array2string(value, precision=…, separator=…, suppress_small=…, max_line_width=…), fast
    for the small arrays `_small_array` writes."""
    arr = np.asarray(value, dtype=float)
    return _small_array(arr, precision, separator, suppress_small, line_width) or np.array2string(
        arr, precision=precision, separator=separator, suppress_small=suppress_small, max_line_width=line_width)


def fail_outcome(call: Call, outcome: Outcome) -> Verdict:
    """The verdict for a call that gave no usable value."""
    where = f"{call.function}({call.shows})" if call.shows else f"{call.function}(…)"
    reasons = {
        "error": f"{where} raised {outcome.message}",
        "timeout": f"{where} did not finish: {outcome.message}",
        "crash": f"{where} ended your notebook's process: {outcome.message}",
        "missing": f"{call.function} is not defined in your notebook: {outcome.message}",
        "skipped": f"{where} was not run: {outcome.message}",
        "bad_value": f"{where} returned {outcome.message}",
        "broken_dependency": f"{where} failed because {outcome.message}",
    }
    return Verdict(False, reasons[outcome.status], details={"input": call.shows})


_ORDINALS = {0: "first", 1: "second", 2: "third", 3: "fourth", 4: "fifth"}


def run_judge(check: Check, outcomes: Sequence[Outcome]) -> Verdict:
    """Fail on the first unusable outcome of a graded call; otherwise ask the check's judge."""
    for call, outcome in zip(check.calls, outcomes):
        if call.optional:
            continue
        if outcome.status != "ok":
            return fail_outcome(call, outcome)
        if outcome.meta.get("mutated"):
            which = " and ".join(_ORDINALS.get(i, f"{i + 1}th") for i in outcome.meta["mutated"])
            return Verdict(
                False,
                f"{call.function}({call.shows}) changed its {which} argument in place; a function must leave "
                "its arguments as it found them (work on a copy, e.g. x = np.array(x, dtype=float)).",
                mistake="input modified in place",
                details={"input": call.shows},
            )
    return check.judge(outcomes)


def score_checks(checks: Sequence[Check], verdicts: Sequence[Verdict], points: float) -> list[CheckResult]:
    """Share a task's points among its checks by weight; a passed check earns its share."""
    total = sum(c.weight for c in checks) or 1.0
    results = []
    for check, verdict in zip(checks, verdicts):
        share = round(points * check.weight / total, 6)
        results.append(
            CheckResult(
                task=check.task,
                name=check.name,
                passed=verdict.passed,
                score=share if verdict.passed else 0.0,
                max_score=share,
                visibility=check.visibility,
                message=verdict.message,
                mistake=verdict.mistake,
                details=verdict.details,
                figure=verdict.figure,
            )
        )
    return results


# --- comparing numbers --------------------------------------------------------------

def as_array(value: Any, shape: tuple[int, ...] | None, what: str) -> tuple[np.ndarray | None, str]:
    """The value as a float64 array of the promised shape, or a message saying why not."""
    if not isinstance(value, np.ndarray):
        return None, f"{what} should be an array, but it is {show(value)}"
    if shape is not None and value.shape != shape:
        return None, f"{what} should have shape {shape}, but it has shape {value.shape}"
    if not np.all(np.isfinite(value)):
        bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
        return None, f"{what} contains {bad} non-finite value(s) (nan or inf): {show(value)}"
    return value, ""


def close(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> tuple[bool, float, float]:
    """‖got − expected‖ ≤ atol + rtol·‖expected‖: the tolerance follows the reference, not the student."""
    error = float(np.linalg.norm(got - expected))
    allowed = atol + rtol * float(np.linalg.norm(expected))
    return error <= allowed, error, allowed


def compare(
    got: Any,
    expected: np.ndarray,
    *,
    rtol: float,
    atol: float,
    shows: str,
    what: str = "your result",
    mistakes: Sequence[tuple[str, np.ndarray, str]] = (),
    passed_details: bool = True,
) -> Verdict:
    """Compare an array answer with the reference and explain a difference.

    `mistakes` are (name, the value that mistake would give, advice) triples computed in
    the grader; when the student's value matches one of them, the verdict names it. Without
    `passed_details`, a pass carries only its input (all that a check of several inputs keeps
    of one), sparing the printed arrays.
    """
    expected = np.asarray(expected, dtype=float)
    arr, problem = as_array(got, expected.shape, what)
    if arr is not None and not passed_details:
        ok, error, _ = close(arr, expected, rtol, atol)
        if ok:
            return Verdict(True, f"Correct for {shows} (error {error:.2g}).", details={"input": shows})
    details = {"input": shows, "expected": show(expected), "got": show(got)}
    # A mistake may change the shape too (a trajectory without θ0), so look for one first.
    named = _named_mistake(got, mistakes, rtol, atol)
    if arr is None:
        if named:
            return _mistake_verdict(named, shows, what, details)
        return Verdict(False, f"For {shows}: {problem}.", details=details)
    ok, error, allowed = close(arr, expected, rtol, atol)
    details.update(error=f"{error:.3g}", tolerance=f"{allowed:.3g} (atol {atol:g} + rtol {rtol:g}·‖expected‖)")
    if ok:
        return Verdict(True, f"Correct for {shows} (error {error:.2g}).", details=details)
    worst = np.unravel_index(int(np.argmax(np.abs(arr - expected))), expected.shape) if expected.ndim else ()
    details["worst_index"] = str(tuple(int(i) for i in worst))
    if named:
        return _mistake_verdict(named, shows, what, details)
    return Verdict(
        False,
        f"For {shows}: {what} is off by {error:.3g} (allowed {allowed:.3g}); "
        f"the largest difference is at index {details['worst_index']}.",
        details=details,
    )


def _named_mistake(got, mistakes, rtol: float, atol: float) -> tuple[str, str] | None:
    if not isinstance(got, np.ndarray) or not np.all(np.isfinite(got)):
        return None
    for name, wrong_value, advice in mistakes:
        wrong_value = np.asarray(wrong_value, dtype=float)
        if wrong_value.shape == got.shape and close(got, wrong_value, max(rtol, 1e-9), atol)[0]:
            return name, advice
    return None


def _mistake_verdict(named: tuple[str, str], shows: str, what: str, details: dict) -> Verdict:
    name, advice = named
    return Verdict(False, f"For {shows}: {what} matches {name}. {advice}", mistake=name, details=details)
