"""What the rights of the child and the parent leave behind: revisions of a signal's content,
the recipients told of each change (AVG art. 19), and objections with their decisions.

None of these rows holds personal data: field names, reason words, partner ids and times only,
so they outlive the content they are about (an erased signal's history stays explainable).
"""

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from records.models.base import timestamp


class SignalRevision(SQLModel, table=True):
    """One correction of a signal's content (AVG art. 16): which fields, why, by whom."""

    __tablename__ = "signal_revisions"

    signal_id: str = Field(primary_key=True, foreign_key="signals.id", max_length=36)
    revision: int = Field(primary_key=True)
    fields: list[str] = Field(sa_column=Column(JSON, nullable=False))
    reason: str = Field(max_length=32)
    corrected_by: str = Field(max_length=64)  # the partner (the sender, or an administrator's)
    corrected_at: datetime = timestamp()


class SignalNotice(SQLModel, table=True):
    """A recipient told of a correction, restriction, lifting or erasure (AVG art. 19): one row
    per recipient per change, naming the outbox event that carries it."""

    __tablename__ = "signal_notices"
    __table_args__ = (Index("ix_signal_notices_signal_type", "signal_id", "type"),)

    event_id: str = Field(primary_key=True, max_length=40)
    signal_id: str = Field(foreign_key="signals.id", max_length=36)
    partner_id: str = Field(foreign_key="partners.id", max_length=64)
    type: str = Field(max_length=32)
    revision: int
    created_at: datetime = timestamp()


class SignalObjection(SQLModel, table=True):
    """An objection on behalf of the parent (AVG art. 21) and, once made, its decision."""

    __tablename__ = "signal_objections"
    __table_args__ = (Index("ix_signal_objections_signal", "signal_id", "recorded_at"),)

    id: str = Field(primary_key=True, max_length=36)
    signal_id: str = Field(foreign_key="signals.id", max_length=36)
    reason: str | None = Field(default=None, max_length=32)
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = timestamp()
    decision: str | None = Field(default=None, max_length=16)
    decision_reason: str | None = Field(default=None, max_length=40)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = timestamp(nullable=True)
