"""Consent records: immutable; withdrawal is a separate event. Personal data only encrypted."""

from datetime import date, datetime

from sqlalchemy import JSON, Column, LargeBinary
from sqlmodel import Field, SQLModel

from records.models.base import timestamp


class DataKey(SQLModel, table=True):
    """A record's own AES-256 key, wrapped by a master key version. Deleting it erases the
    record's encrypted fields for good (crypto-shredding)."""

    __tablename__ = "data_keys"

    id: str = Field(primary_key=True, max_length=36)
    wrapped: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    wrap_version: int = Field(index=True)
    created_at: datetime = timestamp()


class ConsentRecord(SQLModel, table=True):
    __tablename__ = "consents"

    id: str = Field(primary_key=True, max_length=36)
    subject_index: str = Field(max_length=64, index=True)
    subject_ref: str = Field(max_length=64, index=True)
    subject_tag: str | None = Field(default=None, max_length=64)
    data_key_id: str | None = Field(default=None, foreign_key="data_keys.id", max_length=36)
    data_key_version: int = 1
    subject: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    grantor_name: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    evidence_reference: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    granted_by: str = Field(max_length=16)
    evidence_method: str = Field(max_length=16)
    purposes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    recipients: list[str] = Field(sa_column=Column(JSON, nullable=False))
    categories: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    valid_from: date
    valid_until: date | None = None
    recorded_by: str = Field(foreign_key="partners.id", max_length=64, index=True)
    recorded_by_client: str = Field(max_length=64)
    created_at: datetime = timestamp()


class ConsentWithdrawal(SQLModel, table=True):
    __tablename__ = "consent_withdrawals"

    consent_id: str = Field(primary_key=True, foreign_key="consents.id", max_length=36)
    withdrawn_at: datetime = timestamp()
    withdrawn_by_client: str = Field(max_length=64)
    reason: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
