"""The three optimisers with the knobs that wrong implementations turn.

The reference in `solutions/` gives the right answers; this module gives, in the grader,
what each known mistake would return on the same input, so that a verdict can name it, and
the reference's step counts without running to the budget when that is not needed.
"""

from __future__ import annotations

import math

import numpy as np

from autograder import surfaces


def _iterates(grad, theta0, lr, beta, *, look=0.0, sign=1.0, damp=1.0, m0=0.0, form="lecture"):
    """(θ_t, m_t) for t = 0, 1, …: m_t = β·m − η·damp·sign·∇L(θ + look·β·m); θ_t = θ + m_t.

    m0 is the first velocity (the right one is 0). The forms that misplace the velocity:
    "twice" adds β·m_{t−1} again (θ_t = θ + β·m + m_t), "new velocity" steps θ_t = θ + β·m_t − η·g
    (PyTorch's Nesterov update, here with the gradient g at the look-ahead point).
    """
    theta = np.array(theta0, dtype=float)
    m = np.full_like(theta, m0)
    yield theta, m
    with np.errstate(all="ignore"):
        while True:
            step = lr * damp * sign * np.asarray(grad(theta + look * beta * m), dtype=float)
            previous, m = m, beta * m - step
            if form == "twice":
                theta = theta + beta * previous + m
            elif form == "new velocity":
                theta = theta + beta * m - step
            else:
                theta = theta + m
            yield theta, m


def heavy_ball(grad, theta0, lr, beta, steps, *, report_look_ahead=False, **knobs):
    """The trajectory θ_0..θ_steps of `_iterates` (its knobs: look, sign, damp, m0, form).

    look = 0 is Momentum, 1 is NAG, −1 NAG with a wrong-sign look-ahead; beta = 0 is plain
    gradient descent; report_look_ahead returns θ_t + β·m_t (PyTorch/Keras NAG).
    """
    rows = []
    for theta, m in _iterates(grad, theta0, lr, beta, **knobs):
        rows.append(theta + beta * m if report_look_ahead else theta)
        if len(rows) > steps:
            break
    return np.array(rows)


METHODS = {"gd": (0.0, 0.0), "momentum": (1.0, 0.0), "nesterov": (1.0, 1.0)}  # (β used, look-ahead)


def three_runs(family: str, surface: dict, theta0, lr: float, beta: float, steps: int) -> list[np.ndarray]:
    """The trajectories θ_0..θ_steps of the three METHODS, run side by side (one array
    operation per step for the three): what drawing a case looks at to keep it bounded. The same
    steps as `heavy_ball`'s, up to the order of the gradient's sums."""
    built = surfaces.build(family, surface)
    betas = np.array([[beta * uses_beta] for uses_beta, _ in METHODS.values()])
    looks = np.array([[look] for _, look in METHODS.values()])
    theta = np.tile(np.asarray(theta0, dtype=float), (len(METHODS), 1))
    m = np.zeros_like(theta)
    rows = [theta]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            m = betas * m - lr * built.grads(theta + looks * betas * m)
            theta = theta + m
            rows.append(theta)
    return list(np.stack(rows, axis=1))


def minibatch(X, y, w0, lr, batch_size, epochs, seed, *, order="pinned", drop_last=False, reduce="mean", factor=2.0,
              chunks=None, empty_batch=None):
    """Minibatch SGD on least squares; order is "pinned", "none", "reseeded" or "legacy".

    reduce: "mean" over the batch, "sum", or "batch_size" (divided by batch_size even for the
    last, smaller batch). chunks: None for consecutive slices of batch_size, or "floor" / "ceil"
    for np.array_split of the order into N // batch_size (at least 1) or ceil(N / batch_size)
    pieces. empty_batch: "nan" or "repeat" for a loop over N // batch_size + 1 batches, whose
    last is empty when batch_size divides N: its mean is nan, or w is appended unchanged.
    """
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
            if chunks is not None:
                pieces = max(n // batch_size, 1) if chunks == "floor" else -(-n // batch_size)
                batches = np.array_split(idx, pieces)
            else:
                stop = n - n % batch_size if drop_last else n
                batches = [idx[start : start + batch_size] for start in range(0, stop, batch_size)]
                if empty_batch is not None and n % batch_size == 0:
                    batches.append(idx[:0])
            for batch in batches:
                if batch.size == 0 and empty_batch == "repeat":
                    rows.append(w)
                    continue
                residual = X[batch] @ w - y[batch]
                scale = {"sum": 1.0, "batch_size": 1.0 / batch_size}.get(reduce, 1.0 / max(len(batch), 1))
                if batch.size == 0:
                    scale = np.nan
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


MARGIN = 1e-6  # no gradient norm within this relative distance of tol: float drift cannot move a count


def clear_of(norms: np.ndarray, tol: float) -> bool:
    """Whether every norm is farther than MARGIN (relative) from tol: then any faithful float run,
    the reference's or a correct student's, is on the same side of tol at every step."""
    return bool(np.all(np.abs(norms / tol - 1.0) > MARGIN))


def _mode_states(surface: dict, theta0, lr: float, beta: float, methods):
    """A's eigenvalues and eigenvectors, then the states (e_t, m_t) in A's eigenbasis for t < T, as
    (method, mode, 2, T) with T = 1, 2, 4, …, one doubling per next(): each mode moves on its own,
    (e, m) ← M·(e, m) with a 2×2 matrix M per mode and method, so the states for t in [B, 2B) are
    M^B times those for [0, B), and M^B comes from squaring."""
    lam, vectors = np.linalg.eigh(np.asarray(surface["A"], dtype=float))
    e0 = vectors.T @ (np.asarray(theta0, dtype=float) - np.asarray(surface["c"], dtype=float))
    h = lr * lam
    rows = []
    for key in methods:
        b, look = beta * METHODS[key][0], METHODS[key][1]
        keep = b * (1.0 - h) if look else np.full_like(h, b)  # the share of m_{t−1} in both e_t and m_t
        rows.append(np.stack([np.stack([1.0 - h, keep], -1), np.stack([-h, keep], -1)], -2))
    power = np.array(rows)  # (method, mode, 2, 2): M, then M², M⁴, …
    states = np.zeros((len(methods), len(lam), 2, 1))
    states[:, :, 0, 0] = e0
    yield lam, vectors
    with np.errstate(all="ignore"):
        while True:
            yield states
            states = np.concatenate([states, power @ states], axis=-1)
            power = power @ power


def quadratic_norms(surface: dict, theta0, lr: float, beta: float, steps: int, stop_below: float,
                    methods=tuple(METHODS)) -> dict[str, np.ndarray]:
    """‖∇L(θ_t)‖ of each method on a quadratic ½(θ−c)ᵀA(θ−c) in exact arithmetic, up to a relative
    error near 1e-13, at array speed (`_mode_states`): each ends at its first norm below
    `stop_below`, or at t = steps. About fifteen array operations reach 10 000 steps, where a loop
    takes 30 000."""
    runs = _mode_states(surface, theta0, lr, beta, methods)
    lam, _ = next(runs)
    for states in runs:
        with np.errstate(all="ignore"):
            norms = np.sqrt(np.einsum("i,kit->kt", lam * lam, states[:, :, 0, : steps + 1] ** 2))
        if states.shape[-1] > steps or (norms < stop_below).any(axis=1).all():
            break
    out = {}
    for key, run in zip(methods, norms):
        hit = first_below(run, stop_below)
        out[key] = run if hit is None else run[: hit + 1]
    return out


def quadratic_gradients(surface: dict, theta0, lr: float, beta: float, steps: int,
                        methods=tuple(METHODS)) -> dict[str, np.ndarray]:
    """∇L(θ_t) for t = 0..steps of each method on a quadratic, as (steps+1, n) in exact arithmetic
    (`_mode_states`): what a stopping rule other than ‖∇L‖ < tol looks at."""
    runs = _mode_states(surface, theta0, lr, beta, methods)
    lam, vectors = next(runs)
    states = next(s for s in runs if s.shape[-1] > steps)
    with np.errstate(all="ignore"):
        grads = np.einsum("jm,m,kmt->ktj", vectors, lam, states[:, :, 0, : steps + 1])
    return dict(zip(methods, grads))


def float_noise(surface: dict, theta0, lr: float) -> float:
    """A bound on how far a float run's gradient norms stray from the exact ones: θ_t − c loses
    digits to cancellation as θ_t nears c (an error of about ε·‖θ‖ per step, times ‖A‖), and the
    slowest mode keeps such errors for about 1/(η·λmin) steps. Measured strays stay below a
    twentieth of it (tests/test_momentum_nag.py)."""
    A = np.asarray(surface["A"], dtype=float)
    c = np.asarray(surface["c"], dtype=float)
    lam = np.linalg.eigvalsh(A)
    scale = float(np.linalg.norm(c) + np.linalg.norm(np.asarray(theta0, dtype=float) - c))
    return 64.0 * np.finfo(float).eps * float(np.abs(lam).max()) * scale / max(lr * float(np.abs(lam).min()), 1e-12)


def tolerance_counts(surface: dict, theta0, lr: float, beta: float, tol: float, steps: int, methods=tuple(METHODS),
                     grad=None) -> dict[str, tuple[int | None, bool]]:
    """For each method: the reference's first t ≤ steps with ‖∇L(θ_t)‖ < tol (or None), and whether
    its norms up to there are `clear_of` tol, exactly as its float run gives them.

    From `quadratic_norms` where every norm is farther from tol than the float noise (plus the
    margin, for the second answer); otherwise from the float run itself, of `grad` (the reference's
    gradient: by default the quadratic's own). The answers are the float run's either way.
    """
    fast = quadratic_norms(surface, theta0, lr, beta, steps, tol, methods)
    noise = float_noise(surface, theta0, lr)
    out = {}
    for key in methods:
        norms = fast[key]
        if np.all(np.abs(norms - tol) > MARGIN * tol + noise):
            out[key] = (first_below(norms, tol), True)
            continue
        uses_beta, look = METHODS[key]
        norms = gradient_norms(grad or surfaces.function("quadratic", surface, "grad"), theta0, lr,
                               beta * uses_beta, steps, look=look, stop_below=tol)
        out[key] = (first_below(norms, tol), clear_of(norms, tol))
    return out


def step_counts(surface: dict, theta0, lr: float, beta: float, tol: float, budget: int,
                known: dict | None = None) -> dict:
    """steps_to_tolerance of the reference on a quadratic surface: {"gd", "momentum", "nesterov"} →
    the first t ≤ budget with ‖∇L(θ_t)‖ < tol, or None (`tolerance_counts`). A method whose count
    the caller already knows (`known`) is not run at all."""
    counts = dict(known or {})
    wanted = tuple(key for key in METHODS if key not in counts)
    if wanted:
        counts.update({key: count for key, (count, _) in
                       tolerance_counts(surface, theta0, lr, beta, tol, budget, wanted).items()})
    return {key: counts[key] for key in METHODS}
