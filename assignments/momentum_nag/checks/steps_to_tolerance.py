"""Checks of steps_to_tolerance: the step counts of the three methods, and the budget's limits."""

from __future__ import annotations

import numpy as np

from autograder import surfaces
from autograder.assignment import GradingContext
from autograder.checks import Call, Check, Outcome, Verdict, show
from autograder.wire import Surface

from .. import judges, known
from ..cases import own_surface, quadratic_case
from ..optimisers import METHODS, first_below, quadratic_gradients, step_counts, tolerance_counts
from ..parameters import BUDGET, TOL


# Sizes of a gradient (rows: steps, columns: coordinates) that a stopping rule may compare with tol instead of
# ‖∇L‖, by the mistake each is.
SIZES = (
    (known.NORM_SCALED, lambda g: np.linalg.norm(g, axis=1) / g.shape[1]),
    (known.NORM_SCALED, lambda g: np.linalg.norm(g, axis=1) / np.sqrt(g.shape[1])),
    (known.NOT_EUCLIDEAN, lambda g: g.sum(axis=1)),
    (known.NOT_EUCLIDEAN, lambda g: np.abs(g).sum(axis=1)),
    (known.NOT_EUCLIDEAN, lambda g: np.abs(g).max(axis=1)),
    (known.NOT_EUCLIDEAN, lambda g: (g * g).sum(axis=1)),
)


class CountCase:
    """One input of steps_to_tolerance, on a quadratic. The counts are the reference's: `step_counts`
    does its very float operations, at the speed of knowing when to stop (and a case drawn by
    running the methods already knows them)."""

    def __init__(self, case: dict, shows: str | None = None, expected: dict | None = None,
                 mistakes: list[tuple[str, dict]] = ()):
        self.case = case
        self.args = (Surface(case["family"], case["surface"], "grad"), case["theta0"], case["lr"], case["beta"], case["tol"])
        self.expected = step_counts(case["surface"], *self.args[1:], BUDGET) if expected is None else expected
        shift = lambda k: {m: (None if v is None else v + k) for m, v in self.expected.items()}  # noqa: E731
        # None written as the budget or as -1 (10 001 reads as counting beyond the budget: BUDGET_LONG)
        numbers = [{m: (n if v is None else v) for m, v in self.expected.items()} for n in (BUDGET, -1)]
        # The case's own mistakes first: they name what a shifted count would only hint at.
        self.mistakes = [*mistakes, (known.OFF_BY_ONE, shift(1))]
        self.one_early = (known.OFF_BY_ONE, shift(-1))
        if None in self.expected.values():
            self.mistakes += [(known.NUMBER_FOR_NONE, n) for n in numbers]
        self.shows = shows or (f"grad of {case['label']}, theta0 = {show(case['theta0'])}, lr = {case['lr']:.6g}, "
                               f"beta = {case['beta']:.6g}, tol = {case['tol']:.3g}")
        self.reproduce = judges.reproduce(case, ("theta0", "lr", "beta", "tol"))

    def call(self) -> Call:
        return Call("steps_to_tolerance", self.args, "data", self.shows)

    def sizes(self) -> list[tuple[str, dict]]:
        """The counts each of SIZES gives here (exact arithmetic): asked for only when an answer is wrong."""
        case = self.case
        grads = quadratic_gradients(case["surface"], case["theta0"], case["lr"], case["beta"], BUDGET)
        return [(name, {key: first_below(size(g), case["tol"]) for key, g in grads.items()}) for name, size in SIZES]

    def judge(self, outcome: Outcome, alone: bool = False) -> Verdict:
        """The verdict on this case; `alone` when every other case of the check is right, which rules
        out counts one too small everywhere (a ≤ that stops one step early on a tie looks the same here)."""
        mistakes = self.mistakes if alone else [*self.mistakes, self.one_early]
        verdict = judges.counts(outcome, self.expected, self.shows, lambda: [*mistakes, *self.sizes()])
        return verdict if verdict.passed else judges.with_details(verdict, details={"reproduce": self.reproduce})


def _count_case(rng: np.random.Generator, n: int) -> CountCase:
    """A quadratic case whose counts all lie well inside the budget, every norm clear of tol."""
    while True:
        case = quadratic_case(rng, n)
        grad = surfaces.function("quadratic", case["surface"], "grad")
        case["tol"] = float(np.linalg.norm(grad(case["theta0"])) * 10 ** rng.uniform(-8.0, -4.0))
        found = tolerance_counts(case["surface"], case["theta0"], case["lr"], case["beta"], case["tol"], 3000)
        if all(count is not None and clear for count, clear in found.values()):
            return CountCase(case, expected={key: found[key][0] for key in METHODS})


def _at_budget(rng: np.random.Generator, count: int) -> CountCase:
    """A 2-D quadratic on which gradient descent first gets below tol after exactly `count` steps.

    Its norms fall by a factor 1 − η·λmin ≈ 1 − 1.2e-3 a step, and tol lies halfway (geometrically)
    between those of steps count − 1 and count: 6e-4 from either, far beyond any float drift, so
    the closed form (λ_i·(1 − η·λ_i)^t in A's eigenbasis) gives the reference's own count without
    running 10 000 steps here. With count = BUDGET + 1 the answer is None: the budget's edges, where
    a loop that stops one step early or late, or a budget read as 9 999 or 10 001, shows.

    Axis-aligned (its valley along θ₁ or θ₂, either way round): a rotation adds nothing to counting
    steps, and the students' 20 000 steps on these two cases are most of what grading their work
    costs, with a diagonal A's gradient the cheapest of them (`surfaces.Quadratic`).
    """
    q = np.eye(2)[rng.permutation(2)] * rng.choice([-1.0, 1.0], size=2)
    lam_max = float(rng.uniform(1.0, 5.0))
    lr = float(rng.uniform(0.5, 0.9) / lam_max)
    lam = np.array([lam_max, float(rng.uniform(1.0e-3, 1.4e-3)) / lr])
    c = rng.uniform(-2.0, 2.0, size=2)
    z0 = np.array([rng.uniform(0.2, 0.5), rng.uniform(2.0, 3.0)]) * rng.choice([-1.0, 1.0], size=2)
    A = q @ np.diag(lam) @ q.T
    case = {"family": "quadratic", "surface": {"A": (A + A.T) / 2, "c": c, "d": 0.0}, "theta0": c + q @ z0,
            "lr": lr, "beta": float(rng.uniform(0.92, 0.95))}  # near the best β: Momentum and NAG stay short
    eig, vectors = np.linalg.eigh(case["surface"]["A"])
    z = vectors.T @ (case["theta0"] - c)
    before, after = (float(np.linalg.norm(eig * (1.0 - lr * eig) ** t * z)) for t in (count - 1, count))
    case["tol"] = float(np.sqrt(before * after))
    case["label"] = f"a 2-D quadratic on which gradient descent needs {count:,} steps".replace(",", " ")
    expected = step_counts(case["surface"], case["theta0"], lr, case["beta"], case["tol"], BUDGET,
                           known={"gd": count if count <= BUDGET else None})
    edge = (known.BUDGET_SHORT, {**expected, "gd": None}) if count <= BUDGET else \
        (known.BUDGET_LONG, {**expected, "gd": count})
    return CountCase(case, expected=expected, mistakes=[edge])


def _exactly_tol(rng: np.random.Generator) -> CountCase:
    """‖∇L(θ0)‖ equal to tol, exactly in any float arithmetic (∇L(θ0) = 5·2^k = tol, powers of two
    elsewhere): θ0 does not qualify, since the test is ‖∇L‖ < tol, and one step does. In one dimension,
    with a positive gradient: every other size of it (SIZES) is at least tol there too, so only ≤
    stops at θ0."""
    scale, lam = 2.0 ** int(rng.integers(-2, 3)), 2.0 ** int(rng.integers(-1, 3))
    c = rng.integers(-16, 17, size=1) / 8.0
    case = {"family": "quadratic", "surface": {"A": lam * np.eye(1), "c": c, "d": 0.0}, "theta0": c + 5.0 * scale / lam,
            "lr": float(rng.uniform(0.2, 0.8)) / lam, "beta": float(rng.uniform(0.5, 0.9)), "tol": 5.0 * scale,
            "label": "a 1-D quadratic whose gradient at θ0 is exactly tol"}
    return CountCase(case, mistakes=[(known.NOT_STRICT, {"gd": 0, "momentum": 0, "nesterov": 0})])


def _euclidean_only(rng: np.random.Generator) -> CountCase:
    """‖∇L(θ0)‖ = 5s below tol = 6s, with ∇L(θ0) = ±(3, 4)·s (s a power of two, exact): θ0 qualifies,
    but not by the sum of the components' sizes (7s), which another stopping rule would take (SIZES):
    without this case that rule shows on the limits on some variants only."""
    s, lam = 2.0 ** int(rng.integers(-5, -2)), 2.0 ** int(rng.integers(-1, 3))
    c = rng.integers(-16, 17, size=2) / 8.0
    g0 = rng.permutation([3.0, 4.0]) * rng.choice([-1.0, 1.0], size=2) * s
    case = {"family": "quadratic", "surface": {"A": lam * np.eye(2), "c": c, "d": 0.0}, "theta0": c + g0 / lam,
            "lr": float(rng.uniform(0.2, 0.8)) / lam, "beta": float(rng.uniform(0.5, 0.9)), "tol": 6.0 * s,
            "label": "a quadratic whose ‖∇L(θ0)‖ is below tol, the sum of |∇L(θ0)ᵢ| not"}
    return CountCase(case)


def tolerance_checks(ctx: GradingContext) -> list[Check]:
    p = ctx.params
    own = CountCase({"family": "quadratic", "surface": own_surface(p), "theta0": p["THETA0"], "lr": p["LR"],
                     "beta": p["BETA"], "tol": TOL, "label": "your quadratic"},
                    shows=f"your grad, THETA0, LR, BETA, tol = {TOL:g}")
    rng = ctx.rng("steps_to_tolerance/quadratics")
    quadratics = [_count_case(rng, n) for n in (1, 3, 5)]
    rng = ctx.rng("steps_to_tolerance/limits")
    last, beyond = _at_budget(rng, BUDGET), _at_budget(rng, BUDGET + 1)
    start = quadratic_case(rng, 2)
    # Twice every size of ∇L(θ0) (SIZES: the squared norm too): every rule stops at once, only a loop
    # that never tests θ0 does not.
    size = float(np.linalg.norm(surfaces.function("quadratic", start["surface"], "grad")(start["theta0"])))
    start["tol"] = 2.0 * max(size, size * size)
    limits = [last, beyond, CountCase(start), _exactly_tol(rng), _euclidean_only(rng)]

    def many(cases):
        def judge(outcomes):
            verdicts = [c.judge(o) for c, o in zip(cases, outcomes)]
            wrong = [i for i, v in enumerate(verdicts) if not v.passed]
            if len(wrong) == 1:
                verdicts[wrong[0]] = cases[wrong[0]].judge(outcomes[wrong[0]], alone=True)
            return judges.first_failure(verdicts, "Correct counts on every case.")
        return judge

    return [
        Check("steps_to_tolerance", "step counts on your own quadratic", (own.call(),), lambda o: own.judge(o[0])),
        Check("steps_to_tolerance", "step counts on random quadratics", tuple(c.call() for c in quadratics),
              many(quadratics)),
        Check("steps_to_tolerance", "limits: 10 000 steps still count, 10 001 are None; 0 when θ0 already qualifies; "
                                    "‖∇L‖ < tol, not ≤",
              tuple(c.call() for c in limits), many(limits)),
    ]
