"""When to try a webhook delivery again: the retry schedule and the receiver's `Retry-After`."""

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

# Seconds to wait before attempts 1..8, after Standard Webhooks / Svix practice: immediately,
# 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — about 27.6 hours from first to last attempt.
DEFAULT_SCHEDULE: tuple[float, ...] = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)

# API.md promises receivers at least this many attempts before a delivery is `failed`.
MIN_ATTEMPTS = 5

# A receiver may slow us down with Retry-After, but not park a delivery for days.
MAX_RETRY_AFTER = 24 * 3600.0

# (multiply, divide) to get seconds: dividing by 1000 rather than multiplying by 0.001 makes
# "100ms" exactly the float 0.1.
_UNITS = {"ms": (1, 1000), "s": (1, 1), "m": (60, 1), "h": (3600, 1)}
_DELAY = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?", re.ASCII)


def _parse_delay(item: str, position: int) -> float:
    match = _DELAY.fullmatch(item)
    if match is None:
        raise ValueError(
            f"retry schedule entry {position} ({item!r}) is not a delay; "
            "use a number of seconds or a number with ms, s, m or h"
        )
    number, unit = match.groups()
    times, per = _UNITS[unit or "s"]
    delay = float(number) * times / per
    if not math.isfinite(delay):
        raise ValueError(f"retry schedule entry {position} ({item!r}) is too large")
    return delay


def parse_schedule(text: str) -> tuple[float, ...]:
    """Parse a schedule like `"0,5s,5m,30m,2h,5h,10h,10h"`; plain numbers are seconds."""
    items = [item.strip() for item in text.split(",")]
    if items == [""]:
        raise ValueError("retry schedule is empty")
    schedule = tuple(_parse_delay(item, n) for n, item in enumerate(items, start=1))
    if len(schedule) < MIN_ATTEMPTS:
        raise ValueError(
            f"retry schedule has {len(schedule)} attempts; at least {MIN_ATTEMPTS} are required"
        )
    return schedule


def _format_delay(delay: float) -> str:
    if delay.is_integer():
        seconds = int(delay)
        for unit, size in (("h", 3600), ("m", 60)):
            if seconds and seconds % size == 0:
                return f"{seconds // size}{unit}"
        return f"{seconds}s" if seconds else "0"
    # Positional notation of the shortest repr, because the parser takes no exponents.
    return format(Decimal(repr(delay)), "f")


def format_schedule(schedule: Sequence[float]) -> str:
    """The configuration string that `parse_schedule` turns back into `schedule`."""
    for delay in schedule:
        if not math.isfinite(delay) or delay < 0:
            raise ValueError(f"retry delay {delay!r} is not a finite, non-negative number")
    return ",".join(_format_delay(float(delay)) for delay in schedule)


def next_attempt_delay(
    schedule: Sequence[float], attempts_made: int, retry_after: float | None
) -> float | None:
    """Seconds to wait before the next attempt after `attempts_made` failed ones; None when the
    schedule is exhausted and the delivery is `failed`.

    A receiver's Retry-After can lengthen the wait up to MAX_RETRY_AFTER, never shorten it, and
    never adds attempts.
    """
    if attempts_made < 0:
        raise ValueError("attempts_made must not be negative")
    if attempts_made >= len(schedule):
        return None
    delay = float(schedule[attempts_made])
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
    return delay


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_LONG_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = r"(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIME = r"(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d)"
# RFC 9110 section 5.6.7: IMF-fixdate, then the obsolete RFC 850 and asctime forms that
# recipients must still accept. Parsed by hand because strptime's %a and %b follow the locale.
_HTTP_DATES = (
    re.compile(rf"{_DAY}, (?P<day>\d\d) {_MONTH} (?P<year>\d{{4}}) {_TIME} GMT", re.ASCII),
    re.compile(rf"{_LONG_DAY}, (?P<day>\d\d)-{_MONTH}-(?P<year>\d\d) {_TIME} GMT", re.ASCII),
    re.compile(rf"{_DAY} {_MONTH} (?P<day>[ \d]\d) {_TIME} (?P<year>\d{{4}})", re.ASCII),
)


def _parse_http_date(value: str, now: datetime) -> datetime | None:
    for pattern in _HTTP_DATES:
        match = pattern.fullmatch(value)
        if match is not None:
            break
    else:
        return None
    year = int(match["year"])
    if len(match["year"]) == 2:
        # RFC 9110: a two-digit year more than 50 years in the future is in the past century.
        year += now.year - now.year % 100
        if year > now.year + 50:
            year -= 100
    try:
        return datetime(
            year,
            _MONTHS[match["month"].lower()],
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            # HTTP-date allows a leap second (60); datetime does not.
            min(int(match["second"]), 59),
            tzinfo=UTC,
        )
    except ValueError:
        return None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from `now` that an RFC 9110 `Retry-After` value asks for, or None if absent or
    garbage. The result is clamped to [0, MAX_RETRY_AFTER]; `now` must be timezone-aware."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        # Compare as text first: a long run of digits would overflow a float.
        if len(value.lstrip("0")) > len(str(int(MAX_RETRY_AFTER))):
            return MAX_RETRY_AFTER
        return min(float(value), MAX_RETRY_AFTER)
    when = _parse_http_date(value, now)
    if when is None:
        return None
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER)
