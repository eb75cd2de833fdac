"""The three optimisers with the knobs that wrong implementations turn.

The reference in `solutions/` gives the right answers; this module gives, in the grader,
what each known mistake would return on the same input, so that a verdict can name it.
"""

from __future__ import annotations

import numpy as np


def heavy_ball(grad, theta0, lr, beta, steps, *, look=0.0, sign=1.0, damp=1.0, report_look_ahead=False):
    """m_t = β·m − η·damp·sign·∇L(θ + look·β·m); θ_t = θ + m_t.

    look = 0 is Momentum, 1 is NAG, −1 NAG with a wrong-sign look-ahead; beta = 0 is plain
    gradient descent; report_look_ahead returns θ_t + β·m_t (PyTorch/Keras NAG).
    """
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    rows = [theta]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            m = beta * m - lr * damp * sign * np.asarray(grad(theta + look * beta * m), dtype=float)
            theta = theta + m
            rows.append(theta + beta * m if report_look_ahead else theta)
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


def gradient_norms(grad, theta0, lr, beta, steps, *, look=0.0) -> np.ndarray:
    """‖∇L(θ_t)‖ for t = 0..steps of Momentum (look = 0), NAG (look = 1) or GD (beta = 0)."""
    with np.errstate(all="ignore"):
        return np.array([np.linalg.norm(grad(theta)) for theta in heavy_ball(grad, theta0, lr, beta, steps, look=look)])


def first_below(norms: np.ndarray, tol: float) -> int | None:
    """The first t with norms[t] < tol, or None."""
    hits = np.flatnonzero(norms < tol)
    return int(hits[0]) if hits.size else None
