"""Checks of gradient_descent, momentum and nesterov: trajectories graded whole.

The first steps row by row, then the rest, never by convergence alone; each task also runs
on the student's own quadratic and attaches the picture of both paths. Known mistakes are
recognised by computing, here, what each would return on the same input.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np

from autograder import surfaces
from autograder.assignment import GradingContext
from autograder.checks import Call, Check, Outcome, Verdict, show
from autograder.wire import Surface

from .. import figures, judges, known
from ..cases import own_surface, quadratic_case, quartic_case, valley_case
from ..optimisers import heavy_ball, three_runs

OWN_STEPS = 150  # long enough to see the valley, short enough for a picture (≤ 200 points)


@dataclass(frozen=True)
class Method:
    task: str
    label: str
    uses_beta: bool
    right: Callable[[float], dict]  # heavy_ball keywords of the right method, given β
    mistakes: tuple[tuple[str, Callable[[float], dict]], ...]


METHODS = (
    Method("gradient_descent", "gradient descent", False, lambda beta: {"beta": 0.0}, (
        (known.GD_SIGN, lambda beta: {"beta": 0.0, "sign": -1.0}),
    )),
    Method("momentum", "Momentum", True, lambda beta: {"beta": beta}, (
        (known.MOMENTUM_SIGN, lambda beta: {"beta": beta, "sign": -1.0}),
        (known.MOMENTUM_SIGN, lambda beta: {"beta": -beta}),
        (known.EMA, lambda beta: {"beta": beta, "damp": 1.0 - beta}),
        (known.NO_MOMENTUM, lambda beta: {"beta": 0.0}),
        (known.MOMENTUM_TWICE, lambda beta: {"beta": beta, "form": "twice"}),
        (known.NAG_FOR_MOMENTUM, lambda beta: {"beta": beta, "look": 1.0}),
        (known.NAG_FOR_MOMENTUM, lambda beta: {"beta": beta, "look": 1.0, "report_look_ahead": True}),
        (known.VELOCITY_ONES, lambda beta: {"beta": beta, "m0": 1.0}),
    )),
    Method("nesterov", "NAG", True, lambda beta: {"beta": beta, "look": 1.0}, (
        (known.LOOK_AHEAD_REPORTED, lambda beta: {"beta": beta, "look": 1.0, "report_look_ahead": True}),
        (known.NAG_IS_MOMENTUM, lambda beta: {"beta": beta}),
        (known.LOOK_AHEAD_SIGN, lambda beta: {"beta": beta, "look": -1.0}),
        (known.EMA, lambda beta: {"beta": beta, "look": 1.0, "damp": 1.0 - beta}),
        (known.NAG_NEW_VELOCITY, lambda beta: {"beta": beta, "look": 1.0, "form": "new velocity"}),
        (known.LOOK_AHEAD_NO_BETA, lambda beta: {"beta": beta, "look": 1.0 / beta}),
        (known.VELOCITY_ONES, lambda beta: {"beta": beta, "look": 1.0, "m0": 1.0}),
    )),
)

# The β a function that ignores its argument uses instead: a common default, besides the notebook's BETA.
DEFAULT_BETA = 0.9


class OptimiserCase:
    """One input of an optimiser task: the call, the reference and (when needed) the mistakes' values."""

    def __init__(self, ctx: GradingContext, method: Method, case: dict, shows: str | None = None):
        self.method, self.case = method, case
        self.grad = surfaces.function(case["family"], case["surface"], "grad")
        beta, steps = case["beta"], case["steps"]
        tail = (beta, steps) if method.uses_beta else (steps,)
        self.args = (Surface(case["family"], case["surface"], "grad"), case["theta0"], case["lr"], *tail)
        self.expected = getattr(ctx.reference, method.task)(self.grad, case["theta0"], case["lr"], *tail)
        self.other_betas = sorted({DEFAULT_BETA, float(ctx.params["BETA"])} - {beta}) if method.uses_beta else []
        beta_text = f", beta = {beta:.6g}" if method.uses_beta else ""
        self.shows = shows or (f"grad of {case['label']}, theta0 = {show(case['theta0'])}, "
                               f"lr = {case['lr']:.6g}{beta_text}, steps = {steps}")
        self.reproduce = judges.reproduce(case, ("theta0", "lr", "beta", "steps") if method.uses_beta else ("theta0", "lr", "steps"))

    @cached_property
    def mistakes(self) -> list[tuple[str, np.ndarray]]:
        """What each known mistake returns here: asked for only when an answer is wrong."""
        case, beta, steps = self.case, self.case["beta"], self.case["steps"]
        run = lambda n, kw: heavy_ball(self.grad, case["theta0"], case["lr"], steps=n, **kw)  # noqa: E731
        right = self.method.right(beta)
        return [
            (known.WITHOUT_THETA0, self.expected[1:]),
            (known.WITHOUT_THETA0, run(steps + 1, right)[1:]),
            (known.ROW_TOO_MANY, run(steps + 1, right)),
            (known.ALIASED, np.repeat(self.expected[-1:], len(self.expected), axis=0)),
            *((name, run(steps, kw(beta))) for name, kw in self.method.mistakes),
            *((known.BETA_IGNORED, run(steps, self.method.right(other))) for other in self.other_betas),
        ]

    def explain(self, t: int, row: np.ndarray) -> str:
        """Row t under the likely conventions, each one step from the reference's rows: which one the
        student's row is, or their values when it is none of them."""
        beta = self.case["beta"]
        theta = self.expected[t - 1]
        m = theta - self.expected[t - 2] if t > 1 else np.zeros_like(theta)
        right = self._step(theta, m, **self.method.right(beta))
        with np.errstate(all="ignore"):
            others = {"the gradient's sign flipped": self._step(theta, m, **self.method.right(beta), sign=-1.0)}
            if self.method.uses_beta:
                others.update({
                    "the gradient at θ_{t−1}": self._step(theta, m, beta=beta),
                    "the gradient at the look-ahead θ_{t−1} + β·m_{t−1}": self._step(theta, m, beta=beta, look=1.0),
                    "no momentum term": self._step(theta, m, beta=0.0),
                })
        return judges.one_step_from(t, row, right, others)

    def _step(self, theta, m, *, beta: float, look: float = 0.0, sign: float = 1.0) -> np.ndarray:
        g = np.asarray(self.grad(theta + look * beta * m), dtype=float)
        return theta + (beta * m - self.case["lr"] * sign * g)

    def call(self) -> Call:
        return Call(self.method.task, self.args, "array", self.shows)

    def judge(self, outcome: Outcome, passed_details: bool = True) -> tuple[Verdict, str]:
        verdict = judges.trajectory(outcome, self.expected, self.shows, lambda: self.mistakes,
                                    passed_details=passed_details, explain=self.explain)
        if not verdict.passed:
            verdict = judges.with_details(verdict, details={"reproduce": self.reproduce})
        return verdict, judges.calls_note(outcome, self.case["steps"])


def _many(task: str, cases: list[OptimiserCase], summary: str, weight: float, name: str) -> Check:
    def judge(outcomes):
        results = [case.judge(o, passed_details=False) for case, o in zip(cases, outcomes)]
        return judges.first_failure([v for v, _ in results], summary, [n for _, n in results])

    return Check(task, name, tuple(c.call() for c in cases), judge, weight=weight)


def own_cases(ctx: GradingContext) -> dict[str, OptimiserCase]:
    """Each method on the student's own quadratic, by task."""
    p = ctx.params
    case = {"family": "quadratic", "surface": own_surface(p), "theta0": p["THETA0"], "lr": p["LR"],
            "beta": p["BETA"], "steps": OWN_STEPS, "label": "your quadratic"}
    return {m.task: OptimiserCase(ctx, m, case, shows=f"your grad, THETA0, LR{', BETA' if m.uses_beta else ''}, "
                                                     f"steps = {OWN_STEPS}") for m in METHODS}


def from_minimum(ctx: GradingContext, method: Method, case: dict, shows: str | None = None) -> OptimiserCase:
    """`case` started at its minimum, where the gradient is exactly 0 (a quadratic's A·(θ − c) at θ = c):
    every row is the start, on every variant, and a loop that stops once the gradient is small stops
    here whatever its threshold, instead of on some variants' runs but not on others'."""
    return OptimiserCase(ctx, method, {**case, "theta0": case["surface"]["c"], "steps": MINIMUM_STEPS,
                                       "label": f"{case['label']}, started at its minimum"}, shows)


MINIMUM_STEPS = 4  # a run cut after θ0 has 1 row, one without θ0 has 4: the two stay apart


def optimiser_checks(ctx: GradingContext, method: Method, own: OptimiserCase, shown) -> list[Check]:
    """The checks of one method; `own` is its case on the student's quadratic, pictured in the window `shown`."""
    beta_text = ", BETA" if method.uses_beta else ""
    still = from_minimum(ctx, method, own.case, f"your grad, theta0 = its minimum A⁻¹b, LR{beta_text}, "
                                                f"steps = {MINIMUM_STEPS}")

    def own_judge(outcomes):
        (verdict, note), (at_rest, _) = own.judge(outcomes[0]), still.judge(outcomes[1], passed_details=False)
        picture = figures.contour(f"{method.label} on your quadratic, {OWN_STEPS} steps", own.case["surface"],
                                  outcomes[0].value, own.expected, method.label, shown=shown)
        verdict = verdict if not verdict.passed or at_rest.passed else at_rest
        return dataclasses.replace(verdict, message=verdict.message + (note if verdict.passed else ""), figure=picture)

    def runs(case):
        return three_runs(case["family"], case["surface"], case["theta0"], case["lr"], case["beta"], case["steps"])

    rng = ctx.rng(f"{method.task}/quadratics")
    quadratics = [OptimiserCase(ctx, method, quadratic_case(rng, n)) for n in range(1, 7)]
    quadratics.append(from_minimum(ctx, method, quadratics[1].case))
    rng = ctx.rng(f"{method.task}/valleys")
    valleys = [OptimiserCase(ctx, method, valley_case(rng, runs)), OptimiserCase(ctx, method, quartic_case(rng, runs))]
    rng = ctx.rng(f"{method.task}/edges")
    edge = quadratic_case(rng, 2)
    edges = [OptimiserCase(ctx, method, {**edge, "steps": steps}) for steps in (0, 1, 2)]
    return [
        Check(method.task, f"{method.label} on your own quadratic (THETA0, LR{beta_text})",
              (own.call(), still.call()), own_judge, weight=2.0),
        _many(method.task, quadratics, "Correct on random quadratics in 1 to 6 dimensions, and from a minimum.", 2.0,
              "random quadratics in 1 to 6 dimensions"),
        _many(method.task, valleys, "Correct on a Rosenbrock-type valley and a 3-D quartic bowl.", 1.0,
              "non-quadratic surfaces (a curved valley, a quartic bowl)"),
        _many(method.task, edges, "Correct for steps = 0, 1 and 2.", 1.0, "short runs: steps = 0, 1, 2"),
    ]
