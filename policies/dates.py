"""The calendar that agreement and consent dates are written in."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local_date(now: datetime) -> date:
    """The date in the Netherlands at the instant `now`."""
    # A naive datetime would be read in the host's zone, which makes a decision depend on where it
    # runs; refuse it rather than guess.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(AMSTERDAM).date()


def within(day: date, valid_from: date, valid_until: date | None) -> bool:
    """Whether `day` lies in the inclusive window; no end date means open-ended."""
    return valid_from <= day and (valid_until is None or day <= valid_until)
