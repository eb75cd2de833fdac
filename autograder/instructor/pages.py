"""The instructor's pages: vetting.html, rendered from the same dict as vetting.json.

Templates are looked up in the course's ``templates/`` first, then in the ones shipped
beside this module (``instructor/templates/``), as for reports; every value is autoescaped.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..render.reports import template_environment

# The histogram's drawing area, in SVG user units.
WIDTH, HEIGHT, LEFT, BOTTOM = 360.0, 120.0, 8.0, 22.0


def render_vetting(data: dict, course_templates: Path) -> str:
    env = template_environment(str(course_templates))
    env.filters["num"] = number
    measures = [{**m, "chart": histogram(m)} for m in data["measures"]]
    return env.get_template("vetting.html.j2").render(vetting={**data, "measures": measures})


def number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4g}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def histogram(measure: dict) -> dict | None:
    """Bars and the declared range as SVG rectangles over the measure's own axis."""
    edges, counts = measure["histogram"]["edges"], measure["histogram"]["counts"]
    if not counts:
        return None
    lo, hi = edges[0], edges[-1]
    span = hi - lo or 1.0
    peak = max(counts) or 1
    plot = WIDTH - 2 * LEFT

    def x(value: float) -> float:
        return round(LEFT + plot * (min(max(value, lo), hi) - lo) / span, 2)

    bars = [{"x": x(a), "width": max(round(x(b) - x(a) - 1, 2), 1.0), "y": round(HEIGHT - n / peak * (HEIGHT - 8), 2),
             "height": round(n / peak * (HEIGHT - 8), 2), "count": n, "low": a, "high": b}
            for a, b, n in zip(edges[:-1], edges[1:], counts) if n]
    low = -math.inf if measure["low"] is None else measure["low"]
    high = math.inf if measure["high"] is None else measure["high"]
    band = None
    if low <= hi and high >= lo:
        band = {"x": x(low), "width": round(x(high) - x(low), 2)}
    return {"width": WIDTH, "height": HEIGHT + BOTTOM, "axis": HEIGHT, "bars": bars, "band": band,
            "ticks": [{"x": x(lo), "label": number(lo), "anchor": "start"},
                      {"x": x(hi), "label": number(hi), "anchor": "end"}]}
