"""Webhook subscriptions, the transactional outbox, and the deliveries the worker makes."""

from datetime import datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from records.models.base import timestamp


class Subscription(SQLModel, table=True):
    __tablename__ = "subscriptions"

    id: str = Field(primary_key=True, max_length=36)
    partner_id: str = Field(foreign_key="partners.id", max_length=64, index=True)
    created_by_client: str = Field(max_length=64)
    url: str = Field(sa_column=Column(Text, nullable=False))
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    secret: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    secret_version: int
    previous_secret: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    previous_secret_version: int | None = None
    previous_secret_until: datetime | None = timestamp(nullable=True)
    status: str = Field(default="active", max_length=16)
    disabled_reason: str | None = Field(default=None, max_length=32)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class OutboxEvent(SQLModel, table=True):
    """One event for one partner, written in the transaction of the change that caused it.

    Its id is the `webhook-id` of every delivery of it, retries included, so a receiver can
    drop duplicates. The body is fixed when the event is written, so retries send the same bytes.
    """

    __tablename__ = "outbox_events"

    id: str = Field(primary_key=True, max_length=40)
    type: str = Field(max_length=32)
    partner_id: str = Field(foreign_key="partners.id", max_length=64, index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = timestamp()


class Delivery(SQLModel, table=True):
    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_subscription", "subscription_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="outbox_events.id", max_length=40, index=True)
    subscription_id: str = Field(foreign_key="subscriptions.id", max_length=36)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    max_attempts: int
    next_attempt_at: datetime | None = timestamp(nullable=True)
    lease_until: datetime | None = timestamp(nullable=True)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=32)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class DeliveryAttempt(SQLModel, table=True):
    """One try: when, what came back. Never a body, never a header: no personal data here."""

    __tablename__ = "delivery_attempts"

    delivery_id: str = Field(primary_key=True, foreign_key="deliveries.id", max_length=36)
    number: int = Field(primary_key=True)
    at: datetime = timestamp()
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=32)
    duration_ms: int = 0
