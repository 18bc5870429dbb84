"""Reading the sealed log for auditors: filters, pages by seq, and chunks for exports.

Only sealed events are read, in chain order, and pages are keyed by `seq`: a sealed event never
changes its `seq` and new ones only ever get higher ones, so paging while events are appended
skips nothing and repeats nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from audit import chain
from audit.chain import BASE_COLUMNS, OPTIONAL_COLUMNS, OPTIONAL_NAMES, PUBLIC_NAMES, events
from core.clock import rfc3339
from records.pages import Page, decode_seq_cursor, encode_cursor

# The public fields in the order of API.md, then the later ones (absent from an event that does
# not hold them); all of them are CSV columns.
FIELDS = (*PUBLIC_NAMES, "hash")
CSV_FIELDS = (*FIELDS, *OPTIONAL_NAMES)
_COLUMNS = [events.c[name] for name in (*BASE_COLUMNS, "hash", *OPTIONAL_COLUMNS)]
_AT = FIELDS.index("at")
_ROLE = FIELDS.index("role")
_LATER = len(FIELDS)
EXPORT_CHUNK = 2000
# The event each change of informing leaves (signals.informing); its reason is
# `informing:<status>`, which is what the `informing` filter reads.
INFORMING_ACTION = "signal.informing"
# How much an auditor's read seals itself before reading (the worker normally has done it).
SEAL_BATCHES = 5


@dataclass(frozen=True)
class EventFilter:
    partner: str | None = None
    client_id: str | None = None
    action: str | None = None
    outcome: str | None = None
    subject_ref: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    informing: str | None = None
    """Only the events that record informing the family (`signal.informing`) in this state."""

    def conditions(self) -> list[ColumnElement[bool]]:
        where = [events.c.seq.is_not(None)]
        for column, value in (
            (events.c.partner, self.partner),
            (events.c.client_id, self.client_id),
            (events.c.action, self.action),
            (events.c.outcome, self.outcome),
            (events.c.subject_ref, self.subject_ref),
        ):
            if value is not None:
                where.append(column == value)
        if self.informing is not None:
            where.append(events.c.action == INFORMING_ACTION)
            where.append(events.c.reason == f"informing:{self.informing}")
        if self.since is not None:
            where.append(events.c.at >= self.since)
        if self.until is not None:
            where.append(events.c.at < self.until)
        return where

    def describe(self) -> str:
        """The filters as an audit reason: identifiers and times only (the subject goes in the
        event's own subjectRef)."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("partner", self.partner),
                ("clientId", self.client_id),
                ("action", self.action),
                ("outcome", self.outcome),
                ("informing", self.informing),
                ("since", rfc3339(self.since) if self.since else None),
                ("until", rfc3339(self.until) if self.until else None),
            )
            if value is not None
        ]
        return " ".join(parts)


@dataclass(frozen=True)
class Bounds:
    """Seq bounds that a time window implies exactly: every event with `at` >= since has a
    seq >= `low`, every one with `at` < until a seq <= `high` (None: not worth computing)."""

    low: int | None = None
    high: int | None = None


def bounds(connection: Session | Connection, where: EventFilter) -> Bounds:
    """Events lie in the chain roughly in time order, which a planner reading by seq cannot
    know: it would walk the whole log up to a recent window. So the seq where the window
    begins (or ends) is looked up first - by an index on (at, seq), and only when the part of
    the log it has to look through is the smaller half."""
    if where.since is None and where.until is None:
        return Bounds()
    first = connection.execute(select(func.min(events.c.at))).scalar()
    last = connection.execute(select(func.max(events.c.at))).scalar()
    if first is None or last is None:
        return Bounds()
    middle = first + (last - first) / 2
    # `seq + 0`: a bare min(seq) would be planned as a walk along the seq index until the
    # first row in the window - the very walk this avoids.
    seq = events.c.seq + literal_column("0")
    low = high = None
    if where.since is not None and where.since > middle:
        low = connection.execute(select(func.min(seq)).where(events.c.at >= where.since)).scalar()
        if low is None:
            return Bounds(1, 0)  # nothing that late: an empty window
    if where.until is not None and where.until <= middle:
        high = connection.execute(select(func.max(seq)).where(events.c.at < where.until)).scalar()
        if high is None:
            return Bounds(1, 0)
    return Bounds(low, high)


def statement(
    where: EventFilter, *, after: int = 0, upto: int | None = None, within: Bounds = Bounds()
) -> Select[Any]:
    # One lower and one upper bound: SQLite ranges an index scan by one of each only.
    floor = max(after, within.low - 1) if within.low is not None else after
    query = select(*_COLUMNS).where(*where.conditions(), events.c.seq > floor)
    ceilings = [bound for bound in (upto, within.high) if bound is not None]
    if ceilings:
        query = query.where(events.c.seq <= min(ceilings))
    return query.order_by(events.c.seq)


def public(row: Sequence[Any]) -> dict[str, Any]:
    """One event as the API shows it; `at` in exactly the form it was hashed in."""
    item = dict(zip(FIELDS, row[:_LATER], strict=True))
    item["at"] = rfc3339(row[_AT])
    item.update(chain.optional_fields(*row[_LATER:], role=row[_ROLE]))
    return item


def after_cursor(cursor: str | None) -> int:
    return 0 if cursor is None else decode_seq_cursor(cursor)


def page(
    session: Session, where: EventFilter, *, cursor: str | None, limit: int
) -> Page[dict[str, Any]]:
    query = statement(where, after=after_cursor(cursor), within=bounds(session, where))
    rows = session.execute(query.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].seq) if more and rows else None
    return Page([public(row) for row in rows], next_cursor)


def last_seq(session: Session) -> int:
    return int(session.execute(select(func.max(events.c.seq))).scalar() or 0)


def seal_recent(session: Session, *, lock: bool) -> int:
    """Seal what has been committed so far, in the request's transaction, so that a read shows
    every event up to this request even if no worker runs; a large backlog is left to the
    worker."""
    connection = session.connection()
    sealed = 0
    for _ in range(SEAL_BATCHES):
        batch = chain.seal_on(connection, lock=lock)
        sealed += batch
        if batch < chain.SEAL_BATCH:
            break
    return sealed


@dataclass
class Export:
    """An export in progress: what is left to read, a chunk at a time, each chunk in its own
    short read (constant memory, and never SQLite's writer)."""

    where: EventFilter
    after: int
    upto: int
    size: int = 0  # 0: EXPORT_CHUNK
    within: Bounds | None = None
    done: bool = False

    def next_chunk(self, connection: Session | Connection) -> list[dict[str, Any]]:
        if self.done or self.after >= self.upto:
            self.done = True
            return []
        self.within = self.within or bounds(connection, self.where)
        size = self.size or EXPORT_CHUNK
        query = statement(self.where, after=self.after, upto=self.upto, within=self.within)
        rows = connection.execute(query.limit(size)).all()
        if len(rows) < size:
            self.done = True
        if rows:
            self.after = rows[-1].seq
        return [public(row) for row in rows]
