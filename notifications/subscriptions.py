"""Webhook subscriptions: the target is vetted, the secret shown once and kept encrypted."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from core.errors import Conflict, Invalid, NotFound
from notifications.signing import new_secret
from notifications.targets import Resolver, TargetRefused, check_url
from records.keyring import Keyring, KeyringStore
from records.models import Delivery, Partner, Subscription

OVERLAP = timedelta(hours=24)


def _context(subscription_id: str) -> bytes:
    return b"webhook-secret:" + subscription_id.encode()


def vet(url: str, *, allow_private: bool, resolver: Resolver) -> None:
    try:
        check_url(url, allow_private=allow_private, resolver=resolver)
    except TargetRefused as refused:
        raise Invalid(
            "this webhook target is not allowed",
            code="webhook_target_refused",
            invalid_params=[
                {
                    "in": "body",
                    "name": "url",
                    "code": refused.reason,
                    "reason": "https to a public address only",
                }
            ],
        ) from None


def create(
    session: Session,
    *,
    partner: str,
    client_id: str,
    url: str,
    events: list[str],
    keyring: Keyring,
    now: datetime,
    limit: int,
) -> tuple[Subscription, str]:
    """Store a subscription, if the partner has fewer than `limit`; returns it and its secret
    (which is never shown again)."""
    # The partner's row is locked first, so two requests at once cannot both see room for
    # one more (SQLite's single writer serialises them anyway).
    session.execute(select(col(Partner.id)).where(Partner.id == partner).with_for_update())
    held = session.scalar(
        select(func.count())
        .select_from(Subscription)
        .where(Subscription.partner_id == partner, Subscription.status != "deleted")
    )
    if (held or 0) >= limit:
        raise Conflict(
            f"a partner may have at most {limit} subscriptions; delete one first",
            code="subscription_limit",
        )
    secret = new_secret()
    subscription_id = str(uuid.uuid4())
    version, sealed = keyring.seal(secret.encode(), context=_context(subscription_id))
    subscription = Subscription(
        id=subscription_id,
        partner_id=partner,
        created_by_client=client_id,
        url=url,
        events=list(dict.fromkeys(events)),
        secret=sealed,
        secret_version=version,
        status="active",
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    session.flush()
    return subscription, secret


def own(session: Session, partner: str, subscription_id: str) -> Subscription:
    subscription = (
        session.get(Subscription, subscription_id) if len(subscription_id) <= 36 else None
    )
    if (
        subscription is None
        or subscription.partner_id != partner
        or subscription.status == "deleted"
    ):
        raise NotFound("no subscription with this id", code="subscription_not_found")
    return subscription


def listing(session: Session, partner: str) -> list[Subscription]:
    return list(
        session.exec(
            select(Subscription)
            .where(Subscription.partner_id == partner, Subscription.status != "deleted")
            .order_by(Subscription.created_at, Subscription.id)  # type: ignore[arg-type]
        )
    )


def delete(session: Session, subscription: Subscription, now: datetime) -> None:
    """Stop a subscription; what it still had pending is failed, not sent."""
    subscription.status, subscription.updated_at = "deleted", now
    session.add(subscription)
    stop_pending(session, subscription.id, "subscription_deleted", now)


def stop_pending(session: Session, subscription_id: str, reason: str, now: datetime) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.subscription_id == subscription_id, Delivery.status == "pending")  # type: ignore[arg-type]
        .values(
            status="failed",
            last_error=reason,
            next_attempt_at=None,
            lease_until=None,
            updated_at=now,
        )
    )


def rotate_secret(
    session: Session, subscription: Subscription, *, keyrings: KeyringStore, now: datetime
) -> str:
    """A new secret; for 24 hours deliveries are signed with the old one too."""
    secret = new_secret()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_version = subscription.secret_version
    subscription.previous_secret_until = now + OVERLAP
    subscription.secret_version, subscription.secret = keyrings.get().seal(
        secret.encode(), context=_context(subscription.id)
    )
    subscription.updated_at = now
    session.add(subscription)
    session.flush()
    return secret


def signing_secrets(subscription: Subscription, keyrings: KeyringStore, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one while
    its overlap lasts."""
    context = _context(subscription.id)
    secrets = [
        keyrings.for_version(subscription.secret_version)
        .open(subscription.secret_version, subscription.secret, context=context)
        .decode()
    ]
    if (
        subscription.previous_secret is not None
        and subscription.previous_secret_version is not None
        and subscription.previous_secret_until is not None
        and subscription.previous_secret_until > now
    ):
        version = subscription.previous_secret_version
        secrets.append(
            keyrings.for_version(version)
            .open(version, subscription.previous_secret, context=context)
            .decode()
        )
    return secrets


def reseal(subscription: Subscription, keyrings: KeyringStore) -> None:
    """Re-encrypt the secrets under the newest master key version (rewrap)."""
    context = _context(subscription.id)
    newest = keyrings.get()
    plain = keyrings.for_version(subscription.secret_version).open(
        subscription.secret_version, subscription.secret, context=context
    )
    subscription.secret_version, subscription.secret = newest.seal(plain, context=context)
    if (
        subscription.previous_secret is not None
        and subscription.previous_secret_version is not None
    ):
        version = subscription.previous_secret_version
        old = keyrings.for_version(version).open(
            version, subscription.previous_secret, context=context
        )
        subscription.previous_secret_version, subscription.previous_secret = newest.seal(
            old, context=context
        )
