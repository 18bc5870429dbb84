"""Calendar periods in Dutch time: months and quarters, and the instants they begin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from policies.dates import AMSTERDAM, local_date

Kind = Literal["month", "quarter"]
MAX_PERIODS = 60


@dataclass(frozen=True)
class Period:
    label: str  # 2026-03 or 2026-Q1
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive


def _first_day(day: date, kind: Kind) -> date:
    month = day.month if kind == "month" else 3 * ((day.month - 1) // 3) + 1
    return date(day.year, month, 1)


def _next(day: date, kind: Kind) -> date:
    months = 1 if kind == "month" else 3
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _instant(day: date) -> datetime:
    """Midnight at the start of `day` in the Netherlands, as a UTC instant."""
    return datetime(day.year, day.month, day.day, tzinfo=AMSTERDAM).astimezone(UTC)


def _label(day: date, kind: Kind) -> str:
    if kind == "month":
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def completed(first: date, last: date, kind: Kind, now: datetime) -> list[Period]:
    """The whole periods from the one holding `first` to the one holding `last`, leaving out
    the running period and any later one: a published period no longer changes."""
    running = _first_day(local_date(now), kind)
    day = _first_day(first, kind)
    periods = []
    while day <= last and day < running:
        following = _next(day, kind)
        periods.append(Period(_label(day, kind), _instant(day), _instant(following)))
        day = following
    return periods


def default_window(kind: Kind, now: datetime) -> tuple[date, date]:
    """The last twelve months or four quarters that have ended."""
    running = _first_day(local_date(now), kind)
    day = running
    for _ in range(12 if kind == "month" else 4):
        index = day.year * 12 + day.month - 1 - (1 if kind == "month" else 3)
        day = date(index // 12, index % 12 + 1, 1)
    return day, date.fromordinal(running.toordinal() - 1)


def local_start(period: Period, *, end: bool = False) -> date:
    """The Dutch date on which `period` begins (or the one after it ends)."""
    return (period.end if end else period.start).astimezone(AMSTERDAM).date()
