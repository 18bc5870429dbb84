"""The hash chain: sealing committed events in order, and walking the chain to verify it.

An event's `hash` is SHA-256 over the canonical JSON (sorted keys, no whitespace, UTF-8; for
these value types the same bytes as RFC 8785) of its public fields with `seq` and `prevHash`
and without `hash`. So anyone holding an export can recompute the chain without this code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.engine import Connection, CursorResult

from records.db import Database
from records.models import AuditEvent
from wijkdeel.clock import rfc3339

GENESIS = "0" * 64
# An arbitrary constant that names "the audit chain" among PostgreSQL advisory locks.
SEALER_LOCK_KEY = 0x57494A4B  # "WIJK"

events = AuditEvent.__table__  # type: ignore[attr-defined]

# Column order of every chain read; the hashed document is built from it positionally.
CHAIN_COLUMNS = (
    "seq", "id", "at", "client_id", "partner", "role", "action", "resource_type",
    "resource_id", "subject_ref", "purpose", "legal_basis", "agreement_id",
    "agreement_version", "outcome", "reason", "request_id", "ip", "prev_hash",
)  # fmt: skip
PUBLIC_NAMES = (
    "seq", "id", "at", "clientId", "partner", "role", "action", "resourceType",
    "resourceId", "subjectRef", "purpose", "legalBasis", "agreementId",
    "agreementVersion", "outcome", "reason", "requestId", "ip", "prevHash",
)  # fmt: skip
_SORTED = sorted(range(len(PUBLIC_NAMES)), key=lambda i: PUBLIC_NAMES[i])
_AT = CHAIN_COLUMNS.index("at")


def canonical(values: Sequence[Any]) -> bytes:
    """Canonical JSON of one event given in CHAIN_COLUMNS order (`at` as a datetime)."""
    document = {PUBLIC_NAMES[i]: values[i] for i in _SORTED}
    document["at"] = rfc3339(values[_AT])
    return orjson.dumps(document)


def event_hash(values: Sequence[Any]) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    at: datetime


def seal_pending(db: Database, *, batch: int = 2000) -> int:
    """Chain committed, unsealed events in the order seen; returns how many were sealed.

    Only one sealer works at a time: on PostgreSQL an advisory lock held for the transaction
    (a second sealer returns at once), on SQLite the database's single write lock.
    """
    with db.engine.begin() as conn:
        if (
            not db.is_sqlite
            and not conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SEALER_LOCK_KEY}
            ).scalar()
        ):
            return 0
        head = conn.execute(
            select(events.c.seq, events.c.hash)
            .where(events.c.seq.is_not(None))
            .order_by(events.c.seq.desc())
            .limit(1)
        ).first()
        seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
        columns = [events.c[name] for name in CHAIN_COLUMNS if name not in ("seq", "prev_hash")]
        rows = conn.execute(
            select(events.c.pk, *columns)
            .where(events.c.seq.is_(None))
            .order_by(events.c.pk)
            .limit(batch)
        ).all()
        if not rows:
            return 0
        updates = []
        for row in rows:
            seq += 1
            values = (seq, *row[1:], prev)
            prev = event_hash(values)
            updates.append({"b_pk": row.pk, "b_seq": seq, "b_prev": values[-1], "b_hash": prev})
        conn.execute(
            update(events)
            .where(events.c.pk == bindparam("b_pk"))
            .values(
                seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), hash=bindparam("b_hash")
            ),
            updates,
        )
        return len(rows)


def seal_all(db: Database) -> int:
    total = 0
    while sealed := seal_pending(db):
        total += sealed
    return total


@dataclass(frozen=True)
class Verification:
    valid: bool
    count: int
    head: Head | None
    unsealed: int
    first_invalid_seq: int | None = None
    reason: str | None = None


def walk(
    rows: Iterable[Sequence[Any]], *, start_seq: int = 1, prev: str = GENESIS
) -> Iterator[tuple[int, str, datetime, str | None]]:
    """Check rows (CHAIN_COLUMNS + hash, by seq) one by one; yields (seq, hash, at, problem)."""
    expected = start_seq
    for row in rows:
        seq, stored = row[0], row[-1]
        values = row[:-1]
        if seq != expected:
            yield expected, stored, row[_AT], "missing_event"
            return
        if values[-1] != prev:
            yield seq, stored, row[_AT], "broken_link"
            return
        if event_hash(values) != stored:
            yield seq, stored, row[_AT], "altered_event"
            return
        yield seq, stored, row[_AT], None
        prev = stored
        expected += 1


def chain_rows(conn: Connection, after_seq: int = 0) -> CursorResult[Any]:
    """The sealed events after `after_seq` in chain order, streamed (close the result)."""
    columns = [events.c[name] for name in CHAIN_COLUMNS] + [events.c.hash]
    return conn.execution_options(stream_results=True, yield_per=5000).execute(
        select(*columns).where(events.c.seq > after_seq).order_by(events.c.seq)
    )


def verify(db: Database, *, after: Head | None = None) -> Verification:
    """Walk the chain (from `after`, a head already known good, or from the start)."""
    with db.engine.connect() as conn:
        unsealed = conn.execute(
            select(func.count()).select_from(events).where(events.c.seq.is_(None))
        ).scalar_one()
        head = after
        count = after.seq if after else 0
        start_seq = (after.seq + 1) if after else 1
        prev = after.hash if after else GENESIS
        if after is not None and not _head_matches(conn, after):
            return Verification(False, count, None, unsealed, after.seq, "checkpoint_mismatch")
        rows = chain_rows(conn, start_seq - 1)
        try:
            for seq, stored, at, problem in walk(rows, start_seq=start_seq, prev=prev):
                if problem:
                    return Verification(False, count, head, unsealed, seq, problem)
                head = Head(seq, stored, at)
                count = seq
        finally:
            rows.close()
        return Verification(True, count, head, unsealed)


def _head_matches(conn: Connection, head: Head) -> bool:
    stored = conn.execute(select(events.c.hash).where(events.c.seq == head.seq)).scalar()
    return stored == head.hash
