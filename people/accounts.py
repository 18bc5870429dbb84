"""Personal accounts: provisioned by an operator or administrator, never by the person."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.errors import Conflict, Invalid, NotFound
from people import totp
from records.keyring import Keyring
from records.models import Person, PersonSession

Role = Literal["admin", "auditor", "policymaker"]
ROLES: tuple[Role, ...] = get_args(Role)
Status = Literal["active", "disabled"]

ROLE_NAMES: dict[str, str] = {
    "admin": "beheerder",
    "auditor": "auditor",
    "policymaker": "beleidsmedewerker",
}

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# The name authenticator apps show beside the code.
TOTP_ISSUER = "wijkdeel"
MIN_PASSWORD = 12
MAX_PASSWORD = 256


def new_person_id() -> str:
    return "ps_" + secrets.token_hex(10)


def one_time_password() -> str:
    """A password the operator hands over once; the person must choose their own at first
    sign-in. 20 characters from a 32-letter alphabet without look-alikes: 100 bits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(20))
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


def check_username(username: str) -> str:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise Invalid(
            "a username is 2 to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
            code="invalid_username",
            invalid_params=[{"in": "body", "name": "username", "code": "pattern"}],
        )
    return username


def check_display_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 200:
        raise Invalid(
            "a display name is 1 to 200 characters",
            code="invalid_display_name",
            invalid_params=[{"in": "body", "name": "displayName", "code": "length"}],
        )
    return name


def check_role(role: str) -> Role:
    for known in ROLES:
        if role == known:
            return known
    raise Invalid(
        f"a role is one of {', '.join(ROLES)}",
        code="invalid_role",
        invalid_params=[{"in": "body", "name": "role", "code": "enum"}],
    )


def check_new_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters",
            code="weak_password",
            invalid_params=[{"in": "body", "name": "password", "code": "length"}],
        )
    return password


@dataclass(frozen=True)
class Credentials:
    """What an operator hands to a person once: never stored in the clear, never shown again."""

    password: str
    totp_secret: str
    totp_uri: str


def get_person(session: Session, person_id: str) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("no person with this id", code="person_not_found")
    return person


def find_person(session: Session, handle: str) -> Person:
    """A person by id (ps_…) or by username: what an operator types."""
    if handle.startswith("ps_"):
        return get_person(session, handle)
    person = session.exec(select(Person).where(Person.username == handle.strip().lower())).first()
    if person is None:
        raise NotFound("no person with this username", code="person_not_found")
    return person


def list_people(session: Session) -> list[Person]:
    return list(session.exec(select(Person).order_by(col(Person.username))).all())


def add_person(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: str,
    now: datetime,
) -> Person:
    person = Person(
        id=new_person_id(),
        username=check_username(username),
        display_name=check_display_name(display_name),
        role=check_role(role),
        status="active",
        created_at=now,
        updated_at=now,
    )
    if session.exec(select(Person.id).where(Person.username == person.username)).first():
        raise Conflict("a person with this username exists", code="person_exists")
    session.add(person)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("a person with this username exists", code="person_exists") from None
    return person


def set_local_credentials(
    session: Session,
    person: Person,
    *,
    password: str,
    password_hash: str,
    must_change: bool,
    keyring: Keyring,
    now: datetime,
) -> Credentials:
    """Give a person a password (hashed by the caller, outside the transaction) and a fresh
    TOTP secret; end their sessions."""
    secret = totp.new_secret()
    person.password_hash = password_hash
    person.password_must_change = must_change
    person.totp_key_version, person.totp_secret = totp.seal(keyring, person.id, secret)
    person.totp_last_step = None
    person.updated_at = now
    session.add(person)
    end_sessions(session, person.id, now=now, reason="credentials_reset")
    session.flush()
    return Credentials(
        password=password,
        totp_secret=secret,
        totp_uri=totp.provisioning_uri(secret, account=person.username, issuer=TOTP_ISSUER),
    )


def set_status(session: Session, person: Person, status: Status, *, now: datetime) -> Person:
    person.status = status
    person.updated_at = now
    session.add(person)
    if status == "disabled":
        end_sessions(session, person.id, now=now, reason="disabled")
    session.flush()
    return person


def set_role(session: Session, person: Person, role: str, *, now: datetime) -> Person:
    person.role = check_role(role)
    person.updated_at = now
    session.add(person)
    # A session carries the role it was opened with in no cookie, but a person whose rights
    # shrink should sign in again rather than keep pages open under the old role.
    end_sessions(session, person.id, now=now, reason="role_changed")
    session.flush()
    return person


def link_oidc(
    session: Session, person: Person, *, issuer: str, subject: str, now: datetime
) -> Person:
    issuer, subject = issuer.strip().rstrip("/"), subject.strip()
    if not issuer.startswith(("https://", "http://")) or len(issuer) > 255:
        raise Invalid("the issuer is an http(s) URL of at most 255 characters", code="bad_issuer")
    if not 1 <= len(subject) <= 255:
        raise Invalid("the subject is 1 to 255 characters", code="bad_subject")
    taken = session.exec(
        select(Person.id).where(Person.oidc_issuer == issuer, Person.oidc_subject == subject)
    ).first()
    if taken is not None and taken != person.id:
        raise Conflict("another person is linked to this subject", code="subject_taken")
    person.oidc_issuer, person.oidc_subject = issuer, subject
    person.updated_at = now
    session.add(person)
    session.flush()
    return person


def end_sessions(session: Session, person_id: str, *, now: datetime, reason: str) -> int:
    rows = session.exec(
        select(PersonSession).where(
            PersonSession.person_id == person_id, col(PersonSession.ended_at).is_(None)
        )
    ).all()
    for row in rows:
        row.ended_at, row.end_reason = now, reason
        session.add(row)
    return len(rows)
