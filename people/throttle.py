"""Sign-in attempt limits: per account name and per source address, kept in the database so
that every process counts together.

An attempt is counted as a failure *before* its password is checked and forgiven when it
succeeds: parallel guesses cannot slip past the limit while the first ones are still being
checked. The keys are keyed hashes, so the table holds neither names typed nor addresses, and
an unknown name is counted exactly like a known one (the lockout tells nothing about which
names exist).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from records.models import SignInThrottle

TABLE = SignInThrottle.__table__  # type: ignore[attr-defined]
KEEP = timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    per_account: int
    per_address: int
    lockout: timedelta


def account_key(secret: bytes, username: str) -> str:
    return "account:" + _mac(secret, "account|" + username.strip().lower())


def address_key(secret: bytes, address: str | None) -> str:
    return "address:" + _mac(secret, "address|" + (address or "unknown"))


def _mac(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Count:
    """One counter after this attempt was registered."""

    key: str
    failures: int
    locked_until: datetime | None
    tripped: bool
    refused_before: int


def _row(session: Session, key: str, now: datetime) -> SignInThrottle:
    """The counter row, created if missing and locked for this transaction."""
    values = {"key": key, "window_start": now, "failures": 0, "refused": 0, "updated_at": now}
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(TABLE).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    row = session.exec(
        select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
    ).one()
    session.refresh(row)
    return row


def locked_until(session: Session, keys: tuple[str, ...], now: datetime) -> datetime | None:
    """The moment the latest lock on any of `keys` ends, if one holds now; a refused attempt
    is counted on the locked rows (not written to the audit log one by one)."""
    until: datetime | None = None
    for key in keys:
        row = _row(session, key, now)
        if row.locked_until is not None and row.locked_until > now:
            row.refused += 1
            row.updated_at = now
            session.add(row)
            until = row.locked_until if until is None else max(until, row.locked_until)
    session.flush()
    return until


def register(session: Session, key: str, limit: int, lockout: timedelta, now: datetime) -> Count:
    """Count an attempt as failed until proven otherwise; lock the key when it reaches the
    limit within one window."""
    row = _row(session, key, now)
    refused_before = 0
    if row.locked_until is not None and row.locked_until <= now:
        refused_before = row.refused
        row.failures, row.refused, row.locked_until, row.window_start = 0, 0, None, now
    elif now - row.window_start >= lockout:
        row.failures, row.window_start = 0, now
    row.failures += 1
    tripped = row.failures >= limit
    if tripped:
        row.locked_until = now + lockout
    row.updated_at = now
    session.add(row)
    session.flush()
    return Count(
        key=key,
        failures=row.failures,
        locked_until=row.locked_until,
        tripped=tripped,
        refused_before=refused_before,
    )


def forgive(session: Session, key: str, *, clear: bool, now: datetime) -> None:
    """The attempt succeeded: take its failure back (an address), or clear the whole counter
    (the account that signed in)."""
    if clear:
        session.execute(delete(TABLE).where(TABLE.c.key == key))
        return
    row = _row(session, key, now)
    row.failures = max(row.failures - 1, 0)
    if row.failures == 0 and row.refused == 0:
        session.delete(row)
    else:
        session.add(row)
    session.flush()


def prune(session: Session, now: datetime) -> None:
    session.execute(
        delete(TABLE).where(
            col(SignInThrottle.updated_at) < now - KEEP,
        )
    )
