"""Server-drawn SVG bar charts: geometry only, so the picture needs neither JavaScript nor inline styles.

The strict CSP forbids style attributes; bars are sized with SVG's own width/height/x/y
attributes and coloured by class from style.css.
"""
from __future__ import annotations

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
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    baseline: float
    peak: int

    @property
    def summary(self) -> str:
        """What a screen reader hears instead of the picture."""
        if not self.bars:
            return "No publications."
        top = max(self.bars, key=lambda bar: bar.count)
        return (f"Publications per year from {self.bars[0].label} to {self.bars[-1].label}; "
                f"most in {top.label} ({top.count}).")


def year_series(counts: dict[int, int]) -> list[tuple[str, int]]:
    """Every year from the first to the last, gaps as zero, so the axis is time and not a list."""
    if not counts:
        return []
    return [(str(year), counts.get(year, 0)) for year in range(min(counts), max(counts) + 1)]


def bar_chart(series: list[tuple[str, int]], width: int = 240, height: int = 80, label_room: int = 14) -> BarChart:
    baseline = height - label_room
    peak = max((count for _, count in series), default=0)
    step = width / max(len(series), 1)
    gap = min(2.0, step / 4)
    bars = []
    for position, (label, count) in enumerate(series):
        bar_height = round(baseline * count / peak, 1) if peak else 0.0
        if count and bar_height < 1:
            bar_height = 1.0
        bars.append(Bar(label, count, round(position * step + gap / 2, 1), round(baseline - bar_height, 1),
                        round(step - gap, 1), bar_height))
    return BarChart(bars, width, height, baseline, peak)
