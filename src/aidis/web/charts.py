"""Server-rendered SVG charts (no JavaScript, no external library): stacked sessions (or cost) per day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

from aidis.enums import SENTINEL_DISPLAY_NAME, SENTINEL_PROJECT_ID
from aidis.records import DayCount

PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#86bcb6",
]
UNASSIGNED_COLOUR = "#bab0ac"
MAX_SERIES = 8  # beyond this, the smallest projects are drawn together as "Other"


@dataclass(frozen=True)
class Series:
    """One coloured band of the chart."""

    name: str
    colour: str
    counts: Sequence[float]  # sessions, or dollars


def stack_by_project(rows: list[DayCount], first: date, last: date) -> tuple[list[date], list[Series]]:
    """Day axis from `first` to `last` and one series per project (largest first, the rest as 'Other')."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    index = {d.isoformat(): i for i, d in enumerate(days)}
    per_project: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for row in rows:
        if row.day in index:
            name = SENTINEL_DISPLAY_NAME if row.project_id == SENTINEL_PROJECT_ID else row.project_name
            per_project[name][index[row.day]] += row.sessions
    ranked = sorted(per_project.items(), key=lambda item: (-sum(item[1]), item[0]))
    head, tail = ranked[:MAX_SERIES], ranked[MAX_SERIES:]
    series = []
    for i, (name, counts) in enumerate(head):
        colour = UNASSIGNED_COLOUR if name == SENTINEL_DISPLAY_NAME else PALETTE[i % len(PALETTE)]
        series.append(Series(name, colour, counts))
    if tail:
        other = [sum(c[i] for _, c in tail) for i in range(len(days))]
        series.append(Series(f"Other ({len(tail)} projects)", "#d3d3d3", other))
    return days, series


def stacked_bars_svg(
    days: list[date],
    series: list[Series],
    *,
    width: int = 900,
    height: int = 240,
    what: str = "Sessions per project per day",
    fmt: Callable[[float], str] = lambda value: f"{value:g}",
) -> Markup:
    """A stacked bar chart as inline SVG, with a title per bar segment and a legend (`fmt` writes a value)."""
    left, bottom, top = 40, 24, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    totals = [sum(s.counts[i] for s in series) for i in range(len(days))]
    peak = max(totals, default=0) or 1
    bar_w = plot_w / max(len(days), 1)
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(what)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{top + 8}" text-anchor="end" class="axis">{fmt(peak)}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="axis">0</text>',
    ]
    for i, day in enumerate(days):
        y: float = top + plot_h
        x = left + i * bar_w + 1
        for s in series:
            count = s.counts[i]
            if not count:
                continue
            h = count / peak * plot_h
            y -= h
            label = escape(f"{day.isoformat()} · {s.name}: {fmt(count)}")
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" '
                f'fill="{s.colour}" data-project="{escape(s.name)}" data-count="{count}"><title>{label}</title></rect>'
            )
        if len(days) <= 31 and (i % 5 == 0 or i == len(days) - 1):
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 6}" text-anchor="middle" class="axis">'
                f"{day.strftime('%m-%d')}</text>"
            )
    parts.append("</svg>")
    legend = "".join(
        f'<span class="legend-item"><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true">'
        f'<rect width="10" height="10" rx="2" fill="{s.colour}"/></svg>{escape(s.name)}'
        f" ({fmt(sum(s.counts))})</span>"
        for s in series
    )
    return Markup("".join(parts) + f'<div class="legend">{legend}</div>')  # noqa: S704 — every label is escaped


def stack_costs(days: list[date], per_project: Mapping[str, Sequence[float]]) -> list[Series]:
    """One series per project's cost per day (costliest first, the rest as 'Other'), coloured as above."""
    ranked = sorted(per_project.items(), key=lambda item: (-sum(item[1]), item[0]))
    head, tail = ranked[:MAX_SERIES], ranked[MAX_SERIES:]
    series = [
        Series(name, UNASSIGNED_COLOUR if name == SENTINEL_DISPLAY_NAME else PALETTE[i % len(PALETTE)], costs)
        for i, (name, costs) in enumerate(head)
    ]
    if tail:
        other = [sum(c[i] for _, c in tail) for i in range(len(days))]
        series.append(Series(f"Other ({len(tail)} projects)", "#d3d3d3", other))
    return series
