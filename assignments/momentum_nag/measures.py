"""How hard a variant is: the numbers `autograder vet` compares across the class.

Each is computed from the student's constants through the reference, not from the
sampler's own vetting, so that a drift between the two shows.
"""

import numpy as np

from autograder.instructor.measures import Measure

from .parameters import BUDGET, KAPPA, TOL


def _grad(p):
    return lambda theta: p["A"] @ theta - p["b"]


def _steps(p, r) -> dict:
    return r.steps_to_tolerance(_grad(p), p["THETA0"], p["LR"], p["BETA"], TOL)


def _saved(p, r, method: str):
    steps = _steps(p, r)
    return None if steps["gd"] is None or steps[method] is None else steps["gd"] - steps[method]


def _nag_apart(p, r) -> float:
    """‖θ3(NAG) − θ3(Momentum)‖ relative to the distance from θ0 to the minimum."""
    grad = _grad(p)
    momentum = r.momentum(grad, p["THETA0"], p["LR"], p["BETA"], 3)[3]
    nag = r.nesterov(grad, p["THETA0"], p["LR"], p["BETA"], 3)[3]
    return float(np.linalg.norm(nag - momentum) / np.linalg.norm(p["THETA0"] - np.linalg.solve(p["A"], p["b"])))


MEASURES = (
    Measure("kappa", "condition number κ = λmax/λmin of the quadratic",
            lambda p, r: np.linalg.cond(p["A"]), low=KAPPA[0], high=KAPPA[1]),
    Measure("lr_lam_max", "η·λmax (stable below 2)", lambda p, r: p["LR"] * np.linalg.eigvalsh(p["A"])[-1],
            low=0.5, high=1.0),
    Measure("steps_gd", "steps to ‖∇L‖ < tol, gradient descent", lambda p, r: _steps(p, r)["gd"], low=1, high=BUDGET),
    Measure("steps_momentum", "steps to ‖∇L‖ < tol, Momentum", lambda p, r: _steps(p, r)["momentum"],
            low=1, high=BUDGET),
    Measure("steps_nesterov", "steps to ‖∇L‖ < tol, NAG", lambda p, r: _steps(p, r)["nesterov"], low=1, high=BUDGET),
    Measure("momentum_saves", "steps Momentum saves over gradient descent", lambda p, r: _saved(p, r, "momentum"),
            low=1),
    Measure("nesterov_saves", "steps NAG saves over gradient descent", lambda p, r: _saved(p, r, "nesterov"), low=1),
    Measure("nag_apart_step3", "‖θ3(NAG) − θ3(Momentum)‖ / ‖θ0 − θ*‖", _nag_apart, low=0.05),
)
