"""The professionals partner systems act for, kept sealed per partner and professional.

An actor token describes its professional anew each time; the latest description is kept
here (upserted when a token is issued), sealed under the row's own data key, and a signal
copies it when that professional sends one. The access token itself names only the id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from records.fields import DataKeyHandle, load_data_key, new_data_key
from records.keyring import KeyringStore
from records.models import Professional

FIELD = "details"


def _record_id(partner_id: str, sub: str) -> str:
    return f"professional:{partner_id}/{sub}"


def remember(
    session: Session,
    keyrings: KeyringStore,
    *,
    partner_id: str,
    sub: str,
    details: dict[str, str],
    now: datetime,
) -> None:
    """Keep the latest description of a partner's professional (in the caller's transaction)."""
    plain = orjson.dumps(details)
    row = session.get(Professional, (partner_id, sub))
    if row is not None and _update(session, keyrings, row, plain, now):
        return
    try:
        with session.begin_nested():
            # The key in the same savepoint: a lost race leaves no key behind.
            key = new_data_key(session, keyrings.get(), now)
            session.add(
                Professional(
                    partner_id=partner_id,
                    sub=sub,
                    data_key_id=key.id,
                    details=key.seal(_record_id(partner_id, sub), FIELD, plain),
                    first_seen_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:
        # Another token request for the same professional inserted it first: describe it anew.
        row = session.get(Professional, (partner_id, sub))
        if row is None or not _update(session, keyrings, row, plain, now):
            raise


def _update(
    session: Session, keyrings: KeyringStore, row: Professional, plain: bytes, now: datetime
) -> bool:
    key = load_data_key(session, keyrings, row.data_key_id)
    if key is None:
        return False
    row.details = key.seal(_record_id(row.partner_id, row.sub), FIELD, plain)
    row.updated_at = now
    session.add(row)
    session.flush()
    return True


def details_of(
    session: Session, keyrings: KeyringStore, partner_id: str, sub: str
) -> dict[str, Any] | None:
    """The latest description of a professional, or None when it is not (or no longer) kept."""
    row = session.get(Professional, (partner_id, sub))
    if row is None:
        return None
    key: DataKeyHandle | None = load_data_key(session, keyrings, row.data_key_id)
    if key is None:
        return None
    opened: dict[str, Any] = orjson.loads(key.open(_record_id(partner_id, sub), FIELD, row.details))
    return opened
