"""Figure specs (plain dicts written by the judges) drawn as inline PNG images.

A figure is data in report.json and a picture only in report.html, so reports can be
redrawn without grading again. Student numbers reach this module (trajectories, losses):
any value may be nan, inf or 1e300. A picture must stay readable then, so a path is cut
at its first non-finite value and clipped to the window, and every such cut is said in
words, on the picture and in `Picture.notes` for the page around it.

Same spec, same bytes: the Agg canvas, a fixed size and DPI and a PNG without time or
"Software" metadata make the image a function of the spec (reports are compared byte
for byte). Figures are built with `matplotlib.figure.Figure` on an Agg canvas, not with
pyplot, so no backend is switched and nothing is kept in a global registry.
"""

from __future__ import annotations

import base64
import io
import json
import math
import textwrap
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

from . import surfaces

DPI = 100
GRID = 64  # points per axis
MAX_MARKERS = 120  # per path: beyond this, markers merge into a thick line
NOTE_LINES = 4  # notes printed on the picture; all of them are returned
# Okabe–Ito: told apart by people with any common colour-vision deficiency.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
MARKERS = ("o", "s", "^", "D", "v", "P")
DASHES = ("-", "--", "-.", ":")
POINT_MARKERS = ("*", "X", "P", "h", "d")
# Pale blues, darker towards the minimum: a background the paths stand out against, in print too.
PALE = ListedColormap(colormaps["Blues"](np.linspace(0.38, 0.02, 64)))


@dataclass(frozen=True)
class Picture:
    uri: str  # data:image/png;base64,...
    alt: str  # what the picture shows, for screen readers
    notes: tuple[str, ...] = ()  # what was clipped or left out, in words


def draw(spec: dict) -> Picture:
    """The picture of a figure spec; a malformed spec raises ValueError saying what is wrong."""
    kind = spec.get("kind") if isinstance(spec, dict) else None
    if kind != "contour":
        raise ValueError(f"unknown figure kind {kind!r} (known: 'contour')")
    return _contour(spec)


def histogram(scores, max_score: float) -> str:
    """A histogram of scores on [0, max_score] with mean and median marked, as a data URI."""
    values = np.array([float(s) for s in scores if s is not None], dtype=float)
    values = values[np.isfinite(values)]
    top = float(max_score) if max_score and math.isfinite(float(max_score)) and max_score > 0 else 1.0
    fig = Figure(figsize=(7.2, 2.8), dpi=DPI)
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.18)
    # One bar per point up to 20 points, then 20 bars: whole points are what people count.
    bins = int(min(20, max(1, math.ceil(top))))
    ax.hist(np.clip(values, 0, top), bins=np.linspace(0, top, bins + 1), color=COLOURS[0], edgecolor="white")
    if values.size:
        ax.axvline(float(np.mean(values)), color="#222222", ls="--", lw=1.3, label=f"mean {_score(np.mean(values))}")
        ax.axvline(float(np.median(values)), color=COLOURS[1], ls=":", lw=1.8, label=f"median {_score(np.median(values))}")
        ax.legend(loc="upper left", frameon=False, fontsize=9)
    else:
        ax.text(0.5, 0.5, "no scores yet", transform=ax.transAxes, ha="center", va="center", color="#555555")
    ax.set_xlim(0, top)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"score (out of {_score(top)})")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _quiet_frame(ax)
    return _png_uri(fig)


# --- the contour figure -------------------------------------------------------------

def _contour(spec: dict) -> Picture:
    xlim, ylim = _window(spec, "xlim"), _window(spec, "ylim")
    surface = spec.get("surface")
    if not isinstance(surface, dict) or "family" not in surface:
        raise ValueError("a contour figure needs a surface: {'family': ..., 'params': ...}")
    z = _surface_grid(json.dumps(surface, sort_keys=True), xlim, ylim)
    curves = spec.get("loss_curves") or []
    title = _label(spec.get("title"), "")

    fig = Figure(figsize=(10.0, 4.4) if curves else (6.0, 4.6), dpi=DPI)
    ax = fig.add_subplot(1, 2, 1) if curves else fig.add_subplot()
    _draw_surface(ax, z, xlim, ylim)
    paths = spec.get("paths") or []
    # A loss curve with a path's label is drawn in that path's style.
    styles = {_label(path.get("label"), f"path {i + 1}"): i for i, path in enumerate(paths)}
    notes, handles = [], []
    for i, path in enumerate(paths):
        notes += _draw_path(ax, path, i, xlim, ylim, handles)
    for i, point in enumerate(spec.get("points") or []):
        notes += _draw_point(ax, point, i, xlim, ylim, handles)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("θ₁")
    ax.set_ylabel("θ₂")
    ax.set_title(_tex_safe(title), fontsize=11, y=1.01)
    if handles:
        ax.legend(handles=[h for _, h in handles], loc="best", fontsize=8, framealpha=0.9)
    if curves:
        loss_ax = fig.add_subplot(1, 2, 2)
        notes += _draw_losses(loss_ax, curves, styles)

    wrapped = [textwrap.fill("⚠ " + n, 150 if curves else 90) for n in notes[:NOTE_LINES]]
    if len(notes) > NOTE_LINES:
        wrapped.append(f"… and {len(notes) - NOTE_LINES} more notes below the figure")
    lines = sum(w.count("\n") + 1 for w in wrapped)
    bottom_in = 0.55 + 0.2 * lines  # room under the axes for the notes, in inches
    fig.set_figheight(fig.get_figheight() + 0.2 * lines)
    fig.subplots_adjust(left=0.08 if curves else 0.12, right=0.98, top=0.92,
                        bottom=bottom_in / fig.get_figheight(), wspace=0.25)
    if wrapped:
        fig.text(0.01, 0.015, _tex_safe("\n".join(wrapped)), fontsize=8.5, color="#7a2e00", va="bottom", ha="left")

    labels = [label for label, _ in handles]
    alt = f"Contour plot of the loss{': ' + title if title else ''}"
    alt += f", showing {', '.join(labels)}" if labels else ""
    alt += "; with the loss per step on a log scale" if curves else ""
    return Picture(_png_uri(fig), alt + ".", tuple(notes))


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


def _draw_surface(ax, z: np.ndarray, xlim, ylim) -> None:
    levels = _levels(z)
    if levels is None:
        return
    xs, ys = np.linspace(*xlim, GRID), np.linspace(*ylim, GRID)
    ax.contourf(xs, ys, z, levels=levels, cmap=PALE, extend="max")
    ax.contour(xs, ys, z, levels=levels, colors="#6b7b8c", linewidths=0.5, linestyles="solid")


def _draw_path(ax, path: dict, i: int, xlim, ylim, handles: list) -> list[str]:
    label = _label(path.get("label"), f"path {i + 1}")
    points = _xy_rows(path.get("points"), f"path {label!r}")
    colour, marker, dash = _style(i)
    if not len(points):
        return [f"{label}: the trajectory has no points, not drawn"]

    finite_rows = np.isfinite(points).all(axis=1)
    cut = len(points) if finite_rows.all() else int(np.argmin(finite_rows))
    kept = points[:cut]
    inside = _inside(kept, xlim, ylim)
    left = None if inside.all() else int(np.argmin(inside))

    if len(kept):
        width, size, z = _layer(i)
        line = kept if left is None else _clip_polyline(kept, xlim, ylim)
        ax.plot(line[:, 0], line[:, 1], color=colour, ls=dash, lw=width, zorder=z)
        shown = kept[inside][:: max(1, math.ceil(inside.sum() / MAX_MARKERS))]
        ax.plot(shown[:, 0], shown[:, 1], ls="none", marker=marker, ms=size, color=colour, zorder=z)
        if inside[0]:
            ax.plot(*kept[0], marker=marker, ms=10, mfc="white", mec=colour, mew=2, zorder=z + 1)
            ax.annotate("start", kept[0], xytext=(6, 6), textcoords="offset points", fontsize=8, color=colour)
        handles.append((label, Line2D([], [], color=colour, ls=dash, marker=marker, ms=5, label=_tex_safe(label))))

    problems = []
    if left is not None:
        problems.append(f"left the window at step {left} (values up to {_number(np.abs(kept).max())})")
    if cut < len(points):
        problems.append(f"is not finite (nan or inf) from step {cut} on")
    outcome = "clipped" if len(kept) else "not drawn"
    return [f"{label}: trajectory {' and '.join(problems)}, {outcome}"] if problems else []


def _draw_point(ax, point: dict, i: int, xlim, ylim, handles: list) -> list[str]:
    label = _label(point.get("label"), f"point {i + 1}")
    xy = _xy_rows([point.get("xy")], f"point {label!r}")
    if not np.isfinite(xy).all():
        return [f"{label}: the point is not finite (nan or inf), not drawn"]
    if not _inside(xy, xlim, ylim)[0]:
        return [f"{label}: the point ({_number(xy[0, 0])}, {_number(xy[0, 1])}) lies outside the window, not drawn"]
    marker = POINT_MARKERS[i % len(POINT_MARKERS)]
    (handle,) = ax.plot(*xy[0], ls="none", marker=marker, ms=12, color="#1f2328", mec="white", mew=1.2,
                        zorder=6, label=_tex_safe(label))
    handles.append((label, handle))
    return []


def _draw_losses(ax, curves: list, styles: dict) -> list[str]:
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
    for label, values, style in series:
        colour, _, dash = _style(style)
        width, _, z = _layer(style)
        ax.plot(np.arange(values.size), values - shift, color=colour, ls=dash, lw=width, zorder=z,
                label=_tex_safe(label))
    ax.set_yscale("log")
    # Plain tick labels ("1e-3"): mathtext ones cost a third of the figure's time, and
    # dozens of minor log ticks as much again.
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _number(value)))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title("loss per step", fontsize=11, y=1.01)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if series:
        ax.legend(fontsize=8, frameon=False)
    _quiet_frame(ax)
    return notes


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
    """Line width, marker size and z-order of the i-th series. The first (by convention
    the student's) is thin and on top, the others wider beneath it: paths that agree
    show as one line with a halo instead of one hiding the other."""
    return (1.6, 3.5, 4.0) if i == 0 else (2.8, 5.0, 3.0 - 0.01 * i)


def _label(value, default: str) -> str:
    text = str(value) if value not in (None, "") else default
    return text if len(text) <= 60 else text[:59] + "…"


def _tex_safe(text: str) -> str:
    """Text for matplotlib: a "$" in a label must not switch it to math mode."""
    return text.replace("$", r"\$")


def _number(value) -> str:
    """1e+30 written as 1e30, 0.5 as 0.5: short and exact enough to read."""
    return f"{float(value):.3g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def _score(value) -> str:
    """Points as the pages write them: 14.25, 20, 3.33."""
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def _quiet_frame(ax) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)


def _png_uri(fig: Figure) -> str:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgb = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    # 128 colours look the same as 16 million here and make the PNG a third the size:
    # a report inlines a dozen of them. Pillow writes no time or "Software" chunk, so
    # the bytes depend on the picture only.
    buffer = io.BytesIO()
    rgb.quantize(colors=128, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
