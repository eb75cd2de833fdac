"""The student's own problem: a rotated, ill-conditioned 2-D quadratic, a start, η, β, a data set.

Each constant comes from its own stream `params/<name>`. A draw is vetted and, when it
fails, the next draw of the same streams is taken, so the result stays a pure function
of the variant: every variant has condition number in [10, 50], η·λmax in [0.5, 1] (well inside
NAG's region η·λmax < 2(1+β)/(1+2β)), all three methods converge within the step budget
with Momentum and NAG faster than gradient descent, and NAG visibly apart from Momentum
by step 3.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from autograder.variants import Variant

from .optimisers import METHODS, heavy_ball, minibatch, tolerance_counts
from .cases import rotation

KAPPA = (10.0, 50.0)
TOL = 1e-6  # the notebook's tolerance for steps_to_tolerance
BUDGET = 10_000
# The notebook's minibatch settings; N is never a multiple of BATCH_SIZE.
BATCH_SIZE, SGD_LR, EPOCHS, SEED = 4, 0.05, 3, 0
SELF_CHECK_STEPS = 10


def _matrix(rng: np.random.Generator) -> np.ndarray:
    while True:
        lam_max = rng.uniform(2.0, 8.0)
        lam = np.array([lam_max, lam_max / rng.uniform(*KAPPA)])
        # A valley at least 20° off the axes, so that no coordinate alone is the easy direction.
        angle = rng.uniform(np.pi / 9, 7 * np.pi / 18) * rng.choice([-1.0, 1.0])
        R = rotation(angle)
        A = R @ np.diag(lam) @ R.T
        A = np.round((A + A.T) / 2, 3)
        eig = np.linalg.eigvalsh(A)
        if eig[0] > 0 and KAPPA[0] <= eig[1] / eig[0] <= KAPPA[1]:
            return A


def _data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """y ≈ w0 + w1·x with an intercept column, so the weights live in the plane and can be drawn."""
    while True:
        n = int(rng.integers(13, 31))
        if n % BATCH_SIZE:
            break
    x = np.round(rng.uniform(-1.5, 1.5, size=n), 2)
    X = np.column_stack([np.ones(n), x])
    y = np.round(X @ rng.uniform(-2.0, 2.0, size=2) + 0.3 * rng.normal(size=n), 3)
    return X, y


def _vetted(A, b, theta0, lr, beta) -> bool:
    grad = lambda theta: A @ theta - b  # noqa: E731 — exactly the notebook's grad
    lam_max = float(np.linalg.eigvalsh(A)[-1])
    if not 0.5 <= lr * lam_max <= 1.0:  # η drawn for [0.5, 0.95] and rounded to 3 digits may leave it (vet found one)
        return False
    counts = tolerance_counts({"A": A, "c": np.linalg.solve(A, b)}, theta0, lr, beta, TOL, BUDGET, grad=grad)
    gd, mom, nag = (counts[key][0] for key in METHODS)
    if gd is None or mom is None or nag is None or not (mom < gd and nag < gd):
        return False
    apart = np.linalg.norm(heavy_ball(grad, theta0, lr, beta, 3)[3] - heavy_ball(grad, theta0, lr, beta, 3, look=1.0)[3])
    return bool(apart >= 0.05 * np.linalg.norm(theta0 - np.linalg.solve(A, b)))


def parameters(variant: Variant) -> dict:
    streams = {name: variant.rng(f"params/{name}") for name in ("A", "b", "THETA0", "LR", "BETA", "data")}
    A = _matrix(streams["A"])
    lam, vec = np.linalg.eigh(A)
    b = np.round(A @ streams["b"].uniform(-2.0, 2.0, size=2), 2)
    theta_star = np.linalg.solve(A, b)
    for _ in range(1000):
        # Far along the shallow direction and a little up the steep wall: the valley shows.
        shallow, steep = streams["THETA0"].uniform(2.5, 4.0), streams["THETA0"].uniform(0.3, 1.0)
        signs = streams["THETA0"].choice([-1.0, 1.0], size=2)
        theta0 = np.round(theta_star + signs[0] * shallow * vec[:, 0] + signs[1] * steep * vec[:, 1], 1)
        lr = float(np.format_float_positional(streams["LR"].uniform(0.5, 0.95) / lam[1], precision=3,
                                              unique=False, fractional=False))
        beta = float(np.round(streams["BETA"].uniform(0.6, 0.9), 2))
        if _vetted(A, b, theta0, lr, beta):
            break
    else:
        raise AssertionError("no vetted start, step and β in 1000 draws; the ranges above are wrong")
    X, y = _data(streams["data"])
    return {"A": A, "b": b, "THETA0": theta0, "LR": lr, "BETA": beta, "X_DATA": X, "Y_DATA": y}


def notebook_context(params: dict, reference: SimpleNamespace) -> dict:
    """Self-check expectations on the student's own numbers, computed once at generation time."""
    A, b, theta0, lr, beta = (params[k] for k in ("A", "b", "THETA0", "LR", "BETA"))
    grad = lambda theta: A @ theta - b  # noqa: E731 — exactly the notebook's grad
    lam = np.linalg.eigvalsh(A)
    steps = SELF_CHECK_STEPS
    nag = reference.nesterov(grad, theta0, lr, beta, steps)
    look_ahead = nag.copy()
    look_ahead[1:] += beta * (nag[1:] - nag[:-1])
    X, y = params["X_DATA"], params["Y_DATA"]
    w0 = np.zeros(X.shape[1])
    return {
        "lam_min": float(lam[0]), "lam_max": float(lam[1]), "kappa": float(lam[1] / lam[0]),
        "theta_star": np.linalg.solve(A, b), "lr_lam_max": float(lr * lam[1]),
        "nag_limit": float(2 * (1 + beta) / (1 + 2 * beta)),
        "steps": steps, "tol": TOL, "budget": BUDGET,
        "batch_size": BATCH_SIZE, "sgd_lr": SGD_LR, "epochs": EPOCHS, "seed": SEED,
        "n_data": len(y), "updates_per_epoch": -(-len(y) // BATCH_SIZE),
        "expected_gd": reference.gradient_descent(grad, theta0, lr, steps),
        "expected_momentum": reference.momentum(grad, theta0, lr, beta, steps),
        "expected_nesterov": nag,
        "look_ahead_nesterov": look_ahead,
        "expected_sgd": reference.minibatch_sgd(X, y, w0, SGD_LR, BATCH_SIZE, EPOCHS, SEED),
        "dropped_sgd": minibatch(X, y, w0, SGD_LR, BATCH_SIZE, EPOCHS, SEED, drop_last=True),
        "expected_counts": reference.steps_to_tolerance(grad, theta0, lr, beta, TOL),
    }
