"""Figure specs (plain dicts written by the judges) drawn as inline SVG.

A figure is data in report.json and a picture only in report.html, so reports can be
redrawn without grading again. Student numbers reach this module (trajectories, losses):
any value may be nan, inf or 1e300. A picture must stay readable then, so a path is cut
at its first non-finite value and clipped to the window, and every such cut is said in
words in `Picture.notes`, which the page prints with the picture.

The picture is drawn straight from the data: contour bands from contourpy, paths as
polylines, axes, ticks and the legend laid out here. No raster, no font metrics, no
clock: the same spec gives the same bytes, and the figure stays sharp at any zoom and
in print.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache

import contourpy
import numpy as np
from markupsafe import Markup

from .. import surfaces
from . import svg

GRID = 64  # points per axis
MAX_MARKERS = 120  # per path: beyond this, markers merge into a thick line
# Okabe–Ito: told apart by people with any common colour-vision deficiency.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
MARKERS = ("o", "s", "^", "D", "v", "P")
DASHES = ("-", "--", "-.", ":")
POINT_MARKERS = ("*", "X", "P", "h", "d")
# ColorBrewer's Blues; the bands use its pale end, darker towards the minimum, so that the
# paths stand out against them, in print too.
BLUES = ((247, 251, 255), (222, 235, 247), (198, 219, 239), (158, 202, 225), (107, 174, 214),
         (66, 146, 198), (33, 113, 181), (8, 81, 156), (8, 48, 107))
CONTOUR_LINE = "#6b7b8c"
MUTED = "#57606a"
DEFAULT_AXES = ("x₁", "x₂")

# Layout in the picture's own pixels (1 px = 1/100 inch at 100% zoom).
TICK_SIZE, TITLE_SIZE, LEGEND_SIZE = 13.0, 15.0, 11.5
LEGEND_ROW = 19.0
MARGIN_TOP, MARGIN_BOTTOM = 38.0, 52.0


@dataclass(frozen=True)
class Picture:
    svg: Markup  # an <svg> element, self-contained
    alt: str  # what the picture shows, for screen readers
    notes: tuple[str, ...] = ()  # what was clipped or left out, in words


def draw(spec: dict) -> Picture:
    """The picture of a figure spec; a malformed spec raises ValueError saying what is wrong."""
    kind = spec.get("kind") if isinstance(spec, dict) else None
    if kind != "contour":
        raise ValueError(f"unknown figure kind {kind!r} (known: 'contour')")
    return _contour(spec)


# --- axes -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Axes:
    """A panel: data limits mapped onto a box of the picture; y grows upwards (log10 of it when log)."""

    left: float
    top: float
    right: float
    bottom: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    log: bool = False

    def x(self, values) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        return self.left + (values - self.xlim[0]) / (self.xlim[1] - self.xlim[0]) * (self.right - self.left)

    def y(self, values) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.log10(values)
        return self.bottom - (values - self.ylim[0]) / (self.ylim[1] - self.ylim[0]) * (self.bottom - self.top)

    def xy(self, points: np.ndarray) -> np.ndarray:
        return np.column_stack([self.x(points[:, 0]), self.y(points[:, 1])]) if len(points) else np.empty((0, 2))


def _nice_ticks(low: float, high: float, most: int = 7, integer: bool = False) -> list[float]:
    """At most `most` round values (1, 2, 2.5 or 5 times a power of ten) in [low, high]."""
    span = high - low
    if not span > 0:
        return [low]
    step = 10.0 ** math.floor(math.log10(span / most))
    for factor in (1, 2, 2.5, 5, 10):
        if span / (factor * step) <= most and not (integer and factor * step < 1) \
                and not (integer and factor == 2.5 and step < 10):
            step *= factor
            break
    first = math.ceil(low / step - 1e-9)
    ticks = [k * step for k in range(first, int(math.floor(high / step + 1e-9)) + 1)]
    return [0.0 if abs(t) < 1e-12 * span else t for t in ticks]


def _tick_label(value: float, ticks: list[float]) -> str:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if abs(round(step * 10**decimals) - step * 10**decimals) > 1e-6:
        decimals += 1  # a step of 0.25 needs one more than 0.2
    text = f"{value:.{min(decimals, 10)}f}"
    return "0" if float(text) == 0 else text.replace("-", "−")


def _frame(canvas: svg.Canvas, ax: Axes, *, full: bool) -> None:
    if full:
        canvas.rect(ax.left, ax.top, ax.right - ax.left, ax.bottom - ax.top, stroke=svg.INK, width=0.8)
    else:
        canvas.path(svg.polyline([(ax.left, ax.top), (ax.left, ax.bottom), (ax.right, ax.bottom)]),
                    stroke=svg.INK, width=0.8)


def _x_ticks(canvas: svg.Canvas, ax: Axes, ticks: list[float], labels: list[str]) -> None:
    xs = ax.x(ticks)
    canvas.path(svg.segments([(x, ax.bottom) for x in xs], [(x, ax.bottom + 4.5) for x in xs]), stroke=svg.INK,
                width=0.8)
    for x, label in zip(ax.x(ticks), labels):
        canvas.text(x, ax.bottom + 19, label, size=TICK_SIZE, anchor="middle")


def _y_ticks(canvas: svg.Canvas, ax: Axes, positions: np.ndarray, labels: list[str]) -> None:
    canvas.path(svg.segments([(ax.left, y) for y in positions], [(ax.left - 4.5, y) for y in positions]),
                stroke=svg.INK, width=0.8)
    for y, label in zip(positions, labels):
        canvas.text(ax.left - 7, y + 4.5, label, size=TICK_SIZE, anchor="end")


def _linear_axes(canvas: svg.Canvas, ax: Axes, xlabel: str, ylabel: str, *, integer_x: bool = False,
                 integer_y: bool = False) -> None:
    xt = _nice_ticks(*ax.xlim, integer=integer_x)
    yt = _nice_ticks(*ax.ylim, most=6, integer=integer_y)
    _x_ticks(canvas, ax, xt, [_tick_label(t, xt) for t in xt])
    _y_ticks(canvas, ax, ax.y(yt), [_tick_label(t, yt) for t in yt])
    _axis_names(canvas, ax, xlabel, ylabel, max(len(_tick_label(t, yt)) for t in yt))


def _axis_names(canvas: svg.Canvas, ax: Axes, xlabel: str, ylabel: str, label_chars: int) -> None:
    canvas.text((ax.left + ax.right) / 2, ax.bottom + 40, xlabel, size=TICK_SIZE, anchor="middle")
    x = ax.left - 16 - svg.text_width("0" * label_chars, TICK_SIZE)
    canvas.text(x, (ax.top + ax.bottom) / 2, ylabel, size=TICK_SIZE, anchor="middle", rotate=True)


def _title(canvas: svg.Canvas, ax: Axes, title: str) -> None:
    if title:
        canvas.text((ax.left + ax.right) / 2, ax.top - 12, title, size=TITLE_SIZE, anchor="middle")


# --- the contour figure -------------------------------------------------------------

@dataclass
class Legend:
    """Entries (label, colour, dash, marker, is_point) laid out in rows under the panels."""

    entries: list

    def rows(self, width: float) -> list[list]:
        rows, row, used = [], [], 0.0
        for entry in self.entries:
            size = 44 + svg.text_width(entry[0], LEGEND_SIZE) + 22
            if row and used + size > width:
                rows.append(row)
                row, used = [], 0.0
            row.append((used, entry))
            used += size
        return rows + ([row] if row else [])

    def draw(self, canvas: svg.Canvas, left: float, top: float, width: float) -> None:
        for r, row in enumerate(self.rows(width)):
            y = top + r * LEGEND_ROW
            for offset, (label, colour, dash, marker, point) in row:
                x = left + offset
                if not point:
                    canvas.path(svg.segments([(x, y)], [(x + 34, y)]), stroke=colour, width=2.2,
                                dash=svg.dashes(dash, 2.2))
                    canvas.path(svg.markers(marker, [(x + 17, y)], 7), fill=colour)
                else:
                    canvas.path(svg.markers(marker, [(x + 17, y)], 14), fill=svg.INK, stroke="white", width=1.2)
                canvas.text(x + 42, y + 4, label, size=LEGEND_SIZE)


def _contour(spec: dict) -> Picture:
    xlim, ylim = _window(spec, "xlim"), _window(spec, "ylim")
    surface = spec.get("surface")
    if not isinstance(surface, dict) or "family" not in surface:
        raise ValueError("a contour figure needs a surface: {'family': ..., 'params': ...}")
    surface_json = json.dumps(surface, sort_keys=True)
    curves = spec.get("loss_curves") or []
    title = _label(spec.get("title"), "")
    xname, yname = _axis_names_of(spec)

    width = 1000.0 if curves else 600.0
    panel_bottom = MARGIN_TOP + (346.0 if curves else 366.0)
    ax = Axes(78.0, MARGIN_TOP, 480.0 if curves else 584.0, panel_bottom, xlim, ylim)
    canvas = svg.Canvas(width, 0.0)
    for band, colour in _bands(surface_json, ax):
        canvas.path(band, fill=colour, fill_rule="evenodd", stroke=CONTOUR_LINE, width=0.6)
    _frame(canvas, ax, full=True)
    _linear_axes(canvas, ax, xname, yname)
    _title(canvas, ax, title)

    paths = spec.get("paths") or []
    # A loss curve with a path's label is drawn in that path's style.
    styles = {_label(path.get("label"), f"path {i + 1}"): i for i, path in enumerate(paths)}
    notes, entries, layers = [], [], []
    for i, path in enumerate(paths):
        notes += _path(ax, path, i, entries, layers)
    for i, point in enumerate(spec.get("points") or []):
        notes += _point(ax, point, i, entries, layers)
    for _, draw_layer in sorted(layers, key=lambda item: item[0]):
        draw_layer(canvas)
    if curves:
        notes += _losses(canvas, curves, styles, entries, ax)

    legend = Legend(entries)
    legend_top = panel_bottom + MARGIN_BOTTOM + 14
    legend.draw(canvas, 24.0, legend_top, width - 48)
    canvas.height = legend_top + len(legend.rows(width - 48)) * LEGEND_ROW + (6 if entries else -10)

    labels = list(dict.fromkeys(entry[0] for entry in entries))
    alt = f"Contour plot of the loss{': ' + title if title else ''} over {xname} and {yname}"
    alt += f", showing {', '.join(labels)}" if labels else ""
    alt += "; with the loss per step on a log scale" if curves else ""
    return Picture(canvas.markup(alt + "."), alt + ".", tuple(notes))


def _axis_names_of(spec: dict) -> tuple[str, str]:
    names = spec.get("axes")
    if names is None:
        return DEFAULT_AXES
    if not (isinstance(names, (list, tuple)) and len(names) == 2):
        raise ValueError(f"axes should be two names [x, y], got {names!r}")
    return _label(names[0], DEFAULT_AXES[0]), _label(names[1], DEFAULT_AXES[1])


def _window(spec: dict, key: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in spec[key])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{key} should be two numbers [low, high], got {spec.get(key)!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{key} should be finite with low < high, got [{lo}, {hi}]")
    return lo, hi


@lru_cache(maxsize=32)
def _surface_grid(surface_json: str, xlim: tuple, ylim: tuple) -> np.ndarray:
    # Cached: one report draws the same surface for several checks.
    surface = json.loads(surface_json)
    try:
        built = surfaces.build(surface["family"], surface.get("params") or {})
        if built.n != 2:
            raise ValueError(f"a contour plot needs a surface of 2 variables, this one has {built.n}")
        xs, ys = np.meshgrid(np.linspace(*xlim, GRID), np.linspace(*ylim, GRID))
        with np.errstate(all="ignore"):
            z = built.values(np.column_stack([xs.ravel(), ys.ravel()])).reshape(GRID, GRID)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"cannot draw the surface {surface['family']!r}: {exc}") from None
    z.flags.writeable = False
    return z


def _levels(z: np.ndarray) -> np.ndarray | None:
    """Contour levels: evenly spaced, or log-spaced above the minimum when a few steep
    walls would otherwise take every level and leave the basin blank."""
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    if high - low <= 1e-12 * max(1.0, abs(high)):
        return None
    rise = finite - low
    typical = float(np.median(rise))
    if high - low > 30 * typical:
        start = float(np.quantile(rise[rise > 0], 0.01))
        return np.unique(np.concatenate([[low], low + np.geomspace(start, high - low, 15)]))
    return np.linspace(low, high, 16)


def _blue(position: float) -> str:
    """ColorBrewer Blues at a position in [0, 1], as #rrggbb."""
    scaled = min(max(position, 0.0), 1.0) * (len(BLUES) - 1)
    k = min(int(scaled), len(BLUES) - 2)
    t = scaled - k
    rgb = (round(a + (b - a) * t) for a, b in zip(BLUES[k], BLUES[k + 1]))
    return "#" + "".join(f"{c:02x}" for c in rgb)


@lru_cache(maxsize=8)
def _bands(surface_json: str, ax: Axes) -> tuple[tuple[str, str], ...]:
    """The filled bands between the contour levels, as (path data, colour); each is outlined when
    drawn, and the outlines are the contour lines. Cached: the pictures of one report that share a
    surface and a window (the three methods on a student's quadratic) share their bands."""
    z = _surface_grid(surface_json, ax.xlim, ax.ylim)
    levels = _levels(z)
    if levels is None:
        return ()
    xs, ys = np.linspace(*ax.xlim, GRID), np.linspace(*ax.ylim, GRID)
    grid = np.ma.masked_invalid(z) if not np.isfinite(z).all() else z
    generator = contourpy.contour_generator(xs, ys, grid, name="serial", fill_type=contourpy.FillType.OuterOffset)
    count = len(levels) - 1
    bands = []
    for i in range(count):
        rings = []
        for points, offsets in zip(*generator.filled(levels[i], levels[i + 1])):
            pixels = ax.xy(points)
            rings += [pixels[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
        bands.append((svg.polygons(rings), _blue(0.38 - 0.36 * i / max(1, count - 1))))
    return tuple(bands)


def _path(ax: Axes, path: dict, i: int, entries: list, layers: list) -> list[str]:
    label = _label(path.get("label"), f"path {i + 1}")
    points = _xy_rows(path.get("points"), f"path {label!r}")
    colour, marker, dash = _style(i)
    if not len(points):
        return [f"{label}: the trajectory has no points, not drawn"]

    finite_rows = np.isfinite(points).all(axis=1)
    cut = len(points) if finite_rows.all() else int(np.argmin(finite_rows))
    kept = points[:cut]
    inside = _inside(kept, ax.xlim, ax.ylim)
    left = None if inside.all() else int(np.argmin(inside))

    if len(kept):
        width, size, z = _layer(i)
        line = kept if left is None else _clip_polyline(kept, ax.xlim, ax.ylim)
        shown = kept[inside][:: max(1, math.ceil(inside.sum() / MAX_MARKERS))]
        start = ax.xy(kept[:1]) if inside[0] else None

        def draw_path(canvas, line=ax.xy(line), shown=ax.xy(shown)):
            canvas.path(svg.polyline(line), stroke=colour, width=width, dash=svg.dashes(dash, width))
            canvas.path(svg.markers(marker, shown, size), fill=colour)
            if start is not None:
                canvas.path(svg.markers(marker, start, 13.0), fill="white", stroke=colour, width=2.6)
                canvas.text(start[0, 0] + 9, start[0, 1] - 9, "start", size=11, colour=colour)

        layers.append((z, draw_path))
        entries.append((label, colour, dash, marker, False))

    problems = []
    if left is not None:
        problems.append(f"left the window at step {left} (values up to {_number(np.abs(kept).max())})")
    if cut < len(points):
        problems.append(f"is not finite (nan or inf) from step {cut} on")
    outcome = "clipped" if len(kept) else "not drawn"
    return [f"{label}: trajectory {' and '.join(problems)}, {outcome}"] if problems else []


def _point(ax: Axes, point: dict, i: int, entries: list, layers: list) -> list[str]:
    label = _label(point.get("label"), f"point {i + 1}")
    xy = _xy_rows([point.get("xy")], f"point {label!r}")
    if not np.isfinite(xy).all():
        return [f"{label}: the point is not finite (nan or inf), not drawn"]
    if not _inside(xy, ax.xlim, ax.ylim)[0]:
        return [f"{label}: the point ({_number(xy[0, 0])}, {_number(xy[0, 1])}) lies outside the window, not drawn"]
    marker = POINT_MARKERS[i % len(POINT_MARKERS)]
    layers.append((6.0, lambda canvas, at=ax.xy(xy): canvas.path(svg.markers(marker, at, 17.0), fill=svg.INK,
                                                                  stroke="white", width=1.6)))
    entries.append((label, svg.INK, "-", marker, True))
    return []


def _losses(canvas: svg.Canvas, curves: list, styles: dict, entries: list, contour_ax: Axes) -> list[str]:
    notes, series = [], []
    for i, curve in enumerate(curves):
        label = _label(curve.get("label"), f"loss {i + 1}")
        try:
            values = np.asarray(curve.get("values"), dtype=float).ravel()
        except (TypeError, ValueError):
            raise ValueError(f"loss curve {label!r} should be a list of numbers") from None
        finite = np.isfinite(values)
        cut = len(values) if finite.all() else int(np.argmin(finite))
        if cut < len(values):
            notes.append(f"{label}: loss is not finite (nan or inf) from step {cut} on, cut there")
        series.append((label, values[:cut], styles.get(label, len(styles) + i)))

    kept = [v for _, v, _ in series if v.size]
    low = min((float(v.min()) for v in kept), default=1.0)
    shift, ylabel = 0.0, "loss"
    if low <= 0:
        # A log axis cannot show zero or negative losses: shift every curve alike so
        # they stay comparable, and say so on the axis and in the notes. ε sits three
        # decades below the smallest real gap, so the minimum shows as a dip, not a cliff.
        gaps = np.concatenate(kept) - low
        eps = 1e-3 * float(gaps[gaps > 0].min()) if (gaps > 0).any() else 1.0
        shift, ylabel = low - eps, "loss − min + ε"
        notes.append(f"some loss values are ≤ 0: the loss panel shows loss − min + ε "
                     f"(min = {_number(low)}, ε = {_number(eps)})")

    shifted = [(label, values - shift, style) for label, values, style in series]
    positive = np.concatenate([v[v > 0] for _, v, _ in shifted] + [np.empty(0)])
    top, bottom = (float(np.log10(positive.max())), float(np.log10(positive.min()))) if positive.size else (1.0, 0.0)
    pad = max(0.05 * (top - bottom), 0.15)
    steps = max([v.size for _, v, _ in shifted] + [2]) - 1
    ax = Axes(600.0, contour_ax.top, 984.0, contour_ax.bottom, (-0.04 * steps, 1.04 * steps),
              (bottom - pad, top + pad), log=True)
    _frame(canvas, ax, full=False)
    xt = _nice_ticks(0.0, float(steps), integer=True)
    _x_ticks(canvas, ax, xt, [_tick_label(t, xt) for t in xt])
    decades = _log_ticks(*ax.ylim)
    _y_ticks(canvas, ax, ax.y([10.0 ** k for k in decades]), [_number(10.0 ** k) for k in decades])
    _axis_names(canvas, ax, "step", ylabel, max([len(_number(10.0 ** k)) for k in decades] + [1]))
    _title(canvas, ax, "loss per step")

    for label, values, style in sorted(shifted, key=lambda s: _layer(s[2])[2]):
        colour, marker, dash = _style(style)
        width, _, _ = _layer(style)
        points = np.column_stack([np.arange(values.size), values])
        pixels = np.column_stack([ax.x(points[:, 0]), ax.y(points[:, 1])])
        pixels[~(values > 0)] = np.nan  # a zero after the shift has no place on a log axis
        canvas.path(svg.polyline(pixels), stroke=colour, width=width, dash=svg.dashes(dash, width))
        if label not in styles:
            entries.append((label, colour, dash, marker, False))
    return notes


def _log_ticks(low: float, high: float) -> list[float]:
    """Exponents of the powers of ten to label on a log axis spanning [low, high] decades."""
    decades = list(range(math.ceil(low), math.floor(high) + 1))
    every = max(1, math.ceil(len(decades) / 8))
    return decades[::every] or [round((low + high) / 2)]


# --- the score histogram ------------------------------------------------------------

def histogram(scores, max_score: float) -> Picture:
    """A histogram of scores on [0, max_score] with mean and median marked."""
    values = np.array([float(s) for s in scores if s is not None], dtype=float)
    values = values[np.isfinite(values)]
    top = float(max_score) if max_score and math.isfinite(float(max_score)) and max_score > 0 else 1.0
    # One bar per point up to 20 points, then 20 bars: whole points are what people count.
    bins = int(min(20, max(1, math.ceil(top))))
    counts, edges = np.histogram(np.clip(values, 0, top), bins=np.linspace(0, top, bins + 1))
    peak = max(1, int(counts.max()) if counts.size else 1)
    canvas = svg.Canvas(720.0, 300.0)
    ax = Axes(62.0, 22.0, 704.0, 238.0, (0.0, top), (0.0, peak * 1.08))
    bars = svg.polygons([[(ax.x(a), ax.y(0)), (ax.x(a), ax.y(n)), (ax.x(b), ax.y(n)), (ax.x(b), ax.y(0))]
                         for a, b, n in zip(edges[:-1], edges[1:], counts) if n])
    canvas.path(bars, fill=COLOURS[0], stroke="white", width=1.0)
    _frame(canvas, ax, full=False)
    _linear_axes(canvas, ax, f"score (out of {_score(top)})", "students", integer_x=True, integer_y=True)
    alt = f"Histogram of the scores of {values.size} submitted notebooks, out of {_score(top)} points"
    if values.size:
        mean, median = float(np.mean(values)), float(np.median(values))
        legend = [(f"mean {_score(mean)}", "#222222", "--", mean, 1.6), (f"median {_score(median)}", COLOURS[1], ":", median, 2.4)]
        for k, (label, colour, dash, where, width) in enumerate(legend):
            x = float(ax.x(min(max(where, 0.0), top)))
            canvas.path(svg.segments([(x, ax.top)], [(x, ax.bottom)]), stroke=colour, width=width,
                        dash=svg.dashes(dash, width))
            y = ax.top + 12 + k * LEGEND_ROW
            canvas.path(svg.segments([(ax.left + 12, y)], [(ax.left + 42, y)]), stroke=colour, width=width,
                        dash=svg.dashes(dash, width))
            canvas.text(ax.left + 48, y + 4, label, size=LEGEND_SIZE + 1)
        alt += f"; mean {_score(mean)}, median {_score(median)}"
    else:
        canvas.text((ax.left + ax.right) / 2, (ax.top + ax.bottom) / 2, "no scores yet", anchor="middle",
                    colour=MUTED)
    return Picture(canvas.markup(alt + "."), alt + ".")


# --- geometry -----------------------------------------------------------------------

def _xy_rows(value, what: str) -> np.ndarray:
    try:
        rows = np.asarray(value, dtype=float)  # also reads "nan" and "inf" strings from JSON
    except (TypeError, ValueError):
        raise ValueError(f"{what} should hold [x, y] pairs of numbers") from None
    if rows.size == 0:
        return np.empty((0, 2))
    if rows.ndim != 2 or rows.shape[1] != 2:
        raise ValueError(f"{what} should hold [x, y] pairs, got shape {rows.shape}")
    return rows


def _inside(points: np.ndarray, xlim, ylim) -> np.ndarray:
    slack = 1e-9 * max(xlim[1] - xlim[0], ylim[1] - ylim[0])  # a point on the edge is inside
    x, y = points[:, 0], points[:, 1]
    return (x >= xlim[0] - slack) & (x <= xlim[1] + slack) & (y >= ylim[0] - slack) & (y <= ylim[1] + slack)


def _clip_polyline(points: np.ndarray, xlim, ylim) -> np.ndarray:
    """The parts of a polyline inside the window (Liang–Barsky per segment), pieces
    separated by nan rows; a segment heading for 1e30 ends at the window's edge."""
    # Far enough out to be off the picture, near enough that differences cannot overflow.
    p = np.clip(points[:-1], -1e150, 1e150)
    d = np.clip(points[1:], -1e150, 1e150) - p
    low, high = np.array([xlim[0], ylim[0]]), np.array([xlim[1], ylim[1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        ta, tb = (low - p) / d, (high - p) / d
    within = (p >= low) & (p <= high)
    enter = np.where(d == 0, np.where(within, -np.inf, np.inf), np.minimum(ta, tb))
    leave = np.where(d == 0, np.where(within, np.inf, -np.inf), np.maximum(ta, tb))
    t0 = np.maximum(0.0, enter.max(axis=1))
    t1 = np.minimum(1.0, leave.min(axis=1))
    keep = t0 <= t1
    starts, ends = p + t0[:, None] * d, p + t1[:, None] * d
    pieces = np.stack([starts, ends, np.full_like(starts, np.nan)], axis=1)[keep]
    return pieces.reshape(-1, 2) if pieces.size else np.empty((0, 2))


# --- small things -------------------------------------------------------------------

def _style(i: int) -> tuple[str, str, str]:
    """Colour, marker and dash of the i-th series: told apart by shape too, not colour only."""
    return COLOURS[i % len(COLOURS)], MARKERS[i % len(MARKERS)], DASHES[i % len(DASHES)]


def _layer(i: int) -> tuple[float, float, float]:
    """Line width, marker size and drawing order of the i-th series. The first (by
    convention the student's) is thin and on top, the others wider beneath it: paths that
    agree show as one line with a halo instead of one hiding the other."""
    return (2.2, 5.0, 4.0) if i == 0 else (3.9, 7.0, 3.0 - 0.01 * i)


def _label(value, default: str) -> str:
    text = str(value) if value not in (None, "") else default
    return text if len(text) <= 60 else text[:59] + "…"


def _number(value) -> str:
    """1e+30 written as 1e30, 0.5 as 0.5: short and exact enough to read."""
    return f"{float(value):.3g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def _score(value) -> str:
    """Points as the pages write them: 14.25, 20, 3.33."""
    return f"{float(value):.2f}".rstrip("0").rstrip(".")
