"""Webhook subscriptions and their deliveries (scope subscriptions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from api.context import audited
from api.deps import (
    Audit,
    Cursor,
    Limit,
    Now,
    ReadSessionDep,
    RuntimeDep,
    SessionDep,
    require,
    require_read,
)
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
from notifications import log, subscriptions
from records.models import Subscription

router = APIRouter(tags=["notifications"])

Subscriber = Annotated[Caller, Depends(require("subscriptions"))]
SubscriptionReader = Annotated[Caller, Depends(require_read("subscriptions"))]
SubscriptionId = Annotated[str, Path(max_length=36, description="the subscription's id")]


def _public(row: Subscription) -> dict[str, object]:
    return {
        "id": row.id,
        "url": row.url,
        "events": row.events,
        "status": row.status,
        "disabledReason": row.disabled_reason,
        "createdAt": row.created_at,
    }


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
def create_subscription(
    body: SubscriptionCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: Subscriber,
    now: Now,
    audit: Audit,
) -> SubscriptionCreated:
    settings = runtime.settings
    subscriptions.vet(
        body.url, allow_private=settings.webhook_allow_private, resolver=runtime.resolver
    )
    row, secret = subscriptions.create(
        session,
        partner=caller.partner,
        client_id=caller.client_id,
        url=body.url,
        events=list(body.events),
        keyring=runtime.keyrings.get(),
        now=now,
        limit=settings.subscription_limit,
    )
    audit.resource_id = row.id
    return SubscriptionCreated.model_validate({**_public(row), "secret": secret})


@router.get(
    "/subscriptions",
    summary="The caller's partner's subscriptions (never a secret)",
    response_model_exclude_none=True,
    openapi_extra=audited("subscription.list", "subscription"),
)
def list_subscriptions(session: ReadSessionDep, caller: SubscriptionReader) -> SubscriptionPage:
    rows = subscriptions.listing(session, caller.partner)
    return SubscriptionPage(
        items=[SubscriptionPublic.model_validate(_public(r)) for r in rows], next_cursor=None
    )


@router.delete(
    "/subscriptions/{id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a subscription; what it still had pending is not sent",
    openapi_extra=audited("subscription.delete", "subscription"),
)
def delete_subscription(
    id: SubscriptionId, session: SessionDep, caller: Subscriber, now: Now
) -> Response:
    subscriptions.delete(session, subscriptions.own(session, caller.partner, id), now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/subscriptions/{id}/rotate-secret",
    summary="A new signing secret; for 24 hours deliveries are signed with both",
    openapi_extra=audited("subscription.rotate_secret", "subscription"),
)
def rotate_secret(
    id: SubscriptionId, session: SessionDep, runtime: RuntimeDep, caller: Subscriber, now: Now
) -> SecretRotated:
    row = subscriptions.own(session, caller.partner, id)
    secret = subscriptions.rotate_secret(session, row, keyrings=runtime.keyrings, now=now)
    return SecretRotated(
        id=row.id, secret=secret, previous_secret_valid_until=row.previous_secret_until or now
    )


@router.get(
    "/subscriptions/{id}/deliveries",
    summary="Deliveries of a subscription, newest first, with every attempt",
    response_model_exclude_none=True,
    openapi_extra=audited("delivery.list", "subscription"),
)
def list_deliveries(
    id: SubscriptionId,
    session: ReadSessionDep,
    caller: SubscriptionReader,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> DeliveryPage:
    row = subscriptions.own(session, caller.partner, id)
    page = log.deliveries(session, row.id, cursor=cursor, limit=limit)
    return DeliveryPage(
        items=[
            DeliveryPublic.model_validate(
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
            for d, type_, attempts in page.items
        ],
        next_cursor=page.next_cursor,
    )


@router.post(
    "/deliveries/{id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a failed delivery again (same webhook-id)",
    responses={202: {"description": "queued", "content": {"application/json": {}}}},
    openapi_extra=audited("delivery.retry", "delivery"),
)
def retry_delivery(
    id: Annotated[str, Path(max_length=36)], session: SessionDep, caller: Subscriber, now: Now
) -> Response:
    delivery = log.retry(session, id, caller.partner, now)
    return Response(
        content=f'{{"id":"{delivery.id}","status":"pending"}}',
        status_code=202,
        media_type="application/json",
    )
