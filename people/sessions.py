"""Server-side sessions: the browser holds a random token, the database only its SHA-256.

A session ends when the person signs out, after `session_idle_timeout` without a request, after
`session_lifetime` whatever happens, and when the person is disabled, changes role or has their
credentials reset. An ended session is never revived: a copied cookie is worth nothing after
sign-out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from records.models import Person, PersonSession

TABLE = PersonSession.__table__  # type: ignore[attr-defined]
KEEP_ENDED = timedelta(days=1)
MAX_TOKEN = 128


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta
    lifetime: timedelta


@dataclass(frozen=True)
class SignedIn:
    """The person behind a live session: what a console page knows about who is asking."""

    person_id: str
    role: str
    display_name: str
    username: str
    method: str
    must_change_password: bool
    session_hash: str
    expires_at: datetime


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret: bytes, token: str) -> str:
    """The form token bound to one session: a MAC of the session token, so it needs no
    storage and dies with the session."""
    return hmac.new(secret, b"csrf|" + token.encode(), hashlib.sha256).hexdigest()


def csrf_matches(secret: bytes, token: str, offered: str) -> bool:
    return hmac.compare_digest(csrf_token(secret, token).encode(), offered.encode())


def open_session(
    session: Session, person: Person, *, method: str, now: datetime, timeouts: Timeouts
) -> str:
    token = new_token()
    session.add(
        PersonSession(
            token_hash=token_hash(token),
            person_id=person.id,
            method=method,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timeouts.lifetime,
        )
    )
    session.flush()
    return token


def resolve(session: Session, token: str, *, now: datetime, timeouts: Timeouts) -> SignedIn | None:
    """The live session of `token`, its idle clock reset; None when it is unknown or over (an
    idle or expired session is ended here, so it stays over)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    row = session.get(PersonSession, token_hash(token), with_for_update=True)
    if row is None or row.ended_at is not None:
        return None
    reason = None
    if now >= row.expires_at:
        reason = "expired"
    elif now - row.last_seen_at >= timeouts.idle:
        reason = "idle"
    person = session.get(Person, row.person_id)
    if reason is None and (person is None or person.status != "active"):
        reason = "disabled"
    if reason is not None or person is None:
        row.ended_at, row.end_reason = now, reason
        session.add(row)
        session.flush()
        return None
    row.last_seen_at = now
    session.add(row)
    session.flush()
    return SignedIn(
        person_id=person.id,
        role=person.role,
        display_name=person.display_name,
        username=person.username,
        method=row.method,
        must_change_password=person.password_must_change and row.method == "local",
        session_hash=row.token_hash,
        expires_at=row.expires_at,
    )


def end(session: Session, session_hash: str, *, now: datetime, reason: str) -> bool:
    row = session.get(PersonSession, session_hash, with_for_update=True)
    if row is None or row.ended_at is not None:
        return False
    row.ended_at, row.end_reason = now, reason
    session.add(row)
    session.flush()
    return True


def prune(session: Session, now: datetime) -> None:
    """Forget sessions that ended (or expired) more than a day ago."""
    session.execute(delete(TABLE).where(col(PersonSession.expires_at) < now - KEEP_ENDED))
    session.execute(delete(TABLE).where(col(PersonSession.ended_at) < now - KEEP_ENDED))


def other_sessions(session: Session, person_id: str, keep: str) -> list[str]:
    rows = session.exec(
        select(PersonSession.token_hash).where(
            PersonSession.person_id == person_id,
            col(PersonSession.ended_at).is_(None),
            PersonSession.token_hash != keep,
        )
    ).all()
    return list(rows)
