"""Checks of steps_to_tolerance: the step counts of the three methods, and the budget's limits."""

from __future__ import annotations

import numpy as np

from autograder import surfaces
from autograder.assignment import GradingContext
from autograder.checks import Call, Check, Outcome, Verdict, show
from autograder.wire import Surface

from .. import judges, known
from ..cases import own_surface, quadratic_case
from ..optimisers import first_below, gradient_norms, step_counts
from ..parameters import BUDGET, TOL

KEYS = ("gd", "momentum", "nesterov")
MARGIN = 1e-6  # no gradient norm within this relative distance of tol: float drift cannot move a count


def _clear_of(norms: np.ndarray, tol: float) -> bool:
    return bool(np.all(np.abs(norms / tol - 1.0) > MARGIN))


class CountCase:
    """One input of steps_to_tolerance, on a quadratic. The counts are the reference's: `step_counts`
    does its very float operations, at the speed of knowing when to stop (and a case drawn by
    running the methods already knows them)."""

    def __init__(self, case: dict, shows: str | None = None, expected: dict | None = None):
        self.case = case
        self.args = (Surface(case["family"], case["surface"], "grad"), case["theta0"], case["lr"], case["beta"], case["tol"])
        self.expected = step_counts(case["surface"], *self.args[1:], BUDGET) if expected is None else expected
        shift = lambda k: {m: (None if v is None else v + k) for m, v in self.expected.items()}  # noqa: E731
        numbers = [{m: (n if v is None else v) for m, v in self.expected.items()} for n in (BUDGET, BUDGET + 1, -1)]
        self.mistakes = [(known.OFF_BY_ONE, shift(1)), (known.OFF_BY_ONE, shift(-1))]
        if None in self.expected.values():
            self.mistakes += [(known.NUMBER_FOR_NONE, n) for n in numbers]
        self.shows = shows or (f"grad of {case['label']}, theta0 = {show(case['theta0'])}, lr = {case['lr']:.6g}, "
                               f"beta = {case['beta']:.6g}, tol = {case['tol']:.3g}")
        self.reproduce = judges.reproduce(case, ("theta0", "lr", "beta", "tol"))

    def call(self) -> Call:
        return Call("steps_to_tolerance", self.args, "data", self.shows)

    def judge(self, outcome: Outcome) -> Verdict:
        verdict = judges.counts(outcome, self.expected, self.shows, self.mistakes)
        return verdict if verdict.passed else judges.with_details(verdict, details={"reproduce": self.reproduce})


def _count_case(rng: np.random.Generator, n: int) -> CountCase:
    """A quadratic case whose counts all lie well inside the budget, every norm clear of tol."""
    while True:
        case = quadratic_case(rng, n)
        grad = surfaces.function("quadratic", case["surface"], "grad")
        case["tol"] = float(np.linalg.norm(grad(case["theta0"])) * 10 ** rng.uniform(-8.0, -4.0))
        runs = [gradient_norms(grad, case["theta0"], case["lr"], beta, 3000, look=look, stop_below=case["tol"])
                for beta, look in ((0.0, 0.0), (case["beta"], 0.0), (case["beta"], 1.0))]
        found = [first_below(norms, case["tol"]) for norms in runs]
        if all(t is not None and _clear_of(norms[: t + 1], case["tol"]) for t, norms in zip(found, runs)):
            # These runs are the reference's own (step_counts), so their counts are the expected ones.
            return CountCase(case, expected=dict(zip(KEYS, found)))


def _slow_case(rng: np.random.Generator) -> dict:
    """κ = 1000: gradient descent needs ~35 000 steps (None); Momentum and NAG need a few thousand."""
    q = np.linalg.qr(rng.normal(size=(2, 2)))[0]
    lam_max = float(rng.uniform(1.0, 5.0))
    A = q @ np.diag([lam_max, lam_max / 1000.0]) @ q.T
    c = rng.uniform(-2.0, 2.0, size=2)
    theta0 = c + q @ np.array([rng.uniform(0.2, 0.5), rng.uniform(2.0, 3.0)]) * rng.choice([-1.0, 1.0], size=2)
    surface = {"A": (A + A.T) / 2, "c": c, "d": 0.0}
    g0 = np.linalg.norm(surface["A"] @ (theta0 - c))
    return {"family": "quadratic", "surface": surface, "theta0": theta0, "lr": 0.5 / lam_max, "beta": 0.95,
            "tol": float(1e-8 * g0), "label": "a 2-D quadratic with condition number 1000"}


def tolerance_checks(ctx: GradingContext) -> list[Check]:
    p = ctx.params
    own = CountCase({"family": "quadratic", "surface": own_surface(p), "theta0": p["THETA0"], "lr": p["LR"],
                     "beta": p["BETA"], "tol": TOL, "label": "your quadratic"},
                    shows=f"your grad, THETA0, LR, BETA, tol = {TOL:g}")
    rng = ctx.rng("steps_to_tolerance/quadratics")
    quadratics = [_count_case(rng, n) for n in (1, 3, 5)]
    rng = ctx.rng("steps_to_tolerance/limits")
    slow = _slow_case(rng)
    start = quadratic_case(rng, 2)
    start["tol"] = float(2.0 * np.linalg.norm(surfaces.function("quadratic", start["surface"], "grad")(start["theta0"])))
    limits = [CountCase(slow), CountCase(start)]

    def many(cases):
        return lambda outcomes: judges.first_failure([c.judge(o) for c, o in zip(cases, outcomes)],
                                                     "Correct counts on every case.")

    return [
        Check("steps_to_tolerance", "step counts on your own quadratic", (own.call(),), lambda o: own.judge(o[0])),
        Check("steps_to_tolerance", "step counts on random quadratics", tuple(c.call() for c in quadratics),
              many(quadratics)),
        Check("steps_to_tolerance", "limits: None beyond 10 000 steps, 0 when θ0 already qualifies",
              tuple(c.call() for c in limits), many(limits)),
    ]
