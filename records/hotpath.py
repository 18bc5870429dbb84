"""The reads on the hot path, run as fixed SQL on the DBAPI connection.

Every authorized `GET /v1/signals/{id}` checks its caller and reads the signal and the other
live signals about the child. Through the ORM each of those costs ten to twenty times what the
statement costs on SQLite, through Core several times; here they are plain SQL, the same text on
SQLite and PostgreSQL, decoded into small named tuples that the rest of the code reads by
attribute like the ORM rows. What is decided about the rows is the same code everywhere; only
the fetching lives here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

_NAMED = re.compile(r":(\w+)")


class Raw:
    """A DBAPI connection and how to speak to it."""

    __slots__ = ("connection", "sqlite")

    def __init__(self, connection: Any, *, sqlite: bool) -> None:
        self.connection, self.sqlite = connection, sqlite

    @classmethod
    def of(cls, session: Session) -> Raw:
        """The DBAPI connection under a session, inside the session's transaction."""
        connection = session.connection()
        return cls(
            connection.connection.driver_connection, sqlite=connection.dialect.name == "sqlite"
        )

    def rows(self, sql: tuple[str, str], params: dict[str, Any]) -> list[tuple[Any, ...]]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql[0] if self.sqlite else sql[1], params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def moment(self, value: datetime) -> Any:
        """A datetime as a parameter, in the form the column stores (see records.types)."""
        if self.sqlite:
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return value


def _sql(text: str) -> tuple[str, str]:
    """(SQLite, PostgreSQL) spellings of one statement written with :named parameters."""
    return text, _NAMED.sub(r"%(\1)s", text)


def _moment(value: Any) -> Any:
    """A stored datetime as an aware UTC one (SQLite hands back the stored text)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


class CallerRow(NamedTuple):
    status: str
    partner_id: str
    role: str
    partner_status: str
    kind: str
    revoked: str | None
    policy_epoch: int | None


_CALLER = _sql(
    "SELECT c.status, c.partner_id, c.role, p.status, p.kind,"
    " (SELECT r.jti FROM revoked_tokens r WHERE r.jti = :jti),"
    " (SELECT e.value FROM epochs e WHERE e.name = 'policy')"
    " FROM clients c JOIN partners p ON p.id = c.partner_id WHERE c.id = :client_id"
)


def caller_row(raw: Raw, client_id: str, jti: str) -> CallerRow | None:
    rows = raw.rows(_CALLER, {"client_id": client_id, "jti": jti})
    return CallerRow(*rows[0]) if rows else None


class SignalRow(NamedTuple):
    id: str
    sender: str
    purpose: str
    category: str
    urgency: str
    status: str
    subject_index: str
    subject_ref: str
    agreement_id: str
    agreement_version: int
    data_key_id: str | None
    data_key_version: int
    subject: bytes | None
    summary: bytes | None
    details: bytes | None
    contact: bytes | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    erased_at: datetime | None
    wrapped: bytes | None
    wrap_version: int | None


class LiveSignal(NamedTuple):
    """A live signal's metadata (no content)."""

    id: str
    sender: str
    purpose: str
    category: str
    urgency: str
    status: str
    subject_index: str
    subject_ref: str
    agreement_id: str
    agreement_version: int
    created_at: datetime
    expires_at: datetime


class RecipientRow(NamedTuple):
    partner_id: str
    status: str
    legal_basis: str
    agreement_id: str
    agreement_version: int
    updated_at: datetime


_LIVE = _sql(
    "SELECT s.id, s.sender, s.purpose, s.category, s.urgency, s.status, s.subject_index,"
    " s.subject_ref, s.agreement_id, s.agreement_version, s.created_at, s.expires_at,"
    " r.partner_id, r.status, r.legal_basis, r.agreement_id, r.agreement_version, r.updated_at"
    " FROM signals s LEFT JOIN signal_recipients r ON r.signal_id = s.id"
    " WHERE s.subject_index = :subject_index AND s.erased_at IS NULL AND s.expires_at > :now"
    " ORDER BY s.id"
)


def live_about(
    raw: Raw, subject_index: str, now: datetime
) -> list[tuple[LiveSignal, list[RecipientRow]]]:
    """Every signal about the child neither erased nor past its retention, with its
    recipients of record, oldest first."""
    signals: dict[str, LiveSignal] = {}
    recipients: dict[str, list[RecipientRow]] = defaultdict(list)
    for row in raw.rows(_LIVE, {"subject_index": subject_index, "now": raw.moment(now)}):
        key = row[0]
        # mypy cannot tell a slice's length, so it counts too many arguments (call-arg).
        if key not in signals:
            signals[key] = LiveSignal(*row[:10], _moment(row[10]), _moment(row[11]))  # type: ignore[call-arg]
        if row[12] is not None:
            recipients[key].append(RecipientRow(*row[12:17], _moment(row[17])))  # type: ignore[call-arg]
    return [(signal, recipients[key]) for key, signal in signals.items()]


_SIGNAL_AND_LIVE = _sql(
    "SELECT t.id, t.sender, t.purpose, t.category, t.urgency, t.status, t.subject_index,"
    " t.subject_ref, t.agreement_id, t.agreement_version, t.data_key_id, t.data_key_version,"
    # The content only once, on the row of the signal itself (it is live when it is read).
    " CASE WHEN s.id = t.id THEN t.subject END, CASE WHEN s.id = t.id THEN t.summary END,"
    " CASE WHEN s.id = t.id THEN t.details END, CASE WHEN s.id = t.id THEN t.contact END,"
    " t.created_at, t.updated_at, t.expires_at, t.erased_at,"
    " CASE WHEN s.id = t.id THEN k.wrapped END, k.wrap_version,"
    " s.id, s.sender, s.purpose, s.category, s.urgency, s.status, s.subject_index,"
    " s.subject_ref, s.agreement_id, s.agreement_version, s.created_at, s.expires_at,"
    " r.partner_id, r.status, r.legal_basis, r.agreement_id, r.agreement_version, r.updated_at"
    " FROM signals t LEFT JOIN data_keys k ON k.id = t.data_key_id"
    " LEFT JOIN signals s ON s.subject_index = t.subject_index AND s.erased_at IS NULL"
    " AND s.expires_at > :now"
    " LEFT JOIN signal_recipients r ON r.signal_id = s.id"
    " WHERE t.id = :id ORDER BY s.id"
)


def signal_and_live(
    raw: Raw, signal_id: str, now: datetime
) -> tuple[SignalRow | None, list[tuple[LiveSignal, list[RecipientRow]]]]:
    """The signal with its wrapped data key, and the live signals about the same child with
    their recipients, in one round trip (the read of one signal needs both)."""
    rows = raw.rows(_SIGNAL_AND_LIVE, {"id": signal_id, "now": raw.moment(now)})
    if not rows:
        return None, []
    # The signal's own columns are on every row; its content only on the row where it meets
    # itself among the live signals (none when it is no longer live: then nobody reads it).
    target = list(rows[0][:22])
    own = next((row for row in rows if row[22] == row[0]), None)
    for index in (12, 13, 14, 15, 20):
        target[index] = own[index] if own is not None else None
    signals: dict[str, LiveSignal] = {}
    recipients: dict[str, list[RecipientRow]] = defaultdict(list)
    for row in rows:
        key = row[22]
        if key is None:
            continue
        # mypy cannot tell a slice's length, so it counts too many arguments (call-arg).
        if key not in signals:
            signals[key] = LiveSignal(*row[22:32], _moment(row[32]), _moment(row[33]))  # type: ignore[call-arg]
        if row[34] is not None:
            recipients[key].append(RecipientRow(*row[34:39], _moment(row[39])))  # type: ignore[call-arg]
    for index in (16, 17, 18, 19):
        target[index] = _moment(target[index])
    for index in (12, 13, 14, 15, 20):
        target[index] = bytes(target[index]) if target[index] is not None else None
    return SignalRow(*target), [(signal, recipients[key]) for key, signal in signals.items()]
