"""Sharing agreements: one row per agreement, one immutable row per version."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Integer, UniqueConstraint
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
    """A version as written; never updated. `pk` grows with every write anywhere, so its
    maximum tells a process whether its cached policy is still current."""

    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("agreement_id", "version"),)

    pk: int | None = Field(
        default=None, sa_column=Column(_PK, primary_key=True, autoincrement=True)
    )
    agreement_id: str = Field(foreign_key="agreements.id", max_length=64, index=True)
    version: int
    status: str = Field(max_length=16)
    valid_from: date
    valid_until: date | None = None
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = timestamp()
    created_by: str = Field(max_length=64)
