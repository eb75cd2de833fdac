"""The pictures a report shows, as plain figure specs that the engine draws: contour lines
of a test surface around a point, with the student's step or direction and the expected one."""

from __future__ import annotations

import numpy as np

from . import cases
from .cases import Surf


def contour(surf: Surf, center, radius: float, title: str, paths=(), points=()) -> dict:
    """A contour figure around a 2-D point, in the plain form `plots.py` draws."""
    cx, cy = (float(v) for v in center)
    return {
        "kind": "contour",
        "title": title,
        "surface": surf.spec(),
        "xlim": [cx - radius, cx + radius],
        "ylim": [cy - radius, cy + radius],
        "axes": list(surf.axes),
        "paths": [{"label": label, "points": [[float(a), float(b)] for a, b in pts]} for label, pts in paths],
        "points": [{"label": label, "xy": [float(xy[0]), float(xy[1])]} for label, xy in points],
    }


def direction_figure(H: np.ndarray, value, title: str) -> dict | None:
    H = np.asarray(H, dtype=float)
    lam, V = np.linalg.eigh((H + H.T) / 2)
    if lam.size != 2 or not (isinstance(value, np.ndarray) and value.shape == (2,) and np.all(np.isfinite(value))):
        return None
    surf = cases.quadratic(H, [0.0, 0.0], "½θᵀHθ")
    u = value / max(1.0, float(np.linalg.norm(value)) / 1.4)  # keep a long vector inside the window
    return contour(surf, (0.0, 0.0), 1.5, title,
                   paths=[("your direction", [(0, 0), u]), ("expected direction (either sign)", [(0, 0), V[:, 0]])])


def saddle_figure(surf: Surf, theta, value, expected, step: float, title: str) -> dict | None:
    if theta.size != 2:
        return None
    points = [("start θ", theta), ("expected (one right answer)", expected)]
    paths = [("expected step", [theta, expected])]
    radius = max(2.5 * step, 0.3)
    if isinstance(value, np.ndarray) and value.shape == (2,) and np.all(np.isfinite(value)):
        points.append(("your point", value))
        paths.append(("your step", [theta, value]))
        radius = max(radius, min(1.3 * float(np.linalg.norm(value - theta)), 4.0))
    return contour(surf, theta, radius, title, paths=paths, points=points)
