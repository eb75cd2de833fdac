"""The pictures a report shows, as plain figure specs that the engine draws (docs/architecture.md, "Figures")."""

import numpy as np


def step(case: dict, expected: np.ndarray, got: np.ndarray) -> dict:
    """The contour lines around a 2-D step, with the right new point and the student's."""
    theta = np.asarray(case["theta"], dtype=float)
    points = np.vstack([theta, expected, got])
    centre, radius = points.mean(axis=0), float(np.abs(points - points.mean(axis=0)).max()) * 1.5 + 0.5
    return {
        "kind": "contour",
        "title": "Your step and the right one",
        "surface": {"family": "quadratic", "params": case["surface"]},
        "xlim": [float(centre[0] - radius), float(centre[0] + radius)],
        "ylim": [float(centre[1] - radius), float(centre[1] + radius)],
        "paths": [{"label": "the right step", "points": [theta.tolist(), expected.tolist()]},
                  {"label": "your step", "points": [theta.tolist(), got.tolist()]}],
        "points": [{"label": "θ", "xy": theta.tolist()}],
    }
