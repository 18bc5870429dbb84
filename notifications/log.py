"""What a subscriber may see of its deliveries: status, timing and answers, never content."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from core.errors import Conflict, NotFound
from records.models import Delivery, DeliveryAttempt, OutboxEvent, Subscription
from records.pages import Page, decode_cursor, encode_cursor


def deliveries(
    session: Session, subscription_id: str, *, cursor: str | None, limit: int
) -> Page[tuple[Delivery, str, list[DeliveryAttempt]]]:
    """Newest first, with each delivery's event type and every attempt."""
    query = (
        select(Delivery, col(OutboxEvent.type))
        .join(OutboxEvent, col(OutboxEvent.id) == Delivery.event_id)
        .where(col(Delivery.subscription_id) == subscription_id)
    )
    if cursor is not None:
        query = query.where(col(Delivery.event_id) < decode_cursor(cursor))
    rows = session.execute(query.order_by(col(Delivery.event_id).desc()).limit(limit + 1)).all()
    more, rows = len(rows) > limit, rows[:limit]
    attempts: dict[str, list[DeliveryAttempt]] = defaultdict(list)
    if rows:
        for attempt in session.scalars(
            select(DeliveryAttempt)
            .where(col(DeliveryAttempt.delivery_id).in_([d.id for d, _ in rows]))
            .order_by(col(DeliveryAttempt.number))
        ):
            attempts[attempt.delivery_id].append(attempt)
    items = [(delivery, type_, attempts[delivery.id]) for delivery, type_ in rows]
    return Page(items, encode_cursor(rows[-1][0].event_id) if more and rows else None)


def retry(session: Session, delivery_id: str, partner: str, now: datetime) -> Delivery:
    """Send a failed delivery once more (same webhook-id)."""
    delivery = session.get(Delivery, delivery_id) if len(delivery_id) <= 36 else None
    subscription = session.get(Subscription, delivery.subscription_id) if delivery else None
    if delivery is None or subscription is None or subscription.partner_id != partner:
        raise NotFound("no delivery with this id", code="delivery_not_found")
    if delivery.status != "failed":
        raise Conflict("only a failed delivery can be retried", code="delivery_not_failed")
    if subscription.status != "active":
        raise Conflict("the subscription is not active", code="subscription_inactive")
    delivery.status, delivery.next_attempt_at, delivery.lease_until = "pending", now, None
    delivery.max_attempts, delivery.updated_at = delivery.attempts + 1, now
    session.add(delivery)
    session.flush()
    return delivery
