"""The picture of a run on the student's own quadratic: paths on the contour plot, loss on a log scale.

Only plain data (lists of floats): `autograder.render.plots` draws it and clips what blew up.
"""

from __future__ import annotations

import numpy as np

MAX_POINTS = 200


def _finite_rows(value) -> np.ndarray | None:
    """The student's 2-D trajectory up to its first non-finite row, or None when it is no such thing."""
    if not isinstance(value, np.ndarray) or value.ndim != 2 or value.shape[1] != 2 or len(value) == 0:
        return None
    ok = np.isfinite(value).all(axis=1)
    end = len(value) if ok.all() else int(np.argmin(ok))
    return value[: min(end, MAX_POINTS)] if end else None


def _excess_loss(surface: dict, path: np.ndarray) -> list[float]:
    """L(θ_t) − L(θ*) = ½(θ_t − c)ᵀA(θ_t − c): positive, so it fits a log scale."""
    r = path - surface["c"]
    with np.errstate(all="ignore"):
        values = 0.5 * np.einsum("ti,ij,tj->t", r, surface["A"], r)
    return [float(v) for v in values if np.isfinite(v)]


def _limits(points: np.ndarray) -> tuple[list[float], list[float]]:
    low, high = points.min(axis=0), points.max(axis=0)
    centre, half = (low + high) / 2, max(float((high - low).max()) / 2 * 1.15, 0.5)
    return [float(centre[0] - half), float(centre[0] + half)], [float(centre[1] - half), float(centre[1] + half)]


def window(surface: dict, references) -> tuple[list[float], list[float]]:
    """The part of the plane a picture shows: the right paths and the minimum, with a margin. The
    pictures of Gradient descent, Momentum and NAG on a student's quadratic share one, so that their
    paths compare at a glance (and the contours are drawn once for the three)."""
    centre = np.asarray(surface["c"], dtype=float)
    return _limits(np.vstack([np.asarray(r, dtype=float)[:MAX_POINTS] for r in references] + [centre[None, :]]))


def contour(title: str, surface: dict, student, reference: np.ndarray, label: str,
            axes: tuple[str, str] = ("θ₁", "θ₂"), shown: tuple[list[float], list[float]] | None = None) -> dict:
    """The figure spec: `surface` is the student's quadratic {A, c, d} over `axes`; `reference` the right
    path; `shown` the window (by default the reference's own)."""
    reference = np.asarray(reference, dtype=float)[:MAX_POINTS]
    yours = _finite_rows(student)
    centre = np.asarray(surface["c"], dtype=float)
    xlim, ylim = shown or window(surface, [reference])
    paths = [{"label": f"reference {label}", "points": reference.tolist()}]
    curves = [{"label": f"reference {label}", "values": _excess_loss(surface, reference)}]
    if yours is not None:
        paths.insert(0, {"label": f"your {label}", "points": yours.tolist()})
        curves.insert(0, {"label": f"your {label}", "values": _excess_loss(surface, yours)})
    return {
        "kind": "contour",
        "title": title,
        "surface": {"family": "quadratic", "params": {
            "A": np.asarray(surface["A"], dtype=float).tolist(), "c": centre.tolist(), "d": float(surface.get("d", 0.0))}},
        "xlim": xlim,
        "ylim": ylim,
        "axes": list(axes),
        "paths": paths,
        "points": [{"label": "θ0", "xy": reference[0].tolist()}, {"label": "minimum θ*", "xy": centre.tolist()}],
        "loss_curves": curves,
    }
