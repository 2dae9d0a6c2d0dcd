"""Bar charts as inline SVG, drawn on the server: the admin's charts need no JavaScript and no CDN.

Each chart is computed by an aggregate query in its app (leaderboards.admin.charts, seasons.admin.charts);
this module only draws the bars it is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 640, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 8, 8, 18, 40
_LABEL_CHAR_WIDTH = 6.5


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar, e.g. "10-19"
    count: int


def _label_anchor(label: str, x: float, slot: float) -> tuple[str, str]:
    """Where a bar's label is anchored: under its middle, or flush with the bar at an edge it would cross."""
    half = len(label) * _LABEL_CHAR_WIDTH / 2
    middle = x + slot / 2
    if middle - half < 0:
        return f"{x + slot * 0.1:.1f}", "start"
    if middle + half > WIDTH:
        return f"{x + slot * 0.9:.1f}", "end"
    return f"{middle:.1f}", "middle"


def bar_chart(bars: list[Bar], *, title: str, unit: str) -> SafeString:
    """An SVG bar chart of `bars` (left to right), each bar labelled with its count of `unit`.

    `title` is the chart's accessible name (and its tooltip); a chart without bars says so.
    """
    if not bars or not any(bar.count for bar in bars):
        return format_html('<p class="hedge-chart-empty">No {} to chart yet.</p>', unit)
    tallest = max(bar.count for bar in bars)
    slot = (WIDTH - _LEFT - _RIGHT) / len(bars)
    plot_height = HEIGHT - _TOP - _BOTTOM
    # Labels are thinned out so the widest never reaches the next one shown: about 6.5 px a character at
    # 11 px sans-serif, and a gap of 10 (every bar keeps its full label in its tooltip).
    widest = max(len(bar.label) for bar in bars) * _LABEL_CHAR_WIDTH + 10
    label_every = max(1, math.ceil(widest / slot))
    shapes = []
    for n, bar in enumerate(bars):
        height = plot_height * bar.count / tallest
        x = _LEFT + n * slot
        y = _TOP + plot_height - height
        shapes.append(
            (
                f"{x + slot * 0.1:.1f}",
                f"{y:.1f}",
                f"{slot * 0.8:.1f}",
                f"{max(height, 1 if bar.count else 0):.1f}",
                f"{bar.label}: {bar.count:,} {unit}",
                f"{x + slot / 2:.1f}",
                f"{y - 4:.1f}",
                f"{bar.count:,}" if bar.count and slot >= 28 else "",
                *_label_anchor(bar.label, x, slot),
                f"{HEIGHT - _BOTTOM + 16:.1f}",
                bar.label if n % label_every == 0 else "",
            )
        )
    body = format_html_join(
        "",
        '<g><rect x="{}" y="{}" width="{}" height="{}" class="hedge-bar"><title>{}</title></rect>'
        '<text x="{}" y="{}" text-anchor="middle" class="hedge-count">{}</text>'
        '<text x="{}" text-anchor="{}" y="{}" class="hedge-label">{}</text></g>',
        shapes,
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="hedge-chart" role="img" viewBox="0 0 {} {}"'
        ' width="{}" height="{}" aria-label="{}"><title>{}</title>'
        "<style>.hedge-bar{{fill:#417690}}.hedge-count{{font:11px sans-serif;fill:#333}}"
        ".hedge-label{{font:11px sans-serif;fill:#666}}</style>"
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>{}</svg>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        title,
        title,
        _LEFT,
        HEIGHT - _BOTTOM,
        WIDTH - _RIGHT,
        HEIGHT - _BOTTOM,
        body,
    )
