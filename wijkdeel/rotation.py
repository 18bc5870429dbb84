"""Master key rotation and rewrapping, while the service keeps serving.

Rotation adds a master key version; from then on new data keys are wrapped under it (every
process notices within KeyringStore.REFRESH_SECONDS). Rewrapping walks the data keys still
wrapped under an older version, in small batches, each its own transaction, so it can be
stopped and started again at any point and never holds a lock for long.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from audit.anchoring import reseal_audit_key
from auth.keys import reseal_signing_key
from notifications.subscriptions import reseal as reseal_subscription
from records.db import Database
from records.fields import rewrap_data_key
from records.keyring import KeyringStore, add_master_version
from records.models import AuditKey, DataKey, MasterKey, SigningKey, Subscription

Progress = Callable[[int, int], None]
# Called once, before rewrap waits: the seconds it will wait and the master key version.
Waiting = Callable[[float, int], None]


def rotate_master(session: Session, root: bytes, now: datetime) -> int:
    return add_master_version(session, root, now)


def pending(db: Database, current_version: int) -> int:
    with db.read_session() as session:
        data_keys = session.scalar(
            select(func.count())
            .select_from(DataKey)
            .where(col(DataKey.wrap_version) < current_version)
        )
        signing = session.scalar(
            select(func.count())
            .select_from(SigningKey)
            .where(col(SigningKey.key_version) < current_version)
        )
        webhooks = session.scalar(
            select(func.count()).select_from(Subscription).where(_old_secret(current_version))
        )
        audit_keys = session.scalar(
            select(func.count())
            .select_from(AuditKey)
            .where(col(AuditKey.key_version) < current_version)
        )
    return int(data_keys or 0) + int(signing or 0) + int(webhooks or 0) + int(audit_keys or 0)


def _batch(db: Database, keyrings: KeyringStore, current: int, size: int) -> int:
    with db.session() as session:
        query = (
            select(DataKey)
            .where(col(DataKey.wrap_version) < current)
            .order_by(col(DataKey.id))
            .limit(size)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        for row in rows:
            rewrap_data_key(row, keyrings)
        signing = list(
            session.scalars(select(SigningKey).where(col(SigningKey.key_version) < current))
        )
        for key in signing:
            reseal_signing_key(key, keyrings)
        webhooks = list(
            session.scalars(select(Subscription).where(_old_secret(current)).limit(size))
        )
        for subscription in webhooks:
            reseal_subscription(subscription, keyrings)
        audit_keys = list(
            session.scalars(select(AuditKey).where(col(AuditKey.key_version) < current))
        )
        for audit_key in audit_keys:
            reseal_audit_key(audit_key, keyrings)
        session.add_all([*rows, *signing, *webhooks, *audit_keys])
        return len(rows) + len(signing) + len(webhooks) + len(audit_keys)


def _old_secret(current: int) -> Any:
    return (col(Subscription.secret_version) < current) | (
        col(Subscription.previous_secret_version) < current
    )


def rewrap(
    db: Database,
    keyrings: KeyringStore,
    *,
    batch: int = 500,
    progress: Progress | None = None,
    waiting: Waiting | None = None,
    now: Callable[[], datetime],
) -> int:
    """Re-wrap every data key and signing key to the newest master key version."""
    keyring = keyrings.reload()
    current = keyring.current_version
    total = pending(db, current)
    # A process that has not yet seen the new version may still wrap under the old one; once
    # the newest version is older than their refresh interval, none can. Wait (in real time)
    # until then before the last pass.
    with db.read_session() as session:
        created = session.scalar(
            select(col(MasterKey.created_at)).where(col(MasterKey.version) == current)
        )
    young = (
        (created.timestamp() + KeyringStore.REFRESH_SECONDS + 1 - now().timestamp())
        if created
        else 0
    )
    settled_at = time.monotonic() + max(young, 0)
    done = 0
    while True:
        moved = _batch(db, keyrings, current, batch)
        done += moved
        if progress:
            progress(done, max(total, done))
        if moved:
            continue
        if time.monotonic() >= settled_at and pending(db, current) == 0:
            return done
        if waiting and settled_at > time.monotonic():
            waiting(settled_at - time.monotonic(), current)
            waiting = None
        time.sleep(min(max(settled_at - time.monotonic(), 0.2), 2.0))
