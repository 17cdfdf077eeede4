"""Server-drawn SVG bar charts: geometry only, so the picture needs neither JavaScript nor inline styles.

The strict CSP forbids style attributes; bars are sized with SVG's own width/height/x/y
attributes and coloured by class from style.css.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    ticks: list[Tick]
    width: int
    height: int
    baseline: float

    @property
    def summary(self) -> str:
        """What a screen reader hears instead of the picture."""
        if not self.bars:
            return "No publications."
        top = max(self.bars, key=lambda bar: bar.count)
        return (
            f"Publications per year from {self.bars[0].label} to {self.bars[-1].label}; "
            f"most in {top.label} ({top.count})."
        )


def year_series(counts: dict[int, int]) -> list[tuple[str, int]]:
    """Every year from the first to the last, gaps as zero, so the axis is time and not a list."""
    if not counts:
        return []
    return [(str(year), counts.get(year, 0)) for year in range(min(counts), max(counts) + 1)]


def bar_chart(
    series: list[tuple[str, int]], width: int = 240, height: int = 80, label_room: int = 14, tick_room: int = 34
) -> BarChart:
    """`tick_room`: the width one axis label needs; labels are thinned out to fit, ends always kept.

    Bars keep half a label's width from either edge so the end labels, centred under them, fit.
    """
    baseline = height - label_room
    peak = max((count for _, count in series), default=0)
    margin = tick_room / 2
    step = (width - 2 * margin) / max(len(series), 1)
    gap = min(2.0, step / 4)
    bars = []
    for position, (label, count) in enumerate(series):
        bar_height = round(baseline * count / peak, 1) if peak else 0.0
        if count and bar_height < 1:
            bar_height = 1.0
        bars.append(
            Bar(
                label,
                count,
                round(margin + position * step + gap / 2, 1),
                round(baseline - bar_height, 1),
                round(step - gap, 1),
                bar_height,
            )
        )
    return BarChart(bars, _ticks(bars, width - 2 * margin, tick_room), width, height, baseline)


def _ticks(bars: list[Bar], plot_width: float, tick_room: int) -> list[Tick]:
    if not bars:
        return []
    every = max(1, math.ceil(len(bars) * tick_room / plot_width))
    last = len(bars) - 1
    chosen = [i for i in range(0, last, every) if last - i >= every or i == 0] + [last]
    return [Tick(round(bars[i].x + bars[i].width / 2, 1), bars[i].label) for i in chosen]


# ---------------------------------------------------------------- trend lines


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    year: int
    share: float
    matches: int
    total: int


@dataclass(frozen=True)
class Line:
    label: str
    points: list[Point]

    @property
    def path(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


@dataclass(frozen=True)
class LineChart:
    lines: list[Line]
    ticks: list[Tick]  # years along the bottom
    levels: list[tuple[float, str]]  # (y, "20%") gridlines
    width: int
    height: int
    left: float
    right: float
    baseline: float

    @property
    def summary(self) -> str:
        """What a screen reader hears instead of the picture (the table below has every number)."""
        if not self.lines or not self.ticks:
            return "No publications to chart."
        peaks = []
        for line in self.lines:
            top = max(line.points, key=lambda p: p.share, default=None)
            if top is not None:
                peaks.append(f"{line.label}: highest in {top.year} ({top.share:.0%})")
        return (
            f"Share of each year's publications matching, {self.ticks[0].label} to {self.ticks[-1].label}. "
            + "; ".join(peaks)
            + "."
        )


def line_chart(
    series: list[dict],
    width: int = 640,
    height: int = 260,
    left: int = 44,
    right: int = 16,
    label_room: int = 22,
    tick_room: int = 48,
) -> LineChart:
    """Shares (0–1) per year as lines on a common year axis; the y axis runs to the next 10% above
    the highest share, so small shares are not flattened against a 100% ceiling."""
    years = sorted({year for s in series for year, *_ in s["points"]})
    peak = max((share for s in series for *_, share in s["points"]), default=0.0)
    top = max(0.1, math.ceil(peak * 10) / 10)
    baseline = height - label_room
    span = width - left - right
    top_pad = 8

    def x(year: int) -> float:
        if len(years) == 1:
            return round(left + span / 2, 1)
        return round(left + span * years.index(year) / (len(years) - 1), 1)

    def y(share: float) -> float:
        return round(baseline - (baseline - top_pad) * share / top, 1)

    lines = [
        Line(
            s["label"],
            [Point(x(year), y(share), year, share, matches, total) for year, matches, total, share in s["points"]],
        )
        for s in series
    ]
    every = max(1, math.ceil(len(years) * tick_room / max(span, 1)))
    chosen = sorted(set(range(0, len(years), every)) | ({len(years) - 1} if years else set()))
    if len(chosen) > 1 and chosen[-1] - chosen[-2] < every:
        chosen.pop(-2)
    ticks = [Tick(x(years[i]), str(years[i])) for i in chosen]
    steps = round(top * 10) if top <= 0.5 else round(top * 5)  # gridlines at round 10% or 20% steps
    levels = [(y(top * i / steps), f"{top * i / steps:.0%}") for i in range(steps + 1)]
    return LineChart(lines, ticks, levels, width, height, left, width - right, baseline)
