"""Care signals: content sealed per field, recipients of record, tombstones after erasure."""

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from records.models.base import timestamp


class Signal(SQLModel, table=True):
    __tablename__ = "signals"
    __table_args__ = (
        Index("ix_signals_sender_created", "sender", "id"),
        # Covers the policymaker's figures: a year of signals is read from this index alone,
        # not from the rows with their sealed content.
        Index("ix_signals_figures", "created_at", "sender", "category", "purpose"),
    )

    # Time-ordered (UUIDv7 layout), so keyset pages by id run newest first cheaply.
    id: str = Field(primary_key=True, max_length=36)
    sender: str = Field(foreign_key="partners.id", max_length=64)
    sender_client: str = Field(max_length=64)
    purpose: str = Field(max_length=64)
    category: str = Field(max_length=64)
    urgency: str = Field(max_length=8)
    status: str = Field(default="open", max_length=16)
    subject_index: str = Field(max_length=64, index=True)
    subject_ref: str = Field(max_length=64, index=True)
    # A keyed tag of the subject's birth date (records.subjects.birth_tag); None without one.
    subject_tag: str | None = Field(default=None, max_length=64)
    agreement_id: str = Field(max_length=64)
    agreement_version: int
    data_key_id: str | None = Field(default=None, foreign_key="data_keys.id", max_length=36)
    data_key_version: int = 1
    # The content's revision: 1 as sent, one more with each correction (signals.correction).
    revision: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # While set, recipients may not see the content (AVG art. 18; signals.restriction).
    restriction_reason: str | None = Field(default=None, max_length=32)
    restricted_at: datetime | None = timestamp(nullable=True)
    subject: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    summary: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    details: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    contact: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # The professional who sent it: the partner's own id for them, and a sealed copy of their
    # name, function and work contact as they were when it was sent.
    sender_professional_id: str | None = Field(default=None, max_length=64)
    sender_professional: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    # Informing the family (AVG art. 13/14): the state in clear (auditors and the reminder
    # need it), the details sealed; `informing_due_at` is when a postponement ends, cleared once
    # the sender has been told.
    informing_status: str = Field(
        default="pending", max_length=16, sa_column_kwargs={"server_default": "pending"}
    )
    informing: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    informing_due_at: datetime | None = timestamp(nullable=True, index=True)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    expires_at: datetime = timestamp(index=True)
    erased_at: datetime | None = timestamp(nullable=True)
    erase_reason: str | None = Field(default=None, max_length=16)


class SignalRecipient(SQLModel, table=True):
    """A partner the signal was shared with, on what ground, and how far it has come."""

    __tablename__ = "signal_recipients"
    __table_args__ = (Index("ix_signal_recipients_partner_signal", "partner_id", "signal_id"),)

    signal_id: str = Field(primary_key=True, foreign_key="signals.id", max_length=36)
    partner_id: str = Field(primary_key=True, foreign_key="partners.id", max_length=64)
    legal_basis: str = Field(max_length=32)
    agreement_id: str = Field(max_length=64)
    agreement_version: int
    status: str = Field(default="open", max_length=16)
    updated_at: datetime = timestamp()
    # When it first moved past `open`, and when it closed: the policymaker's handling times.
    acknowledged_at: datetime | None = timestamp(nullable=True)
    closed_at: datetime | None = timestamp(nullable=True)
