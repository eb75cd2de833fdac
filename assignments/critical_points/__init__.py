"""Assignment `critical_points`: the lecture "When gradient is small" with the student's own loss.

Each student gets a loss L(w) = (Y_HAT − w1·w2·X)² with their own X and Y_HAT; the tasks go
from its gradient and Hessian to finite differences, the Hessian test and escaping a saddle.
The checks (in `checks.py`) run on surfaces drawn at grading time from hidden streams.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from autograder.assignment import Assignment, Task
from autograder.variants import Variant

from .checks import checks
from .derivatives import hessian_of_gradient

TASKS = (
    Task("loss_gradient", 2.0, "the analytic gradient of your loss"),
    Task("symbolic_hessian", 3.0, "the exact Hessian of your loss as a sympy Matrix"),
    Task("numerical_gradient", 3.0, "central-difference gradient of any f"),
    Task("numerical_hessian", 3.0, "finite-difference Hessian of any f, symmetric"),
    Task("classify_critical_point", 4.0, "the Hessian test, with its degenerate class"),
    Task("escape_direction", 2.0, "a unit eigenvector of the most negative eigenvalue, or None"),
    Task("escape_saddle", 3.0, "one step away from a saddle, downhill"),
)


def parameters(variant: Variant) -> dict:
    """X and Y_HAT with 2 decimals, |X|, |Y_HAT| not near 0, |X·Y_HAT| in [0.5, 4], |Y_HAT/X| ≤ 4.

    |X·Y_HAT| sets the saddle's eigenvalues ±2·X·Y_HAT, so every variant has a clear saddle
    of comparable strength. The valley of minima w1·w2 = Y_HAT/X comes closest to the origin
    at |w1| = |w2| = √|Y_HAT/X|, so |Y_HAT/X| ≤ 4 keeps it inside the notebook's picture
    ([-2, 2]²). X = ±1 is excluded so that the lecture's numbers stay apart from every
    student's. (`measures.py` declares the same ranges; `autograder vet` holds every variant
    to them.)
    """
    rx = variant.rng("params/X")
    while True:
        x = round(float(rx.choice([-1.0, 1.0]) * rx.uniform(0.5, 2.5)), 2)
        if abs(x) != 1.0:
            break
    ry = variant.rng("params/Y_HAT")
    low, high = max(0.3, 0.5 / abs(x)), min(3.0, 4.0 / abs(x))
    while True:
        y_hat = round(float(ry.choice([-1.0, 1.0]) * ry.uniform(low, high)), 2)
        if 0.5 <= abs(x * y_hat) <= 4.0 and abs(y_hat) >= 0.3 and abs(y_hat / x) <= 4.0:
            return {"X": x, "Y_HAT": y_hat}


def _decimal(value) -> sp.Float:
    """A number shown as the student typed it: 2.329, not 2329/1000."""
    return sp.Float(float(value), 15)


def notebook_context(params: dict, reference) -> dict:
    """Self-check expectations (from the reference, at generation time) and LaTeX of the student's loss."""
    x, y_hat = params["X"], params["Y_HAT"]
    w1, w2 = sp.symbols("w1 w2")
    X, Y = _decimal(x), _decimal(y_hat)
    loss = (Y - w1 * w2 * X) ** 2
    h0 = np.array([[0.0, -2 * x * y_hat], [-2 * x * y_hat, 0.0]])
    xy = x * y_hat
    sign = 1.0 if xy > 0 else -1.0

    grad_points = [np.array([0.5, -1.0]), np.array([1.2, 0.7]), np.array([0.0, 0.0])]
    hess_points = [np.array([0.0, 0.0]), np.array([0.5, -1.0])]
    sym = reference.symbolic_hessian()
    probe_f = lambda t: t[0] ** 4 + t[0] ** 2 * t[1] ** 2 + t[1] ** 4 / 4  # noqa: E731 (the notebook's own probe)
    return {
        "loss_tex": sp.latex(loss),
        "loss_expanded_tex": sp.latex(sp.expand(loss)),
        "xy": round(xy, 4),
        "xy_sign": int(sign),
        "h0": h0,
        "h0_tex": sp.latex(sp.Matrix([[0, _decimal(-2 * xy)], [_decimal(-2 * xy), 0]])),
        "lambda_tex": sp.latex(_decimal(2 * abs(xy))),
        "grad_cases": [(w, reference.loss_gradient(w)) for w in grad_points],
        "hess_cases": [(w, np.array(sym.subs({w1: float(w[0]), w2: float(w[1])}).evalf(), dtype=float)) for w in hess_points],
        "probe_hessian": reference.numerical_hessian(probe_f, np.array([0.5, 2.0]), 0.5),
        "probe_hessian_alt": hessian_of_gradient(probe_f, np.array([0.5, 2.0]), 0.5),
        # Along u = (1, sign(X·Y_HAT))/√2: the quadratic model hits 0 at α² = |Y_HAT/X|, the true loss is Y_HAT²/4 there.
        "alpha_zero": round(float(np.sqrt(abs(y_hat / x))), 4),
        "true_at_alpha_zero": round(y_hat**2 / 4, 6),
        "alpha_valley": round(float(np.sqrt(2 * abs(y_hat / x))), 4),
        "loss_at_origin": round(y_hat**2, 6),
        "escape_expected_norm": 0.1,
    }


ASSIGNMENT = Assignment(
    name="critical_points",
    title="When gradient is small: critical points, the Hessian test and escaping saddles",
    tasks=TASKS,
    parameters=parameters,
    notebook_context=notebook_context,
    checks=checks,
    # sympy's first Hessian, expansion and substitution cost about a second in every process.
    # (Not matplotlib: graded cells do not plot, the notebook's plots are in show cells, which
    # grading does not run; importing it here cost every zygote half a second.)
    warm_up="""
import sympy
a, b = sympy.symbols("a b")
m = sympy.hessian((sympy.Float(1.5) - a * b * sympy.Float(2.0)) ** 2, (a, b))
sympy.expand(m[0, 1])
m.subs({a: 0.5, b: 1.0}).evalf()
""",
)
