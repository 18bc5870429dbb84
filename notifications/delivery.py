"""The delivery worker: claim due deliveries, POST them, record each attempt.

Every delivery holds one sending slot from its claim to its record and gives it back on its
own: a slow receiver keeps only its own slots, for at most the deadline of one attempt
(WIJKDEEL_WEBHOOK_TIMEOUT, the whole exchange up to the answer's headers), and the worker keeps
claiming work for the free slots meanwhile. One partner never holds more than `per_partner` of
them, so a partner whose receivers are slow cannot delay another partner's deliveries.

Claiming takes a short lease (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
workers never take the same rows; SQLite's single write lock does the same there). The lease
outlasts the deadline, so no other worker can take a delivery while it is being sent. The HTTP
call happens outside any transaction; its outcome is written in a transaction of its own, and
only while the lease is still the one this worker took. A worker killed mid-send leaves leases
that expire, and another worker (or itself, restarted) sends those deliveries again with the
same `webhook-id`: at-least-once, none lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
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

log = logging.getLogger("wijkdeel.delivery")

# Rows looked at per free slot when claiming: some may belong to partners at their share.
CANDIDATES_PER_SLOT = 4


@dataclass(frozen=True)
class Job:
    delivery_id: str
    attempt: int
    url: str
    event_id: str
    body: bytes
    secrets: list[str]
    subscription_id: str
    partner: str
    lease_until: datetime


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
        concurrency: int = 32,
        per_partner: int = 4,
    ) -> None:
        if lease <= timeout:
            raise ValueError("a lease must outlast the deadline of the attempt it covers")
        self.db, self.keyrings, self.schedule = db, keyrings, schedule
        self.clock, self.lease = clock, timedelta(seconds=lease)
        self.concurrency, self.per_partner = concurrency, min(per_partner, concurrency)
        self.http = guarded_client(allow_private=allow_private, resolver=resolver, timeout=timeout)
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="wijkdeel-send")
        self._changed = threading.Condition()
        self._in_flight: dict[str, str] = {}  # delivery id -> partner
        self._wake = threading.Event()

    def close(self) -> None:
        """Wait for the sends in flight (each ends by its deadline), then let go."""
        self.pool.shutdown(wait=True)
        self.http.close()

    def in_flight(self) -> int:
        with self._changed:
            return len(self._in_flight)

    def due(self) -> bool:
        """A cheap read first, so an idle worker never takes SQLite's write lock."""
        now = self.clock()
        with self.db.read_session() as session:
            return session.scalar(
                select(func.count()).select_from(Delivery).where(*_claimable(now)).limit(1)
            ) not in (None, 0)

    def pump(self) -> int:
        """Claim due deliveries for the free slots and start sending them; never waits for a
        send. Returns how many were started."""
        with self._changed:
            room = self.concurrency - len(self._in_flight)
            busy = Counter(self._in_flight.values())
        if room <= 0 or not self.due():
            return 0
        jobs = self.claim(room, busy)
        with self._changed:
            for job in jobs:
                self._in_flight[job.delivery_id] = job.partner
        for job in jobs:
            self.pool.submit(self._deliver, job)
        return len(jobs)

    def serve(self, stop: threading.Event, interval: float) -> None:
        """Keep the slots busy until `stop`: claim again as soon as a send ends, and at
        least every `interval` seconds."""
        while not stop.is_set():
            self._wake.clear()
            try:
                started = self.pump()
            except Exception as exc:
                # Type only: database errors can carry row values in their message.
                log.error("claiming deliveries failed: %s", type(exc).__name__)
                started = 0
            if not started:
                self._wake.wait(interval)

    def wake(self) -> None:
        self._wake.set()

    def drain(self, *, deadline: float = 60.0) -> int:
        """Deliver until nothing is due and nothing is in flight (tests and the benchmark);
        returns how many attempts were made."""
        total, stop = 0, time.monotonic() + deadline
        while time.monotonic() < stop:
            started = self.pump()
            total += started
            with self._changed:
                if not started and not self._in_flight:
                    break
                if not started:
                    self._changed.wait(0.05)
        return total

    def _deliver(self, job: Job) -> None:
        try:
            self.record(self.send(job))
        except Exception as exc:
            # Its lease expires and the delivery is sent again; type only, as above.
            log.error("recording a delivery failed: %s", type(exc).__name__)
        finally:
            with self._changed:
                self._in_flight.pop(job.delivery_id, None)
                self._changed.notify_all()
            self._wake.set()

    def claim(self, room: int, busy: Counter[str] | None = None) -> list[Job]:
        """Lease up to `room` due deliveries, oldest first, leaving out partners that already
        hold their share of the slots (`busy`: slots each partner holds now)."""
        now = self.clock()
        taken = Counter(busy or {})
        full = [partner for partner, count in taken.items() if count >= self.per_partner]
        with self.db.session() as session:
            query = (
                select(col(Delivery.id), col(Subscription.partner_id))
                .join(Subscription, col(Subscription.id) == Delivery.subscription_id)
                .where(*_claimable(now))
                .order_by(col(Delivery.next_attempt_at))
                .limit(room * CANDIDATES_PER_SLOT)
            )
            if full:
                query = query.where(col(Subscription.partner_id).not_in(full))
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True, of=Delivery)
            ids = []
            for delivery_id, partner in session.execute(query):
                if taken[partner] < self.per_partner:
                    taken[partner] += 1
                    ids.append(delivery_id)
                    if len(ids) == room:
                        break
            if not ids:
                return []
            lease_until = now + self.lease
            session.execute(
                update(Delivery).where(col(Delivery.id).in_(ids)).values(lease_until=lease_until)
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
                    subscription.partner_id,
                    lease_until,
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

    def record(self, outcome: Outcome) -> None:
        """Write one attempt's outcome in a transaction of its own."""
        with self.db.session() as session:
            self._record_one(session, outcome, self.clock())

    def _record_one(self, session: Session, outcome: Outcome, now: datetime) -> None:
        job = outcome.job
        # Locked, so a worker claiming it at this moment (its lease ran out) skips it or has
        # already changed the lease by the time it is read.
        delivery = session.get(Delivery, job.delivery_id, with_for_update=True)
        if delivery is None or delivery.status != "pending":
            return  # stopped meanwhile (subscription deleted or disabled)
        if delivery.lease_until != job.lease_until:
            return  # no longer ours: another worker holds it now, and records its own attempt
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
