"""The transactional outbox: events are written in the transaction of the change that causes
them, fanned out to the partner's matching subscriptions at once, so none is lost when a process
dies and none is sent for a change that rolled back.

Payloads carry ids, category, urgency, sender, purpose — never a BSN, a name or free text: the
receiver fetches the signal with its own token, under its own purpose, and is audited doing so.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlmodel import Session

from records.ids import time_ordered_id
from records.models import Delivery, OutboxEvent, Subscription
from wijkdeel.clock import rfc3339

EVENT_TYPES = ("signal.created", "signal.updated", "match.created", "consent.withdrawn")


def new_event_id(now: datetime) -> str:
    return "msg_" + time_ordered_id(now).replace("-", "")


def emit(
    session: Session,
    *,
    type: str,
    partner: str,
    data: dict[str, Any],
    now: datetime,
    max_attempts: int,
) -> OutboxEvent:
    """Write one event for `partner` and a pending delivery to each of its subscriptions that
    wants this type (in the caller's transaction)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type}")
    event = OutboxEvent(
        id=new_event_id(now),
        type=type,
        partner_id=partner,
        body=orjson.dumps({"type": type, "timestamp": rfc3339(now), "data": data}).decode(),
        created_at=now,
    )
    session.add(event)
    session.flush()
    subscriptions = session.scalars(
        select(Subscription).where(
            Subscription.partner_id == partner, Subscription.status == "active"
        )
    )
    for subscription in subscriptions:
        if type in subscription.events:
            session.add(
                Delivery(
                    id=str(uuid.uuid4()),
                    event_id=event.id,
                    subscription_id=subscription.id,
                    status="pending",
                    attempts=0,
                    max_attempts=max_attempts,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
    session.flush()
    return event
