"""Sharing agreements: one row per agreement, one immutable row per version."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from records.models.base import timestamp

_PK = BigInteger().with_variant(Integer(), "sqlite")


class AgreementRecord(SQLModel, table=True):
    __tablename__ = "agreements"

    id: str = Field(primary_key=True, max_length=64)
    current_version: int
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class AgreementVersion(SQLModel, table=True):
    """A version as written. Its document is never updated; its `status` moves as the parties
    decide (policies.acceptance): proposed → active or rejected, active → suspended when a
    party revokes its acceptance (`status_reason` says so)."""

    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("agreement_id", "version"),)

    pk: int | None = Field(
        default=None, sa_column=Column(_PK, primary_key=True, autoincrement=True)
    )
    agreement_id: str = Field(foreign_key="agreements.id", max_length=64, index=True)
    version: int
    status: str = Field(max_length=16)
    status_reason: str | None = Field(default=None, max_length=32)
    valid_from: date
    valid_until: date | None = None
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = timestamp()
    created_by: str = Field(max_length=64)


class AgreementAcceptance(SQLModel, table=True):
    """One party's decision on one version: a statement signed over the version's content hash
    by the party's client key (`method` client), by the service for a person of the gemeente
    (`console`), or recorded by migration 0012 for agreements active before acceptance existed
    (`migration`, no signature). Revoking an acceptance sets `revoked_at`; nothing else changes."""

    __tablename__ = "agreement_acceptances"
    __table_args__ = (Index("ix_agreement_acceptances_version", "agreement_id", "version"),)

    id: str = Field(primary_key=True, max_length=36)
    agreement_id: str = Field(foreign_key="agreements.id", max_length=64)
    version: int
    partner_id: str = Field(max_length=64)
    decision: str = Field(max_length=8)
    method: str = Field(max_length=16)
    client_id: str | None = Field(default=None, max_length=64)
    person_id: str | None = Field(default=None, max_length=40)
    kid: str | None = Field(default=None, max_length=128)
    content_hash: str = Field(max_length=80)
    signature: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = timestamp()
    revoked_at: datetime | None = timestamp(nullable=True)
    revoked_by: str | None = Field(default=None, max_length=64)
