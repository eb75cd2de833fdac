"""The three optimisers with the knobs that wrong implementations turn.

The reference in `solutions/` gives the right answers; this module gives, in the grader,
what each known mistake would return on the same input, so that a verdict can name it, and
the reference's step counts without running to the budget when that is not needed.
"""

from __future__ import annotations

import math

import numpy as np

from autograder import surfaces


def _iterates(grad, theta0, lr, beta, *, look=0.0, sign=1.0, damp=1.0):
    """(θ_t, m_t) for t = 0, 1, …: m_t = β·m − η·damp·sign·∇L(θ + look·β·m); θ_t = θ + m_t."""
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    yield theta, m
    with np.errstate(all="ignore"):
        while True:
            m = beta * m - lr * damp * sign * np.asarray(grad(theta + look * beta * m), dtype=float)
            theta = theta + m
            yield theta, m


def heavy_ball(grad, theta0, lr, beta, steps, *, look=0.0, sign=1.0, damp=1.0, report_look_ahead=False):
    """The trajectory θ_0..θ_steps of `_iterates`.

    look = 0 is Momentum, 1 is NAG, −1 NAG with a wrong-sign look-ahead; beta = 0 is plain
    gradient descent; report_look_ahead returns θ_t + β·m_t (PyTorch/Keras NAG).
    """
    rows = []
    for theta, m in _iterates(grad, theta0, lr, beta, look=look, sign=sign, damp=damp):
        rows.append(theta + beta * m if report_look_ahead else theta)
        if len(rows) > steps:
            break
    return np.array(rows)


def minibatch(X, y, w0, lr, batch_size, epochs, seed, *, order="pinned", drop_last=False, reduce="mean", factor=2.0):
    """Minibatch SGD on least squares; order is "pinned", "none", "reseeded" or "legacy"."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.array(w0, dtype=float)
    n = len(y)
    rng = np.random.default_rng(seed)
    legacy = np.random.RandomState(seed)
    rows = [w]
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            if order == "none":
                idx = np.arange(n)
            elif order == "reseeded":
                idx = np.random.default_rng(seed).permutation(n)
            elif order == "legacy":
                idx = legacy.permutation(n)
            else:
                idx = rng.permutation(n)
            stop = n - n % batch_size if drop_last else n
            for start in range(0, stop, batch_size):
                batch = idx[start : start + batch_size]
                residual = X[batch] @ w - y[batch]
                scale = 1.0 if reduce == "sum" else 1.0 / len(batch)
                w = w - lr * factor * scale * (X[batch].T @ residual)
                rows.append(w)
    return np.array(rows)


def gradient_norms(grad, theta0, lr, beta, steps, *, look=0.0, stop_below: float | None = None) -> np.ndarray:
    """‖∇L(θ_t)‖ for t = 0..steps of Momentum (look = 0), NAG (look = 1) or GD (beta = 0).

    With stop_below, the sequence ends at the first norm below it: most runs converge long
    before the budget, and the grader builds these for every student. These are the float
    operations of the reference's steps_to_tolerance, in its order (the norm is sqrt(g·g), as
    numpy's norm computes it), so the counts they give are the reference's own.
    """
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    norms = []
    with np.errstate(all="ignore"):
        for _ in range(steps + 1):
            g = np.asarray(grad(theta), dtype=float)
            norms.append(math.sqrt(g.dot(g)))
            if stop_below is not None and norms[-1] < stop_below:
                break
            if look:
                g = np.asarray(grad(theta + look * beta * m), dtype=float)
            m = beta * m - lr * g
            theta = theta + m
    return np.array(norms)


def first_below(norms: np.ndarray, tol: float) -> int | None:
    """The first t with norms[t] < tol, or None."""
    hits = np.flatnonzero(norms < tol)
    return int(hits[0]) if hits.size else None


def step_counts(surface: dict, theta0, lr: float, beta: float, tol: float, budget: int,
                known: dict | None = None) -> dict:
    """steps_to_tolerance of the reference on a quadratic surface: {"gd", "momentum", "nesterov"} →
    the first t ≤ budget with ‖∇L(θ_t)‖ < tol, or None. Each run ends at its first small norm; a
    method whose count the caller already knows (`known`) is not run at all."""
    grad = surfaces.function("quadratic", surface, "grad")
    counts = dict(known or {})
    for key, beta_, look in (("gd", 0.0, 0.0), ("momentum", beta, 0.0), ("nesterov", beta, 1.0)):
        if key not in counts:
            counts[key] = first_below(gradient_norms(grad, theta0, lr, beta_, budget, look=look, stop_below=tol), tol)
    return {key: counts[key] for key in ("gd", "momentum", "nesterov")}
