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
        # Auditors page by seq under a filter: with the filtered column first and seq second,
        # a page is one index range read in order, however long the log.
        Index("ix_audit_events_subject_ref_seq", "subject_ref", "seq"),
        Index("ix_audit_events_partner_seq", "partner", "seq"),
        Index("ix_audit_events_action_seq", "action", "seq"),
        Index("ix_audit_events_client_id_seq", "client_id", "seq"),
        Index("ix_audit_events_outcome_seq", "outcome", "seq"),
        # Also finds the seq where a time window begins without reading the rows.
        Index("ix_audit_events_at_seq", "at", "seq"),
        # Refused requests by action and time, for the policymaker's refusals: few rows.
        Index(
            "ix_audit_events_denied",
            "action",
            "at",
            postgresql_where=text("outcome = 'deny'"),
            sqlite_where=text("outcome = 'deny'"),
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
    # Added in the second release; hashed only when set (audit.chain.OPTIONAL_COLUMNS).
    count: int | None = None
    actor_person: str | None = Field(default=None, max_length=64)
    actor_professional: str | None = Field(default=None, max_length=64)
    processing_activity_id: str | None = Field(default=None, max_length=64)


class AuditCheckpoint(SQLModel, table=True):
    """A head of the chain that a verification found intact: the next incremental verification
    starts here instead of at the first event."""

    __tablename__ = "audit_checkpoints"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: str = Field(max_length=64)
    at: datetime = timestamp()
    checked_from: int = Field(
        sa_column=Column(BigInteger, nullable=False),
        description="the walk began after this seq (0: from the first event)",
    )
    recorded_at: datetime = timestamp()
