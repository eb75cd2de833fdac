"""The checks of `momentum_nag`, built in the grader for one student.

Every hidden case comes from a grading stream `ctx.rng("<task>/<check>")`. Trajectories
are graded whole (the first steps row by row, then the rest), never by convergence
alone; each optimiser task also runs on the student's own quadratic and attaches the
picture of both paths. Known mistakes are recognised by computing, here, what each would
return on the same input.
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

from . import figures, judges, known
from .optimisers import first_below, gradient_norms, heavy_ball, minibatch, step_counts
from .params import BATCH_SIZE, BUDGET, SGD_LR, TOL
from .problems import own_surface, quadratic_case, quartic_case, sgd_case, valley_case

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
    )),
    Method("nesterov", "NAG", True, lambda beta: {"beta": beta, "look": 1.0}, (
        (known.LOOK_AHEAD_REPORTED, lambda beta: {"beta": beta, "look": 1.0, "report_look_ahead": True}),
        (known.NAG_IS_MOMENTUM, lambda beta: {"beta": beta}),
        (known.LOOK_AHEAD_SIGN, lambda beta: {"beta": beta, "look": -1.0}),
        (known.EMA, lambda beta: {"beta": beta, "look": 1.0, "damp": 1.0 - beta}),
    )),
)


def checks(ctx: GradingContext) -> list[Check]:
    return [
        *(c for method in METHODS for c in optimiser_checks(ctx, method)),
        *sgd_checks(ctx),
        *tolerance_checks(ctx),
    ]


def _exact(value) -> str:
    return repr(np.asarray(value).tolist()) if isinstance(value, np.ndarray) else repr(value)


def _reproduce(case: dict, keys: tuple[str, ...]) -> str:
    """The case in full precision, so that a TA (or the student) can rerun it."""
    surface = case.get("surface")
    head = f"{case['family']} surface {({k: _exact(v) for k, v in surface.items()})}; " if surface else ""
    return head + "; ".join(f"{k} = {_exact(case[k])}" for k in keys if k in case)


def _with(verdict: Verdict, **changes) -> Verdict:
    details = {**verdict.details, **changes.pop("details", {})}
    return dataclasses.replace(verdict, details=details, **changes)


# --- gradient_descent, momentum, nesterov --------------------------------------------

class OptimiserCase:
    """One input of an optimiser task: the call, the reference and (when needed) the mistakes' values."""

    def __init__(self, ctx: GradingContext, method: Method, case: dict, shows: str | None = None):
        self.method, self.case = method, case
        self.grad = surfaces.function(case["family"], case["surface"], "grad")
        beta, steps = case["beta"], case["steps"]
        tail = (beta, steps) if method.uses_beta else (steps,)
        self.args = (Surface(case["family"], case["surface"], "grad"), case["theta0"], case["lr"], *tail)
        self.expected = getattr(ctx.reference, method.task)(self.grad, case["theta0"], case["lr"], *tail)
        beta_text = f", beta = {beta:.6g}" if method.uses_beta else ""
        self.shows = shows or (f"grad of {case['label']}, theta0 = {show(case['theta0'])}, "
                               f"lr = {case['lr']:.6g}{beta_text}, steps = {steps}")
        self.reproduce = _reproduce(case, ("theta0", "lr", "beta", "steps") if method.uses_beta else ("theta0", "lr", "steps"))

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
        ]

    def call(self) -> Call:
        return Call(self.method.task, self.args, "array", self.shows)

    def judge(self, outcome: Outcome, passed_details: bool = True) -> tuple[Verdict, str]:
        verdict = judges.trajectory(outcome, self.expected, self.shows, lambda: self.mistakes,
                                    passed_details=passed_details)
        if not verdict.passed:
            verdict = _with(verdict, details={"reproduce": self.reproduce})
        return verdict, judges.calls_note(outcome, self.case["steps"])


def _many(task: str, cases: list[OptimiserCase], summary: str, weight: float, name: str) -> Check:
    def judge(outcomes):
        results = [case.judge(o, passed_details=False) for case, o in zip(cases, outcomes)]
        return judges.first_failure([v for v, _ in results], summary, [n for _, n in results])

    return Check(task, name, tuple(c.call() for c in cases), judge, weight=weight)


def optimiser_checks(ctx: GradingContext, method: Method) -> list[Check]:
    p = ctx.params
    own = OptimiserCase(ctx, method, {
        "family": "quadratic", "surface": own_surface(p), "theta0": p["THETA0"], "lr": p["LR"],
        "beta": p["BETA"], "steps": OWN_STEPS, "label": "your quadratic",
    }, shows=f"your grad, THETA0, LR{', BETA' if method.uses_beta else ''}, steps = {OWN_STEPS}")

    def own_judge(outcomes):
        verdict, note = own.judge(outcomes[0])
        picture = figures.contour(f"{method.label} on your quadratic, {OWN_STEPS} steps", own.case["surface"],
                                  outcomes[0].value, own.expected, method.label)
        return dataclasses.replace(verdict, message=verdict.message + (note if verdict.passed else ""), figure=picture)

    def runs(case):
        return [heavy_ball(surfaces.function(case["family"], case["surface"], "grad"), case["theta0"], case["lr"],
                           steps=case["steps"], **m.right(case["beta"])) for m in METHODS]

    rng = ctx.rng(f"{method.task}/quadratics")
    quadratics = [OptimiserCase(ctx, method, quadratic_case(rng, n)) for n in range(1, 7)]
    rng = ctx.rng(f"{method.task}/valleys")
    valleys = [OptimiserCase(ctx, method, valley_case(rng, runs)), OptimiserCase(ctx, method, quartic_case(rng, runs))]
    rng = ctx.rng(f"{method.task}/edges")
    edge = quadratic_case(rng, 2)
    edges = [OptimiserCase(ctx, method, {**edge, "steps": steps}) for steps in (0, 1, 2)]
    return [
        Check(method.task, f"{method.label} on your own quadratic (THETA0, LR{', BETA' if method.uses_beta else ''})",
              (own.call(),), own_judge, weight=2.0),
        _many(method.task, quadratics, "Correct on random quadratics in 1 to 6 dimensions.", 2.0,
              "random quadratics in 1 to 6 dimensions"),
        _many(method.task, valleys, "Correct on a Rosenbrock-type valley and a 3-D quartic bowl.", 1.0,
              "non-quadratic surfaces (a curved valley, a quartic bowl)"),
        _many(method.task, edges, "Correct for steps = 0, 1 and 2.", 1.0, "short runs: steps = 0, 1, 2"),
    ]


# --- minibatch_sgd -------------------------------------------------------------------

SGD_KEYS = ("w0", "lr", "batch_size", "epochs", "seed")


class SgdCase:
    def __init__(self, ctx: GradingContext, case: dict, shows: str | None = None):
        self.case = case
        args = (case["X"], case["y"], case["w0"], case["lr"], case["batch_size"], case["epochs"], case["seed"])
        self.args = args
        self.expected = ctx.reference.minibatch_sgd(*args)
        self.shows = shows or (f"a data set with {case['label']}, lr = {case['lr']:.6g}, seed = {case['seed']}, "
                               f"w0 = {show(case['w0'])}")
        self.reproduce = _reproduce(case, ("X", "y", *SGD_KEYS))

    @cached_property
    def mistakes(self) -> list[tuple[str, np.ndarray]]:
        """What each known mistake returns here: asked for only when an answer is wrong."""
        args = self.args
        return [
            (known.WITHOUT_THETA0, self.expected[1:]),
            (known.ALIASED, np.repeat(self.expected[-1:], len(self.expected), axis=0)),
            (known.NO_SHUFFLE, minibatch(*args, order="none")),
            (known.RESEEDED, minibatch(*args, order="reseeded")),
            (known.LEGACY_RNG, minibatch(*args, order="legacy")),
            (known.DROPPED_BATCH, minibatch(*args, drop_last=True)),
            (known.SUM_LOSS, minibatch(*args, reduce="sum")),
            (known.NO_FACTOR_TWO, minibatch(*args, factor=1.0)),
        ]

    def call(self) -> Call:
        return Call("minibatch_sgd", self.args, "array", self.shows)

    def judge(self, outcome: Outcome, passed_details: bool = True) -> tuple[Verdict, str]:
        verdict = judges.trajectory(outcome, self.expected, self.shows, lambda: self.mistakes,
                                    what="your iterate history", rows_name="updates", passed_details=passed_details)
        return (verdict if verdict.passed else _with(verdict, details={"reproduce": self.reproduce})), ""


def _loss_surface(X: np.ndarray, y: np.ndarray) -> dict:
    """The full-batch mean squared error as a quadratic in w (A = 2XᵀX/N), its minimum at 0."""
    return {"A": 2.0 * X.T @ X / len(y), "c": np.linalg.lstsq(X, y, rcond=None)[0], "d": 0.0}


def sgd_checks(ctx: GradingContext) -> list[Check]:
    p = ctx.params
    rng = ctx.rng("minibatch_sgd/own")
    X, y = p["X_DATA"], p["Y_DATA"]
    own = SgdCase(ctx, {"X": X, "y": y, "w0": np.round(rng.uniform(-1.0, 1.0, size=X.shape[1]), 2), "lr": SGD_LR,
                        "batch_size": BATCH_SIZE, "epochs": 4, "seed": int(rng.integers(0, 1000)),
                        "label": "your data"})
    own.shows = (f"X_DATA, Y_DATA, w0 = {show(own.case['w0'])}, lr = {SGD_LR}, batch_size = {BATCH_SIZE}, "
                 f"epochs = 4, seed = {own.case['seed']}")

    def own_judge(outcomes):
        verdict, _ = own.judge(outcomes[0])
        if X.shape[1] != 2:
            return verdict
        picture = figures.contour("minibatch SGD on your data: the full-batch loss", _loss_surface(X, y),
                                  outcomes[0].value, own.expected, "SGD iterates", ("w₀ (intercept)", "w₁ (slope)"))
        return dataclasses.replace(verdict, figure=picture)

    rng = ctx.rng("minibatch_sgd/data")
    shapes = [(1, 3, 2), (3, 5, 3), (2, 1, 1), (4, 7, 2), (2, 8, 2)]  # (d, batch_size, epochs)
    hidden = []
    for d, batch_size, epochs in shapes:
        n = int(rng.integers(batch_size + 2, 30))
        if batch_size > 1 and n % batch_size == 0:
            n += 1  # a last partial batch in every case but batch_size 1
        hidden.append(SgdCase(ctx, sgd_case(rng, n, d, batch_size, epochs)))
    hidden.sort(key=lambda c: len(c.expected))
    rng = ctx.rng("minibatch_sgd/edges")
    edges = [SgdCase(ctx, sgd_case(rng, 12, 2, 4, 2)), SgdCase(ctx, sgd_case(rng, 12, 3, 12, 3)),
             SgdCase(ctx, sgd_case(rng, 7, 2, 3, 0))]
    return [
        Check("minibatch_sgd", "minibatch SGD on your data set (X_DATA, Y_DATA)", (own.call(),), own_judge, weight=2.0),
        _many_sgd(hidden, "Correct on data sets of various sizes, batch sizes and seeds.", 2.0,
                  "pinned shuffling on other data sets, last partial batch included"),
        _many_sgd(edges, "Correct when N is a multiple of the batch size, for full batches and for epochs = 0.", 1.0,
                  "edge cases: N a multiple of batch_size, a full batch, epochs = 0"),
    ]


def _many_sgd(cases: list[SgdCase], summary: str, weight: float, name: str) -> Check:
    def judge(outcomes):
        return judges.first_failure([c.judge(o, passed_details=False)[0] for c, o in zip(cases, outcomes)], summary)

    return Check("minibatch_sgd", name, tuple(c.call() for c in cases), judge, weight=weight)


# --- steps_to_tolerance --------------------------------------------------------------

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
        self.reproduce = _reproduce(case, ("theta0", "lr", "beta", "tol"))

    def call(self) -> Call:
        return Call("steps_to_tolerance", self.args, "data", self.shows)

    def judge(self, outcome: Outcome) -> Verdict:
        verdict = judges.counts(outcome, self.expected, self.shows, self.mistakes)
        return verdict if verdict.passed else _with(verdict, details={"reproduce": self.reproduce})


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
