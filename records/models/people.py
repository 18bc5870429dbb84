"""People who sign in to the console, their sessions, and the counters that limit sign-in
attempts."""

from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from records.models.base import timestamp


class Person(SQLModel, table=True):
    """A personal account: one human, one role. Signs in by OpenID Connect (matched by issuer
    and `sub`) or, where local accounts are allowed, by password and TOTP."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: str = Field(primary_key=True, max_length=40)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    status: str = Field(default="active", max_length=16)
    password_hash: str | None = Field(default=None, max_length=256)
    password_must_change: bool = False
    # The TOTP secret, sealed under a master key version (records.keyring).
    totp_secret: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    totp_key_version: int | None = None
    # The last time step a code was accepted for: a code is good once within its window.
    totp_last_step: int | None = None
    oidc_issuer: str | None = Field(default=None, max_length=255)
    oidc_subject: str | None = Field(default=None, max_length=255)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    last_sign_in_at: datetime | None = timestamp(nullable=True)


class PersonSession(SQLModel, table=True):
    """A signed-in browser. Only the SHA-256 of the session token is kept: a copy of the
    database does not sign anyone in."""

    __tablename__ = "person_sessions"

    token_hash: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(foreign_key="people.id", max_length=40, index=True)
    method: str = Field(max_length=16)
    created_at: datetime = timestamp()
    last_seen_at: datetime = timestamp()
    expires_at: datetime = timestamp(index=True)
    ended_at: datetime | None = timestamp(nullable=True)
    end_reason: str | None = Field(default=None, max_length=32)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins counted per account name and per source address (both keyed hashes),
    so that guessing passwords or TOTP codes stops after a few tries."""

    __tablename__ = "sign_in_throttles"

    key: str = Field(primary_key=True, max_length=80)
    window_start: datetime = timestamp()
    failures: int = 0
    locked_until: datetime | None = timestamp(nullable=True)
    # Attempts refused while locked: counted here, not each written to the audit log.
    refused: int = 0
    updated_at: datetime = timestamp(index=True)
