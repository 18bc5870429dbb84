"""The delivery worker: claim due deliveries, POST them, record each attempt.

Claiming takes a short lease on a batch (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so
several workers never take the same rows; SQLite's single write lock does the same there). The
HTTP calls happen outside any transaction; their outcomes are written in one transaction per
batch. A worker killed mid-batch leaves leases that expire, and another worker (or itself,
restarted) sends those deliveries again with the same `webhook-id`: at-least-once, none lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import ColumnElement, func, select, update
from sqlmodel import Session, col

from audit.events import system_event
from notifications.schedule import next_attempt_delay, parse_retry_after
from notifications.signing import headers as signed_headers
from notifications.subscriptions import signing_secrets, stop_pending
from notifications.targets import Resolver, TargetRefused, guarded_client
from records.db import Database
from records.keyring import KeyringStore
from records.models import Delivery, DeliveryAttempt, OutboxEvent, Subscription


@dataclass(frozen=True)
class Job:
    delivery_id: str
    attempt: int
    url: str
    event_id: str
    body: bytes
    secrets: list[str]
    subscription_id: str


@dataclass(frozen=True)
class Outcome:
    job: Job
    at: datetime
    status_code: int | None
    error: str | None
    retry_after: str | None
    duration_ms: int


class Deliverer:
    def __init__(
        self,
        db: Database,
        keyrings: KeyringStore,
        *,
        schedule: tuple[float, ...],
        allow_private: bool,
        resolver: Resolver,
        clock: Callable[[], datetime],
        timeout: float = 15.0,
        lease: float = 60.0,
        batch: int = 32,
        concurrency: int = 8,
    ) -> None:
        self.db, self.keyrings, self.schedule = db, keyrings, schedule
        self.clock, self.lease, self.batch = clock, timedelta(seconds=lease), batch
        self.http = guarded_client(allow_private=allow_private, resolver=resolver, timeout=timeout)
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="wijkdeel-send")

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.http.close()

    def due(self) -> bool:
        """A cheap read first, so an idle worker never takes SQLite's write lock."""
        now = self.clock()
        with self.db.read_session() as session:
            return session.scalar(
                select(func.count()).select_from(Delivery).where(*_claimable(now)).limit(1)
            ) not in (None, 0)

    def run_once(self) -> int:
        """Deliver one batch; returns how many deliveries were attempted."""
        if not self.due():
            return 0
        jobs = self.claim()
        if not jobs:
            return 0
        outcomes = list(self.pool.map(self.send, jobs))
        self.record(outcomes)
        return len(outcomes)

    def drain(self, *, deadline: float = 60.0) -> int:
        """Deliver until nothing is due (tests and the benchmark)."""
        total, stop = 0, time.monotonic() + deadline
        while time.monotonic() < stop and (sent := self.run_once()):
            total += sent
        return total

    def claim(self) -> list[Job]:
        now = self.clock()
        with self.db.session() as session:
            query = (
                select(col(Delivery.id))
                .where(*_claimable(now))
                .order_by(col(Delivery.next_attempt_at))
                .limit(self.batch)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))
            if not ids:
                return []
            session.execute(
                update(Delivery).where(Delivery.id.in_(ids)).values(lease_until=now + self.lease)  # type: ignore[attr-defined]
            )
            rows = session.execute(
                select(Delivery, col(OutboxEvent.body), Subscription)
                .join(OutboxEvent, col(OutboxEvent.id) == Delivery.event_id)
                .join(Subscription, col(Subscription.id) == Delivery.subscription_id)
                .where(col(Delivery.id).in_(ids))
            ).all()
            return [
                Job(
                    delivery.id,
                    delivery.attempts + 1,
                    subscription.url,
                    delivery.event_id,
                    body.encode(),
                    signing_secrets(subscription, self.keyrings, now),
                    subscription.id,
                )
                for delivery, body, subscription in rows
            ]

    def send(self, job: Job) -> Outcome:
        at = self.clock()
        started = time.monotonic()
        status_code = error = retry_after = None
        try:
            request_headers = signed_headers(
                job.secrets, job.event_id, int(at.timestamp()), job.body
            )
            with self.http.stream(
                "POST", job.url, content=job.body, headers=request_headers
            ) as response:
                status_code = response.status_code
                retry_after = response.headers.get("retry-after")
        except TargetRefused as refused:
            error = refused.reason
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.HTTPError:
            error = "connection_failed"
        return Outcome(
            job, at, status_code, error, retry_after, int((time.monotonic() - started) * 1000)
        )

    def record(self, outcomes: list[Outcome]) -> None:
        now = self.clock()
        with self.db.session() as session:
            for outcome in outcomes:
                self._record_one(session, outcome, now)

    def _record_one(self, session: Session, outcome: Outcome, now: datetime) -> None:
        job = outcome.job
        delivery = session.get(Delivery, job.delivery_id)
        if delivery is None or delivery.status != "pending":
            return  # stopped meanwhile (subscription deleted or disabled)
        session.add(
            DeliveryAttempt(
                delivery_id=delivery.id,
                number=job.attempt,
                at=outcome.at,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
        delivery.attempts = job.attempt
        delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
        delivery.lease_until, delivery.updated_at = None, now
        code = outcome.status_code
        if code is not None and 200 <= code < 300:
            delivery.status, delivery.next_attempt_at = "delivered", None
        elif code == 410:
            # The receiver says this endpoint is gone for good: stop sending to it.
            delivery.status, delivery.next_attempt_at = "failed", None
            subscription = session.get(Subscription, job.subscription_id)
            if subscription is not None and subscription.status == "active":
                subscription.status, subscription.disabled_reason = "disabled", "gone"
                subscription.updated_at = now
                session.add(subscription)
                system_event(
                    session,
                    "subscription.disable",
                    "subscription",
                    subscription.id,
                    now,
                    reason="receiver_answered_410",
                )
            session.add(delivery)
            session.flush()
            stop_pending(session, job.subscription_id, "subscription_disabled", now)
            return
        else:
            wait = None
            if delivery.attempts < delivery.max_attempts:
                wait = next_attempt_delay(
                    self.schedule,
                    min(delivery.attempts, len(self.schedule) - 1),
                    parse_retry_after(outcome.retry_after, now),
                )
            if wait is None:
                delivery.status, delivery.next_attempt_at = "failed", None
            else:
                delivery.next_attempt_at = now + timedelta(seconds=wait)
        session.add(delivery)


def _claimable(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        col(Delivery.status) == "pending",
        col(Delivery.next_attempt_at) <= now,
        (col(Delivery.lease_until).is_(None)) | (col(Delivery.lease_until) < now),
    )
