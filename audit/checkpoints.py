"""Checkpoints: heads of the chain that a verification found intact.

A verification walks the whole chain unless asked to be `incremental`: then it starts at the
newest checkpoint (re-hashing that event first) and walks only what was sealed since, so
monitoring every few minutes stays cheap on a long log. The price of that: an event changed
*before* the newest checkpoint, and left un-re-chained, is not seen by it - which is why it is
never the default, and why its answer says `incremental`. What every verification does check,
cheaply, is that each recorded checkpoint's event still carries the recorded hash - so a log cut
short, or rewritten and re-chained, fails at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlmodel import Session

from audit import chain
from audit.chain import Head, Verification, events
from records.db import Database
from records.models import AuditCheckpoint

checkpoints = AuditCheckpoint.__table__  # type: ignore[attr-defined]


def newest(connection: Session | Connection) -> Head | None:
    row = connection.execute(
        select(checkpoints.c.seq, checkpoints.c.hash, checkpoints.c.at)
        .order_by(checkpoints.c.seq.desc())
        .limit(1)
    ).first()
    return Head(row.seq, row.hash, row.at) if row else None


def walk(
    db: Database,
    connection: Connection,
    *,
    incremental: bool = False,
    anchor: Head | None = None,
    workers: int = 1,
) -> Verification:
    """Walk the chain on `connection`: from the first event, unless `incremental` - then from
    the newest checkpoint. An `anchor` (a head signed earlier and kept elsewhere) makes it full:
    only a walk from the first event proves that nothing up to the anchor was rewritten.
    `workers` processes share a long walk (see chain.verify)."""
    start = newest(connection) if incremental and anchor is None else None
    return chain.verify(db, after=start, workers=workers, connection=connection)


def conclude(
    session: Session, result: Verification, *, anchor: Head | None = None, now: datetime
) -> Verification:
    """Compare every recorded checkpoint (and the anchor) with its event, and record the
    walk's head as a new checkpoint when everything holds (the caller commits)."""
    held = [anchor] if anchor is not None else []
    broken = _first_broken(session, result, held)
    if broken is not None and (result.valid or broken[0] < (result.first_invalid_seq or 0)):
        seq, reason = broken
        return Verification(
            False,
            min(result.count, seq - 1),
            None,
            result.unsealed,
            seq,
            reason,
            checked_from=result.checked_from,
        )
    if result.valid and result.head is not None:
        _record(session, result.head, result.checked_from, now)
    return result


def verify(
    db: Database,
    session: Session,
    *,
    incremental: bool = False,
    anchor: Head | None = None,
    now: datetime,
    workers: int = 1,
) -> Verification:
    """Walk and conclude outside a request (the CLI): the walk on a background read connection
    of its own, so that on SQLite it happens before `session` takes the writer."""
    with db.background_read_engine.connect() as connection:
        result = walk(db, connection, incremental=incremental, anchor=anchor, workers=workers)
    return conclude(session, result, anchor=anchor, now=now)


def _first_broken(
    session: Session, result: Verification, anchors: list[Head]
) -> tuple[int, str] | None:
    """The first recorded checkpoint (or anchor) whose event is gone or carries another hash.

    Stored hashes are compared, not recomputed: the walk recomputes whatever it covered, and a
    stored hash is what links an event to everything after it."""
    heads = [
        Head(row.seq, row.hash, row.at)
        for row in session.execute(
            select(checkpoints.c.seq, checkpoints.c.hash, checkpoints.c.at)
            .outerjoin(events, events.c.seq == checkpoints.c.seq)
            .where(events.c.hash.is_(None) | (events.c.hash != checkpoints.c.hash))
            .order_by(checkpoints.c.seq)
            .limit(1)
        )
    ]
    for anchor in anchors:
        stored = session.execute(select(events.c.hash).where(events.c.seq == anchor.seq)).scalar()
        if stored != anchor.hash:
            heads.append(anchor)
    if not heads:
        return None
    first = min(heads, key=lambda head: head.seq)
    last_sealed = session.execute(select(func.max(events.c.seq))).scalar() or 0
    if first.seq > last_sealed:
        # The chain no longer reaches a head it once had: events were cut off its end.
        return last_sealed + 1, "missing_event"
    return first.seq, "checkpoint_mismatch"


def _record(session: Session, head: Head, checked_from: int, now: datetime) -> None:
    newest_seq = session.execute(select(func.max(checkpoints.c.seq))).scalar() or 0
    if head.seq <= newest_seq:
        return
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(checkpoints)
        .values(
            seq=head.seq, hash=head.hash, at=head.at, checked_from=checked_from, recorded_at=now
        )
        # Two verifications finishing at once may both record the same head.
        .on_conflict_do_nothing(index_elements=["seq"])
    )
    session.flush()
