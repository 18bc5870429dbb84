"""The hash chain: sealing committed events in order, and walking the chain to verify it.

An event's `hash` is SHA-256 over the canonical JSON (sorted keys, no whitespace, UTF-8; for
these value types the same bytes as RFC 8785) of its public fields with `seq` and `prevHash`
and without `hash`. So anyone holding an export can recompute the chain without this code.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import Any, Literal

import orjson
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.engine import Connection

from core.clock import rfc3339
from records.db import Database
from records.models import AuditEvent

GENESIS = "0" * 64
# An arbitrary constant that names "the audit chain" among PostgreSQL advisory locks.
SEALER_LOCK_KEY = 0x57494A4B  # "WIJK"
SEAL_BATCH = 2000

events = AuditEvent.__table__  # type: ignore[attr-defined]

# Column order of every chain read; the hashed document is built from it positionally.
BASE_COLUMNS = (
    "seq", "id", "at", "client_id", "partner", "role", "action", "resource_type",
    "resource_id", "subject_ref", "purpose", "legal_basis", "agreement_id",
    "agreement_version", "outcome", "reason", "request_id", "ip", "prev_hash",
)  # fmt: skip
PUBLIC_NAMES = (
    "seq", "id", "at", "clientId", "partner", "role", "action", "resourceType",
    "resourceId", "subjectRef", "purpose", "legalBasis", "agreementId",
    "agreementVersion", "outcome", "reason", "requestId", "ip", "prevHash",
)  # fmt: skip
# Fields added after the first release. An event holds them in its hashed document only when
# they are set, so every event sealed before they existed keeps its hash.
OPTIONAL_COLUMNS = ("count", "actor_person", "actor_professional", "processing_activity_id")
OPTIONAL_NAMES = ("count", "actor", "processingActivityId")
CHAIN_COLUMNS = BASE_COLUMNS + OPTIONAL_COLUMNS
_SORTED = sorted(range(len(PUBLIC_NAMES)), key=lambda i: PUBLIC_NAMES[i])
_AT = CHAIN_COLUMNS.index("at")
_ROLE = CHAIN_COLUMNS.index("role")
_BASE = len(BASE_COLUMNS)


def optional_fields(
    count: int | None,
    actor_person: str | None,
    actor_professional: str | None,
    processing_activity_id: str | None,
    *,
    role: str | None,
) -> dict[str, Any]:
    """The later fields of an event as its public document holds them (absent when unset)."""
    fields: dict[str, Any] = {}
    if count is not None:
        fields["count"] = count
    if actor_person is not None:
        fields["actor"] = {"person": actor_person, "role": role}
    elif actor_professional is not None:
        fields["actor"] = {"professional": actor_professional}
    if processing_activity_id is not None:
        fields["processingActivityId"] = processing_activity_id
    return fields


def canonical(values: Sequence[Any]) -> bytes:
    """Canonical JSON of one event given in CHAIN_COLUMNS order (`at` as a datetime)."""
    document = {PUBLIC_NAMES[i]: values[i] for i in _SORTED}
    document["at"] = rfc3339(values[_AT])
    later = optional_fields(*values[_BASE:], role=values[_ROLE])
    if later:
        document.update(later)
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    return orjson.dumps(document)


def event_hash(values: Sequence[Any]) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    at: datetime


def seal_pending(db: Database, *, batch: int = SEAL_BATCH) -> int:
    """Chain committed, unsealed events in the order seen; returns how many were sealed (a
    background job's transaction, never a request's connection)."""
    with db.background_engine.begin() as conn:
        return seal_on(conn, lock=not db.is_sqlite, batch=batch)


def seal_on(conn: Connection, *, lock: bool, batch: int = SEAL_BATCH) -> int:
    """Seal one batch inside the caller's transaction.

    Only one sealer works at a time: on PostgreSQL (`lock`) an advisory lock held for the
    transaction (a second sealer returns at once), on SQLite the database's single write lock.
    """
    if (
        lock
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
    # The row read is CHAIN_COLUMNS without seq and prev_hash: seq goes first, prev_hash
    # between the base columns and the later ones.
    split = _BASE - 1
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
        values = (seq, *row[1:split], prev, *row[split:])
        link, prev = prev, event_hash(values)
        updates.append({"b_pk": row.pk, "b_seq": seq, "b_prev": link, "b_hash": prev})
    conn.execute(
        update(events)
        .where(events.c.pk == bindparam("b_pk"))
        .values(seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), hash=bindparam("b_hash")),
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
    checked_from: int = 0

    @property
    def mode(self) -> Literal["full", "incremental"]:
        """`full` when the walk began at the first event, `incremental` when at a checkpoint."""
        return "full" if self.checked_from == 0 else "incremental"


# The walk reads the hashed fields already in the canonical document's key order, with `at`
# formatted by the database exactly as rfc3339() writes it, so that a row costs one dict, one
# orjson call and one SHA-256 - no datetime, no reordering. A row whose hash does not match
# this way is checked once more through canonical() before it is called altered, so the fast
# path can never decide differently from the definition.
WALK_NAMES = tuple(PUBLIC_NAMES[i] for i in _SORTED)
_WALK_COLUMNS = tuple(BASE_COLUMNS[i] for i in _SORTED)
_W_ROLE = WALK_NAMES.index("role")
_W_SEQ = WALK_NAMES.index("seq")
_W_PREV = WALK_NAMES.index("prevHash")
_W_AT = WALK_NAMES.index("at")
_W_HASH = len(WALK_NAMES)
_AT_SQL = {
    # How SQLAlchemy stores a UTC datetime in SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff'.
    "sqlite": "replace(at, ' ', 'T') || 'Z'",
    "postgresql": "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
}
_AFTER = {"sqlite": ":after", "postgresql": "%(after)s"}
FETCH_ROWS = 10_000


# Below this many events, starting worker processes costs more than it saves.
PARALLEL_MIN = 250_000


@dataclass(frozen=True)
class _Walked:
    last: tuple[Any, ...] | None  # the last row that held
    problem: str | None = None
    problem_seq: int | None = None
    first_prev: str | None = None  # a segment's first prevHash, for linking it to the one before


def verify(
    db: Database,
    *,
    after: Head | None = None,
    workers: int = 1,
    connection: Connection | None = None,
) -> Verification:
    """Walk the sealed chain: from `after` (a checkpoint: its event is re-hashed first) or
    from the first event. Reads through the read pool, so a long walk never holds SQLite's
    writer. With `workers` > 1 a long walk is split into consecutive segments, each walked by
    its own process and then linked end to start: hashing is the cost, and it parallelises.
    On `connection` when given (a unit of work's own), else on a background connection."""
    reading = (
        nullcontext(connection) if connection is not None else db.background_read_engine.connect()
    )
    with reading as conn:
        unsealed = conn.execute(
            select(func.count()).select_from(events).where(events.c.seq.is_(None))
        ).scalar_one()
        checked_from = after.seq if after else 0
        if after is not None and not _event_hashes_to(conn, after.seq, after.hash):
            return Verification(
                False, after.seq - 1, None, unsealed, after.seq, "checkpoint_mismatch", after.seq
            )
        prev = after.hash if after else GENESIS
        last_seq = conn.execute(select(func.max(events.c.seq))).scalar() or 0
        if workers > 1 and last_seq - checked_from >= PARALLEL_MIN:
            walked = _walk_parallel(
                db, after=checked_from, upto=last_seq, prev=prev, workers=workers
            )
        else:
            walked = _walk(conn, db.dialect, expected=checked_from + 1, prev=prev)
    head = after
    if walked.last is not None:
        last = walked.last
        head = Head(last[_W_SEQ], last[_W_HASH], datetime.fromisoformat(last[_W_AT]))
    count = head.seq if head else 0
    if walked.problem is not None:
        return Verification(
            False, count, head, unsealed, walked.problem_seq, walked.problem, checked_from
        )
    return Verification(True, count, head, unsealed, checked_from=checked_from)


def _walk(
    conn: Connection, dialect: str, *, expected: int, prev: str | None, upto: int | None = None
) -> _Walked:
    """Check the chain from seq `expected` on (to `upto`, which must then be there): each
    event's seq, its link to `prev` and the one before, and its hash. With `prev` None the
    first event's link is left to the caller."""
    columns = ", ".join(_AT_SQL[dialect] if name == "at" else name for name in _WALK_COLUMNS)
    where = f"seq > {_AFTER[dialect]}" + (f" AND seq <= {int(upto)}" if upto is not None else "")
    later = ", ".join(OPTIONAL_COLUMNS)
    sql = f"SELECT {columns}, hash, {later} FROM audit_events WHERE {where} ORDER BY seq"  # noqa: S608  (constants and integers only)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    # A server-side cursor on PostgreSQL: constant memory however long the chain.
    cursor = raw.cursor(name="audit_walk", binary=True) if dialect == "postgresql" else raw.cursor()
    dumps, sha256, names = orjson.dumps, hashlib.sha256, WALK_NAMES
    last: tuple[Any, ...] | None = None
    first_prev = None
    try:
        cursor.execute(sql, {"after": expected - 1})
        while batch := cursor.fetchmany(FETCH_ROWS):
            for row in batch:
                seq = row[_W_SEQ]
                if seq != expected:
                    return _Walked(last, "missing_event", expected, first_prev)
                if row[_W_PREV] != prev:
                    if prev is not None:
                        return _Walked(last, "broken_link", seq, first_prev)
                    first_prev = row[_W_PREV]
                stored = row[_W_HASH]
                # zip stops before the stored hash and the later fields.
                fields = dict(zip(names, row, strict=False))
                if any(value is not None for value in row[_W_HASH + 1 :]):
                    fields.update(optional_fields(*row[_W_HASH + 1 :], role=row[_W_ROLE]))
                    document = dumps(fields, option=orjson.OPT_SORT_KEYS)
                else:
                    document = dumps(fields)
                if sha256(document).hexdigest() != stored and (
                    not _event_hashes_to(conn, seq, stored)
                ):
                    return _Walked(last, "altered_event", seq, first_prev)
                prev = stored
                expected += 1
                last = row
    finally:
        cursor.close()
    if upto is not None and expected != upto + 1:
        return _Walked(last, "missing_event", expected, first_prev)
    return _Walked(last, first_prev=first_prev)


def _walk_segment(url: str, after: int, upto: int) -> _Walked:
    """One segment, in a worker process of its own."""
    db = Database(url)
    try:
        with db.read_engine.connect() as conn:
            return _walk(conn, db.dialect, expected=after + 1, prev=None, upto=upto)
    finally:
        db.dispose()


def _walk_parallel(db: Database, *, after: int, upto: int, prev: str, workers: int) -> _Walked:
    size = -(-(upto - after) // workers)
    bounds = [(low, min(low + size, upto)) for low in range(after, upto, size)]
    url = db.url.render_as_string(hide_password=False)
    # Spawned, not forked: the caller may be a threaded server.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(bounds), mp_context=context) as pool:
        lows, highs = zip(*bounds, strict=True)
        parts = list(pool.map(_walk_segment, repeat(url), lows, highs))
    last = None
    for (low, _), part in zip(bounds, parts, strict=True):
        if part.problem == "missing_event" and part.problem_seq == low + 1:
            return _Walked(last, part.problem, part.problem_seq)
        if part.first_prev != prev:
            return _Walked(last, "broken_link", low + 1)
        if part.problem is not None:
            return _Walked(part.last or last, part.problem, part.problem_seq)
        last = part.last
        assert last is not None
        prev = last[_W_HASH]
    return _Walked(last)


def _event_hashes_to(conn: Connection, seq: int, expected: str) -> bool:
    """Whether the stored event `seq` exists, is stored with hash `expected`, and its fields
    (read and typed the ordinary way) hash to it."""
    columns = [events.c[name] for name in CHAIN_COLUMNS]
    row = conn.execute(select(*columns, events.c.hash).where(events.c.seq == seq)).first()
    if row is None:
        return False
    values, stored = tuple(row[:-1]), row[-1]
    return stored == expected and event_hash(values) == expected
