"""A small inline SVG line chart (intake against closures over time).

Drawn on the server as SVG: no chart library to vendor, nothing to load, and it prints and scales
on a wall screen like the rest of the page.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 28, 30
COLORS = ("#3b7dd8", "#2e8b57")


def _ticks(top: int) -> list[int]:
    """Round y-axis ticks from 0 to at least `top`, at most five of them (steps of 1, 2 or 5 × 10^k)."""
    top, power = max(top, 1), 1
    while True:
        for m in (1, 2, 5):
            step = m * power
            if top <= 4 * step:
                return list(range(0, -(-top // step) * step + 1, step))
        power *= 10


def line_chart(series: list[tuple[dt.date, int, int]], names: list[str], title: str = "") -> SafeString:
    """An SVG with one line per value column of `series` ((date, a, b) rows) and a legend."""
    if not series:
        return mark_safe(f"<svg class='gm-chart' viewBox='0 0 {WIDTH} {HEIGHT}' role='img'></svg>")
    top = max(max(a, b) for _, a, b in series)
    ticks = _ticks(top)
    y_max = ticks[-1] or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(series)

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: int) -> float:
        return TOP + plot_h * (1 - v / y_max)

    parts = [f"<svg class='gm-chart' viewBox='0 0 {WIDTH} {HEIGHT}' role='img' aria-label='{escape(title)}' "
             "xmlns='http://www.w3.org/2000/svg' font-size='11' font-family='sans-serif'>"]
    for t in ticks:
        parts.append(f"<line x1='{LEFT}' x2='{WIDTH - RIGHT}' y1='{y(t):.1f}' y2='{y(t):.1f}' stroke='#e3e6ea'/>"
                     f"<text x='{LEFT - 6}' y='{y(t) + 4:.1f}' text-anchor='end' fill='#5f6b76'>{t}</text>")
    every = max(1, n // 8)
    for i, (day, _, _) in enumerate(series):
        if i % every == 0 or i == n - 1:
            parts.append(f"<text x='{x(i):.1f}' y='{HEIGHT - 10}' text-anchor='middle' fill='#5f6b76'>"
                         f"{day.month}/{day.day}</text>")
    for col, color in enumerate(COLORS, start=1):
        points = " ".join(f"{x(i):.1f},{y(row[col]):.1f}" for i, row in enumerate(series))
        parts.append(f"<polyline fill='none' stroke='{color}' stroke-width='2' points='{points}'/>")
    for k, (name, color) in enumerate(zip(names, COLORS, strict=False)):
        parts.append(f"<rect x='{LEFT + k * 110}' y='8' width='14' height='4' fill='{color}'/>"
                     f"<text x='{LEFT + 20 + k * 110}' y='14' fill='#243240'>{escape(name)}</text>")
    parts.append("</svg>")
    return mark_safe("".join(parts))
