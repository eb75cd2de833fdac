"""Checks of the derivative tasks: loss_gradient, numerical_gradient, numerical_hessian.

Expected values come from the exact derivatives of the surfaces (`surfaces.build`) or,
for the large-step probes, from the pinned difference formulas applied to the true f in
the grader. Known mistakes are recognised by computing, here, what each mistake would
have returned on the same input.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from autograder.assignment import GradingContext
from autograder.checks import Call, Check, Verdict, as_array, close, compare, show

from .. import cases, known
from ..cases import Surf, exact, short
from ..judges import batch, safe, surface_calls

GRADIENT_TOL = dict(rtol=1e-8, atol=1e-10)  # analytic gradient
NUM_GRAD_TOL = dict(rtol=1e-5, atol=1e-7)  # central differences at h = 1e-5
NUM_HESS_TOL = dict(rtol=1e-4, atol=1e-6)  # central differences of f at h = 1e-4
PROBE_TOL = dict(rtol=1e-9, atol=1e-9)  # a large h: the formula itself is being checked


def noted(verdict: Verdict, **extra) -> Verdict:
    return dataclasses.replace(verdict, details={**verdict.details, **extra})


def exact_at_large_h(verdict: Verdict, value, exact_value: np.ndarray, tol: dict, name: str, advice: str) -> Verdict:
    """A value close to the exact derivative at a large h means the h passed in was not used."""
    arr, _ = as_array(value, exact_value.shape, "")
    if arr is not None and close(arr, exact_value, **tol)[0]:
        return dataclasses.replace(verdict, passed=False, mistake=name,
                                   message=f"For {verdict.details.get('input')}: your value matches {name}. {advice}")
    return verdict


# --- loss_gradient ----------------------------------------------------------------------

def gradient_mistakes(g: np.ndarray, x: float) -> list[tuple[str, np.ndarray, str]]:
    return [
        (known.GRADIENT_SIGN, -g, "∂L/∂w1 = 2·(Y_HAT − w1·w2·X)·(−w2·X): the inner derivative brings a minus sign."),
        (known.FACTOR_TWO, g / 2, "The derivative of r² is 2r·r′: keep the factor 2."),
        (known.INNER_FACTOR_X, g / x, "By the chain rule the inner derivative of Y_HAT − w1·w2·X "
                                                      "with respect to w1 is −w2·X: keep the factor X."),
        (known.PARTIALS_SWAPPED, g[::-1].copy(), "The first entry is ∂L/∂w1, which contains w2 (and vice versa)."),
    ]


def loss_gradient_checks(ctx: GradingContext) -> list[Check]:
    x, y_hat = float(ctx.params["X"]), float(ctx.params["Y_HAT"])
    surf = cases.lecture_loss(x, y_hat, label="your loss")
    rng = ctx.hidden_rng("loss_gradient")
    w1 = round(float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5)), 2)
    groups = [
        ("at random points", np.round(rng.uniform(-2.0, 2.0, (3, 2)), 2), "visible"),
        ("at critical points: the origin and a point of the valley w1·w2 = Y_HAT/X",
         np.array([[0.0, 0.0], [w1, y_hat / x / w1]]), "visible"),
        ("far from the origin", np.round(rng.uniform(-5.0, 5.0, (3, 2)), 2), "hidden"),
    ]
    return [_loss_gradient_check(surf, x, name, points, visibility) for name, points, visibility in groups]


def _loss_gradient_check(surf: Surf, x: float, name: str, points: np.ndarray, visibility: str) -> Check:
    exact_grad = surf.build().grad
    calls = tuple(Call("loss_gradient", (w.copy(),), "array", f"w = {short(w)}") for w in points)

    @safe
    def judge(outcomes):
        verdicts = []
        for call, outcome, w in zip(calls, outcomes, points):
            g = exact_grad(w)
            verdict = compare(outcome.value, g, shows=call.shows, mistakes=gradient_mistakes(g, x),
                              passed_details=len(points) == 1, **GRADIENT_TOL)
            verdicts.append(noted(verdict, reproduce=f"loss_gradient(np.array({exact(w)})) with your X and Y_HAT"))
        return batch(verdicts, "points")

    return Check("loss_gradient", f"analytic gradient {name}", calls, judge, visibility=visibility)


# --- numerical_gradient -------------------------------------------------------------------

def central(f, theta: np.ndarray, steps: np.ndarray) -> np.ndarray:
    out = np.empty(theta.size)
    for i, h in enumerate(steps):
        e = np.zeros(theta.size)
        e[i] = h
        out[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return out


def one_sided(f, theta: np.ndarray, h: float, sign: float) -> np.ndarray:
    out = np.empty(theta.size)
    for i in range(theta.size):
        e = np.zeros(theta.size)
        e[i] = sign * h
        out[i] = (f(theta + e) - f(theta)) / (sign * h)
    return out


GRADIENT_H_IGNORED = ("Your value is the exact derivative, not the central difference with this (large) h: "
                      "use the h passed in, not a constant of your own.")
HESSIAN_H_IGNORED = "Your value is the exact Hessian, not the central differences with this (large) h: use the h passed in."


def num_gradient_mistakes(f, theta: np.ndarray, h: float, exact_grad: np.ndarray) -> list:
    scaled = h * np.maximum(1.0, np.abs(theta))
    return [
        (known.FORWARD, one_sided(f, theta, h, +1.0),
         "That is (f(θ + h·eᵢ) − f(θ))/h, whose error shrinks only like h; use central differences "
         "(f(θ + h·eᵢ) − f(θ − h·eᵢ))/(2h), whose error shrinks like h²."),
        (known.BACKWARD, one_sided(f, theta, h, -1.0),
         "That is (f(θ) − f(θ − h·eᵢ))/h; use central differences (f(θ + h·eᵢ) − f(θ − h·eᵢ))/(2h)."),
        (known.SCALED_STEP, central(f, theta, scaled),
         "The convention of this assignment is exactly the step h in every coordinate."),
        (known.CENTRAL_WITHOUT_TWO, 2 * central(f, theta, np.full(theta.size, h)),
         "The two points θ ± h·eᵢ are 2h apart: divide by 2h."),
        (known.H_IGNORED, exact_grad, GRADIENT_H_IGNORED),
    ]


def numerical_gradient_checks(ctx: GradingContext) -> list[Check]:
    rng = ctx.hidden_rng("numerical_gradient")
    cube = Surf("x³", "poly", {"terms": [[1.0, [3]]], "M": [[1.0]], "c": [0.0], "d": 0.0}, "x**3")
    checks = [_num_gradient_check(ctx, "large-h probe: f(x) = x³ at x = 2 with h = 0.1 (central gives 12.01)",
                                  [(cube, np.array([2.0]), 0.1)], PROBE_TOL, "visible")]

    quads = []
    for n in range(1, 7):
        signs = rng.choice([-1.0, 1.0], n)
        A = cases.signature_matrix(rng, signs * cases.magnitudes(rng, n))
        c = np.round(rng.uniform(-1, 1, n), 2)
        quads.append((cases.quadratic(A, c, f"random quadratic in {n}-D"), np.round(rng.uniform(-2, 2, n), 2), None))

    himmel, _ = cases.himmelblau(rng, 1)
    rosen, rosen_min = cases.rosenbrock(rng)
    camel, _ = cases.camel(rng)
    curvy = [(himmel, np.round(rng.uniform(-3, 3, 2), 2), None),
             (rosen, rosen_min.theta + np.round(rng.uniform(-0.5, 0.5, 2), 2), None),
             (camel, np.round(rng.uniform(-1.5, 1.5, 2), 2), None)]

    probe = cases.cubic_probe(rng)
    h = round(float(rng.uniform(0.05, 0.2)), 2)
    at = np.round(rng.uniform(0.5, 2, 2), 2)
    # A quadratic at its centre, where the gradient is 0: a one-sided difference is off by h·A_ii/2 there,
    # far beyond the tolerance on every variant (elsewhere it may hide in the gradient's own size).
    centre = cases.quadratic(cases.signature_matrix(rng, cases.magnitudes(rng, 2)), np.round(rng.uniform(-1, 1, 2), 2),
                             "random quadratic in 2-D at its centre")
    quads.append((centre, np.array(centre.params["c"]), None))
    return checks + [
        _num_gradient_check(ctx, "random quadratics, n = 1 … 6 (default h)", quads, NUM_GRAD_TOL, "visible"),
        _num_gradient_check(ctx, "Himmelblau, Rosenbrock and six-hump camel at random points", curvy,
                            NUM_GRAD_TOL, "hidden"),
        _num_gradient_check(ctx, "large-h probe on a random cubic", [(probe, at, h)], PROBE_TOL, "hidden"),
    ]


def _num_gradient_check(ctx, name: str, inputs: list, tol: dict, visibility: str) -> Check:
    calls = surface_calls("numerical_gradient", inputs, "h")

    @safe
    def judge(outcomes):
        verdicts = []
        for call, outcome, (surf, theta, h) in zip(calls, outcomes, inputs):
            obj = surf.build()
            step = 1e-5 if h is None else h
            # Small h: the exact gradient is the target. Large h: the central formula itself.
            expected = obj.grad(theta) if h is None else ctx.reference.numerical_gradient(obj.f, theta.copy(), h)
            verdict = compare(outcome.value, expected, shows=call.shows, passed_details=len(inputs) == 1, **tol)
            if not verdict.passed:  # only a wrong answer needs the mistakes' values, to name one
                mistakes = num_gradient_mistakes(obj.f, theta, step, obj.grad(theta))
                verdict = compare(outcome.value, expected, shows=call.shows, mistakes=mistakes, **tol)
            if h is not None and not verdict.passed and verdict.mistake is None:
                verdict = exact_at_large_h(verdict, outcome.value, obj.grad(theta), NUM_GRAD_TOL, known.H_IGNORED,
                                           GRADIENT_H_IGNORED)
            verdicts.append(noted(verdict, reproduce=f"{surf.reproduce(theta)}; numerical_gradient(f, theta, h={step})"))
        return batch(verdicts, "inputs")

    return Check("numerical_gradient", name, tuple(calls), judge, visibility=visibility)


# --- numerical_hessian ----------------------------------------------------------------------

def hessian_formula(f, theta: np.ndarray, steps: np.ndarray, mixed: float = 1.0) -> np.ndarray:
    """Central differences of f with a step per coordinate (the pinned formula when all steps are h);
    the mixed entries with `mixed` times those steps."""
    n = theta.size
    E = np.diag(steps)
    H = np.empty((n, n))
    f0 = f(theta)
    for i in range(n):
        H[i, i] = (f(theta + E[i]) - 2 * f0 + f(theta - E[i])) / steps[i] ** 2
        for j in range(i):
            a, b = mixed * E[i], mixed * E[j]
            H[i, j] = H[j, i] = (f(theta + a + b) - f(theta + a - b) - f(theta - a + b)
                                 + f(theta - a - b)) / (4 * mixed * mixed * steps[i] * steps[j])
    return H


def hessian_of_gradient(f, theta: np.ndarray, h: float) -> np.ndarray:
    """Central differences of the central-difference gradient: the accepted second formula."""
    n = theta.size
    rows = []
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        rows.append((central(f, theta + e, np.full(n, h)) - central(f, theta - e, np.full(n, h))) / (2 * h))
    H = np.array(rows)
    return (H + H.T) / 2


def forward_hessian(f, theta: np.ndarray, h: float) -> np.ndarray:
    n = theta.size
    E = h * np.eye(n)
    return np.array([[(f(theta + E[i] + E[j]) - f(theta + E[i]) - f(theta + E[j]) + f(theta)) / h**2
                      for j in range(n)] for i in range(n)])


def asymmetry(H: np.ndarray) -> float:
    return float(np.linalg.norm(H - H.T)) / max(1.0, float(np.linalg.norm(H)))


SYMMETRY_TOL = 1e-12
SYMMETRISE_ADVICE = ("A Hessian is symmetric (∂²f/∂θi∂θj = ∂²f/∂θj∂θi), and np.linalg.eigh reads only the lower "
                     "triangle of the matrix you give it. Finish with H = (H + H.T) / 2.")


def hessian_verdict(value, expected, shows: str, tol: dict, accepted=(), mistakes=list,
                    passed_details: bool = True) -> Verdict:
    """The verdict on a numerical Hessian; `mistakes()` gives the known mistakes' values, asked
    for only when the answer is wrong (and `passed_details` as for `compare`)."""
    n = expected.shape[0]
    arr, problem = as_array(value, (n, n), "your Hessian")
    if arr is None:
        return Verdict(False, f"For {shows}: {problem}.", details={"input": shows, "got": show(value)})
    if asymmetry(arr) > SYMMETRY_TOL:  # on every input: round-off asymmetry is as wrong as a large one
        return asymmetric(arr, shows, compare(arr, expected, shows=shows, **tol).details)
    for target in (expected, *accepted):
        if close(arr, target, **tol)[0]:
            return compare(arr, target, shows=shows, passed_details=passed_details, **tol)
    return compare(arr, expected, shows=shows, mistakes=mistakes(), **tol)


def asymmetric(arr: np.ndarray, shows: str, details: dict) -> Verdict:
    details = {**details, "error": f"‖H − Hᵀ‖ = {np.linalg.norm(arr - arr.T):.3g}"}
    return Verdict(False, f"For {shows}: your Hessian is not symmetric (‖H − Hᵀ‖ = {np.linalg.norm(arr - arr.T):.3g}). "
                          f"{SYMMETRISE_ADVICE}", mistake=known.NOT_SYMMETRISED, details=details)


def hessian_mistakes(f, theta: np.ndarray, h: float, exact_hess: np.ndarray) -> list:
    return [
        (known.FORWARD, forward_hessian(f, theta, h),
         "Those are one-sided differences (f(θ + h·eᵢ + h·eⱼ) − f(θ + h·eᵢ) − f(θ + h·eⱼ) + f(θ))/h²; "
         "use the central formulas of the docstring."),
        (known.HESSIAN_SCALED_STEP, hessian_formula(f, theta, h * np.maximum(1.0, np.abs(theta))),
         "The convention of this assignment is exactly the step h in every coordinate."),
        (known.HESSIAN_STEP_IGNORED, exact_hess, HESSIAN_H_IGNORED),
        *((known.MIXED_STEP, hessian_formula(f, theta, np.full(theta.size, h), mixed),
           "The mixed entries take the same step h as the diagonal: (f(θ+h·eᵢ+h·eⱼ) − f(θ+h·eᵢ−h·eⱼ) − "
           "f(θ−h·eᵢ+h·eⱼ) + f(θ−h·eᵢ−h·eⱼ))/(4h²).") for mixed in (2.0, 0.5)),
    ]


def numerical_hessian_checks(ctx: GradingContext) -> list[Check]:
    rng = ctx.hidden_rng("numerical_hessian")
    probe = Surf("x⁴ + x²y² + y⁴/4", "poly",
                 {"terms": [[1.0, [4, 0]], [1.0, [2, 2]], [0.25, [0, 4]]], "M": cases.IDENTITY, "c": [0.0, 0.0], "d": 0.0},
                 "x**4 + x**2*y**2 + y**4/4")
    checks = [_num_hessian_check(ctx, "large-h probe: x⁴ + x²y² + y⁴/4 at (0.5, 2) with h = 0.5",
                                 [(probe, np.array([0.5, 2.0]), 0.5)], "visible")]

    cubic = cases.cubic_probe(rng)
    himmel, _ = cases.himmelblau(rng, 1)
    checks.append(_symmetry_check([(cubic, np.round(rng.uniform(0.5, 2, 2), 2)), (himmel, np.round(rng.uniform(-3, 3, 2), 2))]))

    quads = []
    for n in range(1, 7):
        signs = rng.choice([-1.0, 1.0], n)
        A = cases.signature_matrix(rng, signs * cases.magnitudes(rng, n))
        quads.append((cases.quadratic(A, np.round(rng.uniform(-1, 1, n), 2), f"random quadratic in {n}-D"),
                      np.round(rng.uniform(-2, 2, n), 2), None))
    checks.append(_num_hessian_check(ctx, "random quadratics, n = 1 … 6 (default h)", quads, "visible"))

    himmel2, himmel_points = cases.himmelblau(rng, 2)
    well, well_points = cases.double_well(rng, 1)
    rosen, rosen_min = cases.rosenbrock(rng)
    camel, camel_points = cases.camel(rng)
    critical = [(himmel2, himmel_points[int(rng.integers(5, 9))].theta, None),
                (himmel2, himmel_points[int(rng.integers(0, 4))].theta, None),
                (well, well_points[0].theta, None),
                (rosen, rosen_min.theta, None),
                (camel, camel_points[int(rng.integers(0, len(camel_points)))].theta, None)]
    checks.append(_num_hessian_check(ctx, "critical points of Himmelblau, a double well, Rosenbrock and the camel",
                                     critical, "hidden"))

    quartic = cases.cubic_probe(rng, degree=4)
    h = round(float(rng.uniform(0.2, 0.5)), 2)
    # Both coordinates beyond 1, where a step scaled by max(1, |θi|) is not h, on every variant.
    checks.append(_num_hessian_check(ctx, "large-h probe on a random quartic",
                                     [(quartic, np.round(rng.uniform(1.2, 2, 2), 2), h)], "hidden"))
    return checks


def _num_hessian_check(ctx, name: str, inputs: list, visibility: str) -> Check:
    calls = surface_calls("numerical_hessian", inputs, "h")

    @safe
    def judge(outcomes):
        verdicts = []
        for call, outcome, (surf, theta, h) in zip(calls, outcomes, inputs):
            obj = surf.build()
            theta = np.array(theta, dtype=float)
            step = 1e-4 if h is None else h
            if h is None:
                expected, accepted, tol = obj.hess(theta), (), NUM_HESS_TOL
            else:  # a large h: the formula is checked, either of the two accepted ones
                expected = ctx.reference.numerical_hessian(obj.f, theta.copy(), h)
                accepted, tol = (hessian_of_gradient(obj.f, theta, h),), PROBE_TOL
            mistakes = lambda: hessian_mistakes(obj.f, theta, step, obj.hess(theta))  # noqa: E731
            verdict = hessian_verdict(outcome.value, expected, call.shows, tol, accepted, mistakes,
                                      passed_details=len(inputs) == 1)
            if h is not None and not verdict.passed and verdict.mistake is None:
                verdict = exact_at_large_h(verdict, outcome.value, obj.hess(theta), NUM_HESS_TOL, known.HESSIAN_STEP_IGNORED,
                                           HESSIAN_H_IGNORED)
            verdicts.append(noted(verdict, reproduce=f"{surf.reproduce(theta)}; numerical_hessian(f, theta, h={step})"))
        return batch(verdicts, "inputs")

    return Check("numerical_hessian", name, tuple(calls), judge, visibility=visibility)


def _symmetry_check(inputs: list) -> Check:
    calls = surface_calls("numerical_hessian", [(surf, theta, None) for surf, theta in inputs], "h")

    @safe
    def judge(outcomes):
        verdicts = []
        for call, outcome, (surf, theta) in zip(calls, outcomes, inputs):
            arr, problem = as_array(outcome.value, (2, 2), "your Hessian")
            details = {"input": call.shows, "got": show(outcome.value), "reproduce": surf.reproduce(theta)}
            if arr is None:
                verdicts.append(Verdict(False, f"For {call.shows}: {problem}.", details=details))
            elif asymmetry(arr) > SYMMETRY_TOL:
                verdicts.append(asymmetric(arr, call.shows, details))
            else:
                verdicts.append(Verdict(True, f"Symmetric for {call.shows}.", details=details))
        return batch(verdicts, "inputs")

    return Check("numerical_hessian", "returns an exactly symmetric matrix", tuple(calls), judge)
