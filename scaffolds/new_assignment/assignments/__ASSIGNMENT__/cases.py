"""The hidden grading cases: drawn from a student's grading stream, never shown in the notebook.

A case is plain data (lists, floats), so that it crosses to the sandbox as a
`wire.Surface` and a report can print it for the student to rerun. Numbers are rounded:
the rounded numbers are the case.
"""

import numpy as np


def quadratic(rng: np.random.Generator, n: int) -> dict:
    """½(θ − c)ᵀA(θ − c) in n dimensions with A symmetric positive definite, a point θ and a step η."""
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = q @ np.diag(rng.uniform(0.5, 5.0, size=n)) @ q.T
    return {
        "label": f"a random {n}-D quadratic",
        "surface": {"A": np.round((A + A.T) / 2, 3).tolist(), "c": np.round(rng.uniform(-2, 2, size=n), 2).tolist(),
                    "d": 0.0},
        "theta": np.round(rng.uniform(-3, 3, size=n), 2),
        "lr": round(float(rng.uniform(0.05, 0.3)), 3),
    }


def own(params: dict) -> dict:
    """The student's own loss ½·CURVATURE·‖θ‖² at a point of the notebook's picture."""
    return {
        "label": "your loss",
        "surface": {"A": (params["CURVATURE"] * np.eye(2)).tolist(), "c": [0.0, 0.0], "d": 0.0},
        "theta": np.array([-1.2, 0.8]),
        "lr": params["LR"],
    }
