"""Chart geometry for server-rendered SVG: a line chart and a stacked bar chart.

Pure functions: numbers and labels in, coordinates out. Templates draw the SVG
(``treatment/_line_chart.svg.html``, ``dashboards/_bar_chart.svg.html``) with colours
as SVG attributes, so the charts need neither JavaScript nor inline styles, and
every chart sits beside a table with the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

WIDTH: Final = 640
HEIGHT: Final = 260
LEFT: Final = 44
RIGHT: Final = 16
TOP: Final = 14
BOTTOM: Final = 36
MAX_X_TICKS: Final = 6

# Calm colours; red only for the emergency series.
PALETTE: Final[tuple[str, ...]] = (
    "#0f6e78",
    "#7a9cc6",
    "#d98e04",
    "#6b8e23",
    "#8e6c8a",
    "#5b6777",
)
DANGER: Final = "#b42318"


@dataclass(frozen=True)
class Tick:
    position: float
    label: str
    sublabel: str = ""


@dataclass(frozen=True)
class Plot:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM

    @property
    def x0(self) -> float:
        return self.left

    @property
    def x1(self) -> float:
        return self.width - self.right

    @property
    def y0(self) -> float:
        """The bottom of the plot area (value 0)."""
        return self.height - self.bottom

    @property
    def y1(self) -> float:
        return self.top

    @property
    def inner_width(self) -> float:
        return self.x1 - self.x0

    def y_for(self, value: float, maximum: float) -> float:
        return round(self.y0 - (self.y0 - self.y1) * (value / maximum), 1)


@dataclass(frozen=True)
class LinePoint:
    x: float
    y: float
    title: str
    filled: bool
    color: str


@dataclass(frozen=True)
class Guide:
    """A horizontal reference line, optionally with the area below it shaded."""

    y: float
    label: str
    dashed: bool
    shade_below: bool = False
    shade_height: float = 0


@dataclass(frozen=True)
class LineChart:
    plot: Plot
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    points: list[LinePoint]
    path: str
    guides: list[Guide] = field(default_factory=list)


@dataclass(frozen=True)
class LineValue:
    day: date
    value: float
    title: str
    filled: bool = False
    color: str = PALETTE[0]


def _x_scale(days: Sequence[date], plot: Plot) -> tuple[date, float]:
    first = min(days)
    span = max((max(days) - first).days, 1)
    return first, (plot.x1 - plot.x0) / span


def line_chart(
    values: Sequence[LineValue],
    *,
    maximum: float,
    step: float,
    guides: Sequence[tuple[float, str, bool, bool]] = (),
    plot: Plot | None = None,
) -> LineChart:
    """A line over time on a 0..``maximum`` axis; ``guides`` are (value, label, dashed,
    shade_below) horizontal lines."""
    plot = plot or Plot()
    y_ticks = [Tick(plot.y_for(v, maximum), _number(v)) for v in _range(0, maximum, step)]
    if not values:
        return LineChart(plot, y_ticks, [], [], "")
    first, per_day = _x_scale([v.day for v in values], plot)

    def x_for(day: date) -> float:
        return round(plot.x0 + (day - first).days * per_day, 1)

    points = [
        LinePoint(x_for(v.day), plot.y_for(v.value, maximum), v.title, v.filled, v.color)
        for v in values
    ]
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{point.x},{point.y}" for i, point in enumerate(points)
    )
    return LineChart(
        plot=plot,
        y_ticks=y_ticks,
        x_ticks=_date_ticks(sorted({v.day for v in values}), x_for),
        points=points,
        path=path,
        guides=[
            _guide(plot, value, maximum, label, dashed, shade)
            for value, label, dashed, shade in guides
        ],
    )


def _guide(
    plot: Plot, value: float, maximum: float, label: str, dashed: bool, shade: bool
) -> Guide:
    y = plot.y_for(value, maximum)
    return Guide(y, label, dashed, shade, round(plot.y0 - y, 1))


def _date_ticks(days: list[date], x_for) -> list[Tick]:  # type: ignore[no-untyped-def]
    """Up to ``MAX_X_TICKS`` dates evenly spread over the span, so labels never overlap."""
    first, last = days[0], days[-1]
    span = (last - first).days
    count = min(MAX_X_TICKS, span + 1)
    if count <= 1:
        return [Tick(x_for(first), f"{first:%d/%m}")]
    ticks = sorted({first + timedelta(days=round(i * span / (count - 1))) for i in range(count)})
    return [Tick(x_for(day), f"{day:%d/%m}") for day in ticks]


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]
    color: str


@dataclass(frozen=True)
class BarSegment:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class BarChart:
    plot: Plot
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    segments: list[BarSegment]
    legend: list[tuple[str, str]]


def stacked_bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    sublabels: Sequence[str] = (),
    plot: Plot | None = None,
) -> BarChart:
    """One stacked bar per category (e.g. a month), one colour per series.

    ``sublabels`` go on a second line under the category labels (e.g. the year).
    """
    plot = plot or Plot()
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    maximum, step = nice_axis(max(totals, default=0))
    y_ticks = [Tick(plot.y_for(v, maximum), _number(v)) for v in _range(0, maximum, step)]
    slot = (plot.x1 - plot.x0) / max(len(categories), 1)
    bar_width = round(min(slot * 0.7, 48), 1)
    segments: list[BarSegment] = []
    x_ticks: list[Tick] = []
    for i, category in enumerate(categories):
        centre = plot.x0 + slot * (i + 0.5)
        sublabel = sublabels[i] if i < len(sublabels) else ""
        x_ticks.append(Tick(round(centre, 1), category, sublabel))
        bottom = 0.0
        for s in series:
            value = s.values[i]
            if value <= 0:
                continue
            top = bottom + value
            y_top = plot.y_for(top, maximum)
            segments.append(
                BarSegment(
                    x=round(centre - bar_width / 2, 1),
                    y=y_top,
                    width=bar_width,
                    height=round(plot.y_for(bottom, maximum) - y_top, 1),
                    color=s.color,
                    title=f"{category} · {s.label}: {_number(value)}",
                )
            )
            bottom = top
    return BarChart(plot, y_ticks, x_ticks, segments, [(s.label, s.color) for s in series])


def nice_axis(largest: float, ticks: int = 4) -> tuple[float, float]:
    """A round axis maximum and tick step covering ``largest`` (at least 1)."""
    if largest <= 0:
        return 1.0, 1.0
    raw = largest / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0)
    return step * math.ceil(largest / step), step


def _range(start: float, stop: float, step: float) -> list[float]:
    count = int(round((stop - start) / step))
    return [start + i * step for i in range(count + 1)]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
