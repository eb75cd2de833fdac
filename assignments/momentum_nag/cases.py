"""Surfaces, start points and data sets: the student's own, and the hidden grading cases.

Every case is a plain dict drawn from one random stream, so the grader can send it over
the wire (a `wire.Surface` names the gradient) and evaluate the very same formulas for
the reference. Ranges are chosen so that every case is stable for all three optimisers.
"""

from __future__ import annotations

import numpy as np

from autograder import surfaces

NEAR_STEPS = 10  # the first steps, judged row by row before anything else


def rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def own_surface(params: dict) -> dict:
    """The student's L(θ) = ½θᵀAθ − bᵀθ as a `quadratic` surface, shifted so that its minimum is 0."""
    A = np.asarray(params["A"], dtype=float)
    return {"A": A, "c": np.linalg.solve(A, np.asarray(params["b"], dtype=float)), "d": 0.0}


def random_quadratic(rng: np.random.Generator, n: int, kappa_max: float = 60.0) -> dict:
    """A quadratic in n dimensions with random rotation, centre and eigenvalues in [λmax/κ, λmax]."""
    lam_max = rng.uniform(1.0, 10.0)
    lam = lam_max * np.exp(rng.uniform(np.log(1.0 / kappa_max), 0.0, size=n))
    lam[0] = lam_max
    q = orthogonal(rng, n)
    A = q @ np.diag(lam) @ q.T
    return {"A": (A + A.T) / 2, "c": rng.uniform(-2.0, 2.0, size=n), "d": float(rng.uniform(-1.0, 1.0))}


def quadratic_case(rng: np.random.Generator, n: int) -> dict:
    """A hidden optimiser case: surface, θ0, η with η·λmax ≤ 1, β, and a short run."""
    surface = random_quadratic(rng, n)
    lam_max = float(np.linalg.eigvalsh(surface["A"])[-1])
    return {
        "family": "quadratic",
        "surface": surface,
        "theta0": surface["c"] + rng.uniform(1.0, 3.0, size=n) * rng.choice([-1.0, 1.0], size=n),
        "lr": float(rng.uniform(0.3, 1.0) / lam_max),
        "beta": float(rng.uniform(0.5, 0.95)),
        "steps": int(rng.integers(25, 46)),
        "label": f"a {n}-D quadratic",
    }


def _bounded(case: dict, method_runs) -> bool:
    fn = surfaces.function(case["family"], case["surface"], "f")
    start = fn(case["theta0"])
    for path in method_runs:
        if not np.all(np.isfinite(path)) or np.abs(path).max() > 50 or fn(path[-1]) > start:
            return False
    return True


def valley_case(rng: np.random.Generator, runs) -> dict:
    """A rotated, scaled Rosenbrock-type valley (a − z1)² + k(z2 − z1²)², z = M(θ − c); small steps.

    `runs(case)` returns the reference trajectories of the three optimisers; a case is
    redrawn until all of them stay finite, bounded and downhill.
    """
    for _ in range(100):
        a, k = rng.uniform(0.5, 1.5), rng.uniform(5.0, 20.0)
        M = rng.uniform(0.7, 1.3) * rotation(rng.uniform(0.0, 2 * np.pi))
        c = rng.uniform(-1.0, 1.0, size=2)
        terms = [(a * a, [0, 0]), (-2 * a, [1, 0]), (1.0, [2, 0]), (k, [0, 2]), (-2 * k, [2, 1]), (k, [4, 0])]
        z1 = a - rng.uniform(0.8, 1.5)
        z0 = np.array([z1, z1 * z1 + rng.uniform(-0.3, 0.3)])
        surface = {"terms": terms, "M": M, "c": c, "d": 0.0}
        theta0 = c + np.linalg.solve(M, z0)
        curvature = float(np.abs(np.linalg.eigvalsh(surfaces.build("poly", surface).hess(theta0))).max())
        case = {
            "family": "poly", "surface": surface, "theta0": theta0,
            "lr": float(rng.uniform(0.05, 0.15) / max(curvature, 1.0)),
            "beta": float(rng.uniform(0.5, 0.8)),
            "steps": int(rng.integers(30, 41)),
            "label": "a Rosenbrock-type valley",
        }
        if _bounded(case, runs(case)):
            return case
    raise AssertionError("no bounded valley case in 100 draws; the ranges above are wrong")


def quartic_case(rng: np.random.Generator, runs) -> dict:
    """A 3-D bowl Σ a_i z_i² + q_i z_i⁴ in rotated, scaled coordinates; small steps."""
    for _ in range(100):
        n = 3
        terms = []
        for i in range(n):
            e2, e4 = [0] * n, [0] * n
            e2[i], e4[i] = 2, 4
            terms += [(float(rng.uniform(0.2, 2.0)), e2), (float(rng.uniform(0.1, 1.0)), e4)]
        M = orthogonal(rng, n) * rng.uniform(0.6, 1.4, size=n)
        surface = {"terms": terms, "M": M, "c": rng.uniform(-1.0, 1.0, size=n), "d": 0.0}
        theta0 = surface["c"] + rng.uniform(-1.5, 1.5, size=n)
        curvature = float(np.abs(np.linalg.eigvalsh(surfaces.build("poly", surface).hess(theta0))).max())
        case = {
            "family": "poly", "surface": surface, "theta0": theta0,
            "lr": float(rng.uniform(0.1, 0.3) / max(curvature, 1.0)),
            "beta": float(rng.uniform(0.5, 0.9)),
            "steps": int(rng.integers(30, 41)),
            "label": "a 3-D quartic bowl",
        }
        if _bounded(case, runs(case)):
            return case
    raise AssertionError("no bounded quartic case in 100 draws; the ranges above are wrong")


def regression_data(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """A small least-squares problem y ≈ X·w with noise."""
    X = rng.normal(size=(n, d))
    y = X @ rng.uniform(-2.0, 2.0, size=d) + 0.3 * rng.normal(size=n)
    return X, y


def sgd_case(rng: np.random.Generator, n: int, d: int, batch_size: int, epochs: int) -> dict:
    """A hidden minibatch case whose step size is stable for every batch (curvature ≤ 2·max‖x‖²)."""
    X, y = regression_data(rng, n, d)
    return {
        "X": X, "y": y, "w0": rng.uniform(-1.0, 1.0, size=d),
        "lr": float(rng.uniform(0.05, 0.15) / np.max(np.sum(X * X, axis=1))),
        "batch_size": batch_size, "epochs": epochs, "seed": int(rng.integers(0, 2**31)),
        "label": f"N = {n}, d = {d}, batch_size = {batch_size}, epochs = {epochs}",
    }
