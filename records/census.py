"""The census of API processes, read by rate limiting to share a limit between them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from records.models import ApiProcess


def report(session: Session, process_id: str, now: datetime) -> None:
    """This process is alive (the caller commits)."""
    row = session.get(ApiProcess, process_id)
    if row is None:
        session.add(ApiProcess(id=process_id, started_at=now, seen_at=now))
    else:
        row.seen_at = now
        session.add(row)
    session.flush()


def alive(session: Session, since: datetime) -> int:
    """How many processes reported at or after `since`."""
    return int(session.scalar(select(func.count()).where(col(ApiProcess.seen_at) >= since)) or 0)


def leave(session: Session, process_id: str) -> None:
    session.execute(delete(ApiProcess).where(col(ApiProcess.id) == process_id))


def forget(session: Session, before: datetime) -> None:
    """Processes that stopped reporting long ago (a crashed one never leaves)."""
    session.execute(delete(ApiProcess).where(col(ApiProcess.seen_at) < before))
