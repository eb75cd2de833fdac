"""The student's own constants X and Y_HAT, drawn inside vetted ranges, and the notebook's expectations.

Each constant comes from its own stream `params/<NAME>`; `measures.py` declares the ranges
that `autograder vet` holds every variant to.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from autograder.variants import Variant

from .checks.derivatives import hessian_of_gradient


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
