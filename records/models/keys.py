"""Key material kept in the database, always encrypted under the root key or a master key."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary
from sqlmodel import Field, SQLModel

from records.models.base import timestamp


class MasterKey(SQLModel, table=True):
    """A master key version, wrapped by the root key from the environment."""

    __tablename__ = "master_keys"

    version: int = Field(primary_key=True)
    wrapped: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = timestamp()


class SigningKey(SQLModel, table=True):
    """An ES256 key that signs access tokens; the private half is wrapped by a master key."""

    __tablename__ = "signing_keys"

    kid: str = Field(primary_key=True, max_length=64)
    private_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    key_version: int = Field(index=True)
    public_jwk: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = timestamp()
    retired_at: datetime | None = timestamp(nullable=True)


class AuditKey(SQLModel, table=True):
    """An ES256 key that signs audit checkpoint lines; the private half is wrapped by a master
    key. Kept apart from token signing keys, which rotate out of JWKS within minutes, because
    a checkpoint line must stay verifiable for as long as an auditor keeps it."""

    __tablename__ = "audit_keys"

    kid: str = Field(primary_key=True, max_length=64)
    private_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    key_version: int = Field(index=True)
    public_jwk: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = timestamp()
    retired_at: datetime | None = timestamp(nullable=True)
