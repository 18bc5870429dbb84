"""The reads on the hot path, run as fixed SQL on the unit of work's DBAPI connection.

Every authorized `GET /v1/signals/{id}` checks its caller and reads the signal and the other
live signals about the child. Through the ORM each of those costs ten to twenty times what the
statement costs on SQLite, through Core several times; here they are plain SQL, the same text on
SQLite and PostgreSQL, decoded into small named tuples that the rest of the code reads by
attribute like the ORM rows (both satisfy the Protocols of signals.access). Columns are labelled
in the SQL and mapped to the tuples' fields by those labels, never by position. What is decided
about the rows is the same code everywhere; only the fetching lives here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy.orm import Session

from records.live import live_sql

_NAMED = re.compile(r":(\w+)")
Row = tuple[Any, ...]
N = TypeVar("N", bound=NamedTuple)


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

    def rows(self, sql: Statement, params: dict[str, Any]) -> tuple[list[str], list[Row]]:
        """The column labels and the rows."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql.sqlite if self.sqlite else sql.postgresql, params)
            labels = [column[0] for column in cursor.description]
            return labels, list(cursor.fetchall())
        finally:
            cursor.close()

    def moment(self, value: datetime) -> Any:
        """A datetime as a parameter, in the form the column stores (see records.types)."""
        if self.sqlite:
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return value


class Statement(NamedTuple):
    sqlite: str
    postgresql: str


def statement(text: str) -> Statement:
    """(SQLite, PostgreSQL) spellings of one statement written with :named parameters."""
    return Statement(text, _NAMED.sub(r"%(\1)s", text))


def _moment(value: Any) -> datetime | None:
    """A stored datetime as an aware UTC one (SQLite hands back the stored text)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _blob(value: Any) -> bytes | None:
    return bytes(value) if value is not None else None


class Decoder:
    """Builds one kind of named tuple from rows whose columns are labelled `<prefix><field>`:
    the positions are looked up by label once per statement, then reused for every row."""

    def __init__(self, kind: type[Any], prefix: str, convert: dict[str, Any]) -> None:
        self.kind, self.prefix, self.convert = kind, prefix, convert
        self._positions: dict[tuple[str, ...], list[int]] = {}

    def positions(self, labels: Sequence[str]) -> list[int]:
        key = tuple(labels)
        found = self._positions.get(key)
        if found is None:
            lowered = [label.lower() for label in labels]
            found = [lowered.index(self.prefix + name) for name in self.kind._fields]
            self._positions[key] = found
        return found

    def __call__(self, row: Row, positions: list[int]) -> Any:
        values = [row[i] for i in positions]
        for index, name in enumerate(self.kind._fields):
            conversion = self.convert.get(name)
            if conversion is not None:
                values[index] = conversion(values[index])
        return self.kind(*values)


class CallerRow(NamedTuple):
    status: str
    partner_id: str
    role: str
    partner_status: str
    kind: str
    revoked: str | None
    policy_epoch: int | None


_CALLER = statement(
    "SELECT c.status AS c_status, c.partner_id AS c_partner_id, c.role AS c_role,"
    " p.status AS c_partner_status, p.kind AS c_kind,"
    " (SELECT r.jti FROM revoked_tokens r WHERE r.jti = :jti) AS c_revoked,"
    " (SELECT e.value FROM epochs e WHERE e.name = 'policy') AS c_policy_epoch"
    " FROM clients c JOIN partners p ON p.id = c.partner_id WHERE c.id = :client_id"
)
_caller = Decoder(CallerRow, "c_", {})


def caller_row(raw: Raw, client_id: str, jti: str) -> CallerRow | None:
    labels, rows = raw.rows(_CALLER, {"client_id": client_id, "jti": jti})
    if not rows:
        return None
    decoded: CallerRow = _caller(rows[0], _caller.positions(labels))
    return decoded


class SignalRow(NamedTuple):
    """A signal as the read of one signal needs it: metadata, content, its wrapped data key."""

    id: str
    sender: str
    purpose: str
    category: str
    urgency: str
    status: str
    subject_index: str
    subject_ref: str
    subject_tag: str | None
    agreement_id: str
    agreement_version: int
    data_key_id: str | None
    data_key_version: int
    subject: bytes | None
    summary: bytes | None
    details: bytes | None
    contact: bytes | None
    sender_professional: bytes | None
    informing: bytes | None
    informing_status: str
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    erased_at: datetime | None
    revision: int
    restriction_reason: str | None
    restricted_at: datetime | None
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
    subject_tag: str | None
    agreement_id: str
    agreement_version: int
    created_at: datetime
    expires_at: datetime
    erased_at: datetime | None
    revision: int
    restriction_reason: str | None
    restricted_at: datetime | None


class RecipientRow(NamedTuple):
    partner_id: str
    status: str
    legal_basis: str
    agreement_id: str
    agreement_version: int
    updated_at: datetime


_CONTENT = (
    "subject",
    "summary",
    "details",
    "contact",
    "sender_professional",
    "informing",
    "wrapped",
)
_TIMES = ("created_at", "updated_at", "expires_at", "erased_at", "restricted_at")
_signal = Decoder(
    SignalRow, "t_", {**dict.fromkeys(_CONTENT, _blob), **dict.fromkeys(_TIMES, _moment)}
)
_live = Decoder(LiveSignal, "s_", dict.fromkeys(_TIMES, _moment))
_recipient = Decoder(RecipientRow, "r_", {"updated_at": _moment})

_LIVE_COLUMNS = (
    "s.id AS s_id, s.sender AS s_sender, s.purpose AS s_purpose, s.category AS s_category,"
    " s.urgency AS s_urgency, s.status AS s_status, s.subject_index AS s_subject_index,"
    " s.subject_ref AS s_subject_ref, s.subject_tag AS s_subject_tag,"
    " s.agreement_id AS s_agreement_id,"
    " s.agreement_version AS s_agreement_version, s.created_at AS s_created_at,"
    " s.expires_at AS s_expires_at, s.erased_at AS s_erased_at,"
    " s.revision AS s_revision, s.restriction_reason AS s_restriction_reason,"
    " s.restricted_at AS s_restricted_at,"
    " r.partner_id AS r_partner_id, r.status AS r_status, r.legal_basis AS r_legal_basis,"
    " r.agreement_id AS r_agreement_id, r.agreement_version AS r_agreement_version,"
    " r.updated_at AS r_updated_at"
)

Live = tuple[LiveSignal, list[RecipientRow]]

_LIVE = statement(
    f"SELECT {_LIVE_COLUMNS}"
    " FROM signals s LEFT JOIN signal_recipients r ON r.signal_id = s.id"
    f" WHERE s.subject_index = :subject_index AND {live_sql('s')}"
    " ORDER BY s.id"
)


def _gather(labels: list[str], rows: list[Row]) -> list[Live]:
    """The live signals (oldest first) and their recipients, from rows that join them."""
    signals: dict[str, LiveSignal] = {}
    recipients: dict[str, list[RecipientRow]] = defaultdict(list)
    live_at, recipient_at = _live.positions(labels), _recipient.positions(labels)
    key_at, partner_at = live_at[0], recipient_at[0]
    for row in rows:
        key = row[key_at]
        if key is None:
            continue
        if key not in signals:
            signals[key] = _live(row, live_at)
        if row[partner_at] is not None:
            recipients[key].append(_recipient(row, recipient_at))
    return [(signal, recipients[key]) for key, signal in signals.items()]


def live_about(raw: Raw, subject_index: str, now: datetime) -> list[Live]:
    """Every live signal about the child, with its recipients of record, oldest first."""
    labels, rows = raw.rows(_LIVE, {"subject_index": subject_index, "now": raw.moment(now)})
    return _gather(labels, rows)


_SIGNAL_AND_LIVE = statement(
    "SELECT t.id AS t_id, t.sender AS t_sender, t.purpose AS t_purpose,"
    " t.category AS t_category, t.urgency AS t_urgency, t.status AS t_status,"
    " t.subject_index AS t_subject_index, t.subject_ref AS t_subject_ref,"
    " t.subject_tag AS t_subject_tag,"
    " t.agreement_id AS t_agreement_id, t.agreement_version AS t_agreement_version,"
    " t.data_key_id AS t_data_key_id, t.data_key_version AS t_data_key_version,"
    # The content only once, on the row where the signal meets itself among the live ones.
    " CASE WHEN s.id = t.id THEN t.subject END AS t_subject,"
    " CASE WHEN s.id = t.id THEN t.summary END AS t_summary,"
    " CASE WHEN s.id = t.id THEN t.details END AS t_details,"
    " CASE WHEN s.id = t.id THEN t.contact END AS t_contact,"
    " CASE WHEN s.id = t.id THEN t.sender_professional END AS t_sender_professional,"
    " CASE WHEN s.id = t.id THEN t.informing END AS t_informing,"
    " t.informing_status AS t_informing_status,"
    " t.created_at AS t_created_at, t.updated_at AS t_updated_at,"
    " t.expires_at AS t_expires_at, t.erased_at AS t_erased_at,"
    " t.revision AS t_revision, t.restriction_reason AS t_restriction_reason,"
    " t.restricted_at AS t_restricted_at,"
    " CASE WHEN s.id = t.id THEN k.wrapped END AS t_wrapped, k.wrap_version AS t_wrap_version,"
    f" {_LIVE_COLUMNS}"
    " FROM signals t LEFT JOIN data_keys k ON k.id = t.data_key_id"
    f" LEFT JOIN signals s ON s.subject_index = t.subject_index AND {live_sql('s')}"
    " LEFT JOIN signal_recipients r ON r.signal_id = s.id"
    " WHERE t.id = :id ORDER BY s.id"
)


def signal_and_live(raw: Raw, signal_id: str, now: datetime) -> tuple[SignalRow | None, list[Live]]:
    """The signal with its wrapped data key, and the live signals about the same child with
    their recipients, in one round trip (the read of one signal needs both). The signal's
    content comes only when it is itself live: nobody reads it otherwise."""
    labels, rows = raw.rows(_SIGNAL_AND_LIVE, {"id": signal_id, "now": raw.moment(now)})
    if not rows:
        return None, []
    signal_at = _signal.positions(labels)
    id_at, live_id_at = labels.index("t_id"), labels.index("s_id")
    own = next((row for row in rows if row[live_id_at] == row[id_at]), rows[0])
    target: SignalRow = _signal(own, signal_at)
    return target, _gather(labels, rows)
