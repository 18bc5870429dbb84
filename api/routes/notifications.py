"""Webhook subscriptions and their deliveries (scope subscriptions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Path, Response, status

from api.context import audited
from api.deps import Cursor, Limit, Unit, unit_for
from api.schemas.common import present
from api.schemas.notifications import (
    DeliveryPage,
    DeliveryPublic,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPage,
    SubscriptionPublic,
)
from auth.caller import Caller
from core.errors import DomainError
from notifications import log, subscriptions
from records.models import Delivery, DeliveryAttempt, Subscription
from wijkdeel.runtime import Runtime
from wijkdeel.unit import Tx

router = APIRouter(tags=["notifications"])

Subscriber = Annotated[Unit, unit_for("subscriptions")]
SubscriptionId = Annotated[str, Path(max_length=36, description="the subscription's id")]


def _public(row: Subscription) -> dict[str, object]:
    return present(
        {
            "id": row.id,
            "url": row.url,
            "events": row.events,
            "status": row.status,
            "disabledReason": row.disabled_reason,
            "createdAt": row.created_at,
        }
    )


@router.post(
    "/subscriptions",
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe to events with a webhook",
    description="`https://` to a public address only (unless WIJKDEEL_WEBHOOK_ALLOW_PRIVATE=1); "
    "the address is checked again at every delivery and redirects are never followed. The "
    "`secret` signs every delivery (Standard Webhooks) and appears in this answer only. A "
    "partner has at most WIJKDEEL_SUBSCRIPTION_LIMIT subscriptions (default 10; disabled ones "
    "count until they are deleted).",
    responses={
        409: {
            "description": "the partner already has as many subscriptions as it may "
            "(`code: subscription_limit`); nothing was stored - delete one first"
        }
    },
    openapi_extra=audited("subscription.create", "subscription"),
)
async def create_subscription(body: SubscriptionCreate, unit: Subscriber) -> SubscriptionCreated:
    def create(tx: Tx, caller: Caller) -> SubscriptionCreated:
        row, secret = subscriptions.create(
            tx.session,
            partner=caller.partner,
            client_id=caller.client_id,
            url=body.url,
            events=list(body.events),
            keyring=tx.runtime.keyrings.get(),
            now=tx.now,
            limit=tx.runtime.settings.subscription_limit,
        )
        tx.audit.resource_id = row.id
        return SubscriptionCreated.model_validate({**_public(row), "secret": secret})

    runtime = unit.runtime
    # Resolving the target's name takes as long as DNS takes: done before the unit of work,
    # in a thread, so it never holds a connection or the write slot.
    vetting = await anyio.to_thread.run_sync(
        lambda: _vetted(body.url, runtime.settings.webhook_allow_private, runtime)
    )
    if vetting is not None:
        # Refused by the guard: the refusal still passes through the unit, to be audited
        # under the caller.
        def refuse(tx: Tx, caller: Caller) -> SubscriptionCreated:
            raise vetting

        return await unit.write(refuse)
    return await unit.write(create)


def _vetted(url: str, allow_private: bool, runtime: Runtime) -> Exception | None:
    try:
        subscriptions.vet(url, allow_private=allow_private, resolver=runtime.resolver)
    except DomainError as refused:
        return refused
    return None


@router.get(
    "/subscriptions",
    summary="The caller's partner's subscriptions (never a secret)",
    response_model_exclude_unset=True,
    openapi_extra=audited("subscription.list", "subscription"),
)
async def list_subscriptions(unit: Subscriber) -> SubscriptionPage:
    def work(tx: Tx, caller: Caller) -> SubscriptionPage:
        rows = subscriptions.listing(tx.session, caller.partner)
        return SubscriptionPage(
            items=[SubscriptionPublic.model_validate(_public(r)) for r in rows], next_cursor=None
        )

    return await unit.read(work)


@router.delete(
    "/subscriptions/{id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a subscription; what it still had pending is not sent",
    openapi_extra=audited("subscription.delete", "subscription"),
)
async def delete_subscription(id: SubscriptionId, unit: Subscriber) -> Response:
    def work(tx: Tx, caller: Caller) -> None:
        subscriptions.delete(tx.session, subscriptions.own(tx.session, caller.partner, id), tx.now)

    await unit.write(work)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/subscriptions/{id}/rotate-secret",
    summary="A new signing secret; for 24 hours deliveries are signed with both",
    openapi_extra=audited("subscription.rotate_secret", "subscription"),
)
async def rotate_secret(id: SubscriptionId, unit: Subscriber) -> SecretRotated:
    def work(tx: Tx, caller: Caller) -> SecretRotated:
        row = subscriptions.own(tx.session, caller.partner, id)
        secret = subscriptions.rotate_secret(
            tx.session, row, keyrings=tx.runtime.keyrings, now=tx.now
        )
        return SecretRotated(
            id=row.id,
            secret=secret,
            previous_secret_valid_until=row.previous_secret_until or tx.now,
        )

    return await unit.write(work)


@router.get(
    "/subscriptions/{id}/deliveries",
    summary="Deliveries of a subscription, newest first, with every attempt",
    response_model_exclude_unset=True,
    openapi_extra=audited("delivery.list", "subscription"),
)
async def list_deliveries(
    id: SubscriptionId, unit: Subscriber, cursor: Cursor = None, limit: Limit = 100
) -> DeliveryPage:
    def work(tx: Tx, caller: Caller) -> DeliveryPage:
        row = subscriptions.own(tx.session, caller.partner, id)
        page = log.deliveries(tx.session, row.id, cursor=cursor, limit=limit)
        items = [_delivery(*item) for item in page.items]
        return DeliveryPage(items=items, next_cursor=page.next_cursor)

    return await unit.read(work)


def _delivery(d: Delivery, type_: str, attempts: Sequence[DeliveryAttempt]) -> DeliveryPublic:
    return DeliveryPublic.model_validate(
        present(
            {
                "id": d.id,
                "eventId": d.event_id,
                "type": type_,
                "status": d.status,
                "attempts": d.attempts,
                "lastStatusCode": d.last_status_code,
                "lastError": d.last_error,
                "nextAttemptAt": d.next_attempt_at,
                "createdAt": d.created_at,
                "attemptLog": [
                    {
                        "at": a.at,
                        "statusCode": a.status_code,
                        "error": a.error,
                        "durationMs": a.duration_ms,
                    }
                    for a in attempts
                ],
            }
        )
    )


@router.post(
    "/deliveries/{id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a failed delivery again (same webhook-id)",
    responses={
        202: {"description": "queued", "content": {"application/json": {}}},
        409: {"description": "the delivery did not fail, or its subscription is not active"},
    },
    openapi_extra=audited("delivery.retry", "delivery"),
)
async def retry_delivery(id: Annotated[str, Path(max_length=36)], unit: Subscriber) -> Response:
    delivery = await unit.write(
        lambda tx, caller: log.retry(tx.session, id, caller.partner, tx.now)
    )
    return Response(
        content=f'{{"id":"{delivery.id}","status":"pending"}}',
        status_code=202,
        media_type="application/json",
    )
