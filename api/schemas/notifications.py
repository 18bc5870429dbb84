"""Webhook subscriptions and deliveries on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from api.schemas.common import Body, Page, Public

EventType = Literal[
    "signal.created",
    "signal.updated",
    "match.created",
    "consent.withdrawn",
    "signal.informing_due",
    "match.coordinator_assigned",
    "match.handover_requested",
    "match.unassigned",
    "agreement.proposed",
    "agreement.active",
    "agreement.rejected",
    "signal.corrected",
    "signal.restricted",
    "signal.restriction_lifted",
    "signal.erased",
]


class SubscriptionCreate(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://wijkteam-noord.example.nl/webhooks/wijkdeel",
                    "events": ["signal.created", "match.created"],
                }
            ]
        }
    )

    url: str = Field(min_length=8, max_length=2000, description="https:// to a public address")
    events: list[EventType] = Field(min_length=1, max_length=20)


class SubscriptionPublic(Public):
    id: str
    url: str
    events: list[str]
    status: Literal["active", "disabled"]
    disabled_reason: str | None = None
    created_at: datetime


class SubscriptionCreated(SubscriptionPublic):
    model_config = ConfigDict(
        alias_generator=Public.model_config["alias_generator"],
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "3f1c7a52-1d7e-4c9b-a0e2-5b7f0f5d8c11",
                    "url": "https://wijkteam-noord.example.nl/webhooks/wijkdeel",
                    "events": ["signal.created", "match.created"],
                    "status": "active",
                    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                    "createdAt": "2026-11-29T10:00:00Z",
                }
            ]
        },
    )

    secret: str = Field(description="whsec_ + base64; shown in this answer only")


class SecretRotated(Public):
    id: str
    secret: str = Field(description="the new secret; shown in this answer only")
    previous_secret_valid_until: datetime = Field(
        description="until then deliveries carry signatures under both secrets"
    )


class AttemptPublic(Public):
    at: datetime
    status_code: int | None = None
    error: str | None = Field(
        default=None, description="timeout, connection_failed, address_not_allowed…"
    )
    duration_ms: int


class DeliveryPublic(Public):
    id: str
    event_id: str = Field(description="the webhook-id the receiver sees")
    type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime
    attempt_log: list[AttemptPublic]


class SubscriptionPage(Page[SubscriptionPublic]):
    pass


class DeliveryPage(Page[DeliveryPublic]):
    pass
