"""A live signal: neither erased nor past its retention. The one definition, in the three forms
the code needs (a Python test on a row, an ORM condition, a fixed-SQL condition); a signal
that is not live is read by nobody, and the sweeper erases it soon."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_
from sqlmodel import col

from records.models import Signal


def is_live(erased_at: datetime | None, expires_at: datetime, now: datetime) -> bool:
    return erased_at is None and expires_at > now


def live_condition(now: datetime) -> ColumnElement[bool]:
    return and_(col(Signal.erased_at).is_(None), col(Signal.expires_at) > now)


def live_sql(alias: str) -> str:
    """For the fixed statements of records.hotpath (bound parameter `:now`)."""
    return f"{alias}.erased_at IS NULL AND {alias}.expires_at > :now"
