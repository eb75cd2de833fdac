"""A small writer of inline SVG for the report pages: shapes, text and markers, nothing more.

Every attribute value and every text is escaped here, once, so the figure modules cannot
forget to: a label may quote anything. Callers speak in the picture's pixels; the SVG is
written in whole tenths of a pixel (its viewBox is ten times the size), so coordinates are
integers: the same drawing gives the same bytes on every machine, and a path of a thousand
points is written by one join. Nothing carries an id, so any number of figures can share
one page.
"""

from __future__ import annotations

import math

import numpy as np
from markupsafe import Markup, escape

SCALE = 10  # SVG units per pixel
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK = "#1f2328"

# Markers as polygons of unit size around their centre (x right, y down).
_STAR = [(0.5 * math.cos(math.pi / 2 + k * math.pi / 5) * (1.0 if k % 2 == 0 else 0.4),
          -0.5 * math.sin(math.pi / 2 + k * math.pi / 5) * (1.0 if k % 2 == 0 else 0.4)) for k in range(10)]
_HEXAGON = [(0.5 * math.cos(math.pi / 2 + k * math.pi / 3), -0.5 * math.sin(math.pi / 2 + k * math.pi / 3))
            for k in range(6)]
_ARM = 0.17  # half the width of the bars of the plus and the cross
_PLUS = [(-_ARM, -0.5), (_ARM, -0.5), (_ARM, -_ARM), (0.5, -_ARM), (0.5, _ARM), (_ARM, _ARM), (_ARM, 0.5),
         (-_ARM, 0.5), (-_ARM, _ARM), (-0.5, _ARM), (-0.5, -_ARM), (-_ARM, -_ARM)]
_TURN = math.sqrt(0.5)
SHAPES = {
    "s": [(-0.4, -0.4), (0.4, -0.4), (0.4, 0.4), (-0.4, 0.4)],
    "^": [(0.0, -0.5), (0.5, 0.4), (-0.5, 0.4)],
    "v": [(0.0, 0.5), (0.5, -0.4), (-0.5, -0.4)],
    "D": [(0.0, -0.5), (0.5, 0.0), (0.0, 0.5), (-0.5, 0.0)],
    "d": [(0.0, -0.5), (0.32, 0.0), (0.0, 0.5), (-0.32, 0.0)],
    "P": _PLUS,
    "X": [(1.15 * _TURN * (x - y), 1.15 * _TURN * (x + y)) for x, y in _PLUS],
    "*": [(1.3 * x, 1.3 * y) for x, y in _STAR],
    "h": _HEXAGON,
}


def units(value: float) -> int:
    """Pixels as whole SVG units."""
    return int(round(value * SCALE))


def _numbers(values) -> str:
    """Integers as SVG path data: separated by spaces, a minus sign separating by itself."""
    return " ".join(map(str, values)).replace(" -", "-")


def polyline(points) -> str:
    """Path data through (k, 2) pixel points; a row with nan starts a new piece."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    gaps = ~np.isfinite(points).all(axis=1)
    if gaps.any():
        pieces = np.split(points, np.flatnonzero(gaps))
        return "".join(polyline(piece[1:] if i else piece) for i, piece in enumerate(pieces))
    if not len(points):
        return ""
    at = np.rint(points * SCALE).astype(np.int64)
    head = f"M{at[0, 0]} {at[0, 1]}"
    return head + ("l" + _numbers(np.diff(at, axis=0).ravel().tolist()) if len(at) > 1 else "")


def segments(starts, ends) -> str:
    """Path data of separate straight segments, from each (x, y) pixel start to its end."""
    a = np.rint(np.asarray(starts, dtype=float).reshape(-1, 2) * SCALE).astype(np.int64)
    b = np.rint(np.asarray(ends, dtype=float).reshape(-1, 2) * SCALE).astype(np.int64)
    return "".join(f"M{x} {y}l{u - x} {v - y}" for (x, y), (u, v) in zip(a.tolist(), b.tolist())).replace(" -", "-")


def polygons(rings) -> str:
    """Closed path data, one ring per (k, 2) array (holes included: fill with even-odd)."""
    return "".join(polyline(ring) + "z" for ring in rings if len(ring) > 2)


def _shape(shape: str, size: float) -> tuple[tuple[int, int], str]:
    """Where a marker's outline starts (from its centre) and the rest of it, in relative units."""
    if shape == "o":
        r = units(size / 2)
        return (-r, 0), f"a{r} {r} 0 1 0 {2 * r} 0a{r} {r} 0 1 0 {-2 * r} 0z"
    corners = np.rint(np.asarray(SHAPES[shape]) * size * SCALE).astype(np.int64)
    return (int(corners[0, 0]), int(corners[0, 1])), "l" + _numbers(np.diff(corners, axis=0).ravel().tolist()) + "z"


def markers(shape: str, points, size: float) -> str:
    """Path data of one marker of `shape` ("o" or a key of SHAPES), `size` pixels across, at each point."""
    (dx, dy), rest = _shape(shape, size)
    at = np.rint(np.asarray(points, dtype=float).reshape(-1, 2) * SCALE).astype(np.int64)
    return "".join(f"M{x + dx} {y + dy}{rest}" for x, y in at.tolist())


def dashes(style: str, width: float) -> str | None:
    """The dash pattern of a line style ("-", "--", "-.", ":"), scaled by the line width."""
    pattern = {"-": None, "--": (3.7, 1.6), "-.": (6.4, 1.6, 1.0, 1.6), ":": (1.0, 1.65)}[style]
    return None if pattern is None else " ".join(str(units(v * width)) for v in pattern)


def text_width(text: str, size: float) -> float:
    """About how wide a text is in a proportional sans-serif font (no font metrics at hand)."""
    return 0.56 * size * len(text)


class Canvas:
    """The elements of one picture, in drawing order."""

    def __init__(self, width: float, height: float):
        self.width, self.height = width, height
        self._parts: list[str] = []

    def _element(self, tag: str, attributes: dict, text: str | None = None) -> None:
        # Whole units are ints, which need no escaping; everything else is escaped.
        attrs = "".join(f' {name.replace("_", "-")}="{value if type(value) is int else escape(value)}"'
                        for name, value in attributes.items() if value is not None)
        self._parts.append(f"<{tag}{attrs}/>" if text is None else f"<{tag}{attrs}>{escape(text)}</{tag}>")

    def path(self, d: str, *, stroke: str | None = None, width: float | None = None, fill: str = "none",
             dash: str | None = None, fill_rule: str | None = None) -> None:
        """A path from `polyline`, `polygons` or `markers` data (or written in whole units)."""
        if not d:
            return
        self._element("path", {"d": d, "fill": fill, "fill_rule": fill_rule, "stroke": stroke,
                               "stroke_width": None if width is None else units(width), "stroke_dasharray": dash,
                               "stroke_linejoin": "round" if stroke else None})

    def rect(self, x: float, y: float, w: float, h: float, *, fill: str = "none", stroke: str | None = None,
             width: float | None = None) -> None:
        self._element("rect", {"x": units(x), "y": units(y), "width": units(w), "height": units(h), "fill": fill,
                               "stroke": stroke, "stroke_width": None if width is None else units(width)})

    def text(self, x: float, y: float, text: str, *, size: float = 13, anchor: str = "start", colour: str = INK,
             rotate: bool = False) -> None:
        """Text whose baseline starts (or centres, or ends: `anchor`) at (x, y); rotate turns it upright."""
        self._element("text", {"x": units(x), "y": units(y), "font_size": units(size), "text_anchor": anchor,
                               "fill": colour,
                               "transform": f"rotate(-90 {units(x)} {units(y)})" if rotate else None}, text)

    def markup(self, alt: str) -> Markup:
        """The picture as an <svg> element that scales with the page; `alt` says what it shows, in words."""
        head = (f'<svg viewBox="0 0 {units(self.width)} {units(self.height)}" width="{round(self.width)}" '
                f'height="{round(self.height)}" role="img" aria-label="{escape(alt)}" font-family="{escape(FONT)}">')
        return Markup(head + f"<title>{escape(alt)}</title>" + "".join(self._parts) + "</svg>")
