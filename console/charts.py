"""Bar charts as server-rendered SVG: no script, every number also in the table beside it.

A hidden count ("<5", "x") gets no bar, only its mark, so a chart never suggests a value the
figures withhold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 220
TOP, BOTTOM, LEFT = 20, 44, 8


@dataclass(frozen=True)
class Bar:
    label: str
    shown: str  # the figure as published: a number, "<5" or "x"
    x: float
    y: float
    width: float
    height: float
    hidden: bool


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    bars: tuple[Bar, ...]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = HEIGHT - BOTTOM


def bar_chart(title: str, points: Sequence[tuple[str, int | str | None]]) -> Chart:
    numbers = [v for _, v in points if isinstance(v, int)]
    top = max(numbers, default=0) or 1
    slot = (WIDTH - LEFT) / max(len(points), 1)
    room = HEIGHT - TOP - BOTTOM
    bars = []
    for index, (label, value) in enumerate(points):
        hidden = not isinstance(value, int)
        height = 0.0 if hidden else room * int(value or 0) / top
        bars.append(
            Bar(
                label=label,
                shown="-" if value is None else str(value),
                x=LEFT + index * slot + slot * 0.15,
                y=HEIGHT - BOTTOM - height,
                width=slot * 0.7,
                height=height,
                hidden=hidden,
            )
        )
    description = "; ".join(f"{b.label}: {b.shown}" for b in bars) or "geen gegevens"
    return Chart(title, description, tuple(bars))
