"""The audit log: one row per request, hash-chained by the sealer after commit."""

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, text
from sqlmodel import Field, SQLModel

from records.models.base import timestamp

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL wants a bigint.
_PK = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index(
            "ix_audit_events_unsealed",
            "pk",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
    )

    pk: int | None = Field(
        default=None, sa_column=Column(_PK, primary_key=True, autoincrement=True)
    )
    id: str = Field(max_length=36, unique=True)
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True, nullable=True))
    at: datetime = timestamp()
    client_id: str | None = Field(default=None, max_length=64)
    partner: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=16)
    action: str = Field(max_length=64)
    resource_type: str | None = Field(default=None, max_length=32)
    resource_id: str | None = Field(default=None, max_length=128)
    subject_ref: str | None = Field(default=None, max_length=64)
    purpose: str | None = Field(default=None, max_length=64)
    legal_basis: str | None = Field(default=None, max_length=32)
    agreement_id: str | None = Field(default=None, max_length=64)
    agreement_version: int | None = None
    outcome: str = Field(max_length=8)
    reason: str | None = Field(default=None, max_length=255)
    request_id: str | None = Field(default=None, max_length=128)
    ip: str | None = Field(default=None, max_length=64)
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)
