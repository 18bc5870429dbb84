"""The delivery worker: claim due deliveries, POST them, record each attempt.

Each send holds one sending slot, only while it is being sent, and gives it back on its own: a
slow receiver keeps its slots for at most the deadline of one attempt (WIJKDEEL_WEBHOOK_TIMEOUT,
the whole exchange up to the answer's headers), and meanwhile the worker keeps claiming and
sending on the free slots. One partner's sends hold at most `per_partner` slots at once (and
as many again may wait for them), so a partner whose receivers are slow cannot delay another
partner's deliveries. The worker claims a little ahead of its free slots, so a slot that comes
free starts its next send without a round trip to the database.

Claiming takes a short lease (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
workers never take the same rows; SQLite's single write lock does the same there). The lease
outlasts the deadline, so no other worker can take a delivery while it is being sent. The HTTP
call happens outside any transaction; a recorder thread writes the outcomes that have come in
meanwhile together (one by one if that fails, so one bad row loses no other), each only while
its lease is still the one this worker took. A worker killed mid-send leaves leases
that expire, and another worker (or itself, restarted) sends those deliveries again with the
same `webhook-id`: at-least-once, none lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import ColumnElement, select, update
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
    """Claims due deliveries a little ahead into a ready queue, starts each on a sending slot
    of its own as soon as one is free (and its partner is within its share), and hands the
    outcomes to a recorder thread."""

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
        # A send starts only with this much of its lease left: it ends (by its deadline) and
        # is recorded before another worker may take the delivery.
        self.lease_needed = timedelta(seconds=timeout + min(5.0, (lease - timeout) / 2))
        self.http = guarded_client(allow_private=allow_private, resolver=resolver, timeout=timeout)
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="wijkdeel-send")
        self._changed = threading.Condition()
        self._ready: deque[Job] = deque()  # claimed, waiting for a slot
        self._in_flight: dict[str, str] = {}  # delivery id -> partner, while being sent
        self._outcomes: list[Outcome] = []  # sent, not recorded yet
        self._recording = 0
        self._started = 0
        self._stopping = False  # no new sends
        self._closing = False  # and the recorder ends once all is written
        self._more = False  # the last claim took all it asked for: more may be due
        self._wake = threading.Event()
        self._recorder = threading.Thread(
            target=self._record_loop, name="wijkdeel-record", daemon=True
        )
        self._recorder.start()

    def close(self) -> None:
        """Wait for the sends in flight (each ends by its deadline) and their records; what
        was claimed but not started is left to its lease."""
        with self._changed:
            self._stopping = True
            self._ready.clear()
        self.pool.shutdown(wait=True)
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._recorder.join()
        self.http.close()

    def idle(self) -> bool:
        """Nothing waiting for a slot, being sent or waiting to be recorded."""
        with self._changed:
            return not (self._ready or self._in_flight or self._outcomes or self._recording)

    def due(self, full: Sequence[str] = ()) -> bool:
        """Whether a delivery is due, not counting partners in `full` (those holding all they
        may): a cheap read first, so an idle worker never takes SQLite's write lock."""
        now = self.clock()
        query = select(col(Delivery.id)).where(*_claimable(now))
        if full:
            query = query.join(
                Subscription, col(Subscription.id) == Delivery.subscription_id
            ).where(col(Subscription.partner_id).not_in(full))
        with self.db.read_session() as session:
            return session.scalar(query.limit(1)) is not None

    def pump(self) -> int:
        """Start what is ready, claim what the queue has room for, and start that too; never
        waits for a send. Returns how many sends it started."""
        started = self._start_ready()
        # A partner holds at most its share of the slots and as many again waiting, so the
        # queue never fills up with one slow partner's deliveries.
        most = 2 * self.per_partner
        with self._changed:
            held = Counter(self._in_flight.values())
            held.update(job.partner for job in self._ready)
            room = 2 * self.concurrency - len(self._in_flight) - len(self._ready)
        full = [partner for partner, count in held.items() if count >= most]
        if room <= 0 or not (self._more or self.due(full)):
            return started
        jobs = self.claim(room, held, most=most)
        self._more = len(jobs) == room
        with self._changed:
            self._ready.extend(jobs)
        return started + self._start_ready()

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
        """Deliver until nothing is due and all is recorded (tests and the benchmark); returns
        how many attempts were made."""
        with self._changed:
            before = self._started
        stop = time.monotonic() + deadline
        while time.monotonic() < stop:
            if not self.pump():
                if self.idle():
                    break
                with self._changed:
                    self._changed.wait(0.05)
        with self._changed:
            return self._started - before

    def _start_ready(self) -> int:
        """Start waiting deliveries, oldest first, while slots are free and their partners
        are within their share."""
        now = self.clock()
        starting = []
        with self._changed:
            if self._stopping:
                return 0
            sending = Counter(self._in_flight.values())
            waiting: deque[Job] = deque()
            for job in self._ready:
                if job.lease_until - now < self.lease_needed:
                    continue  # too late to send safely: its lease runs out, and it is claimed anew
                if len(self._in_flight) < self.concurrency and sending[job.partner] < (
                    self.per_partner
                ):
                    self._in_flight[job.delivery_id] = job.partner
                    sending[job.partner] += 1
                    starting.append(job)
                else:
                    waiting.append(job)
            self._ready = waiting
            self._started += len(starting)
            # Under the lock, so that close() can never come between the check and these.
            for job in starting:
                self.pool.submit(self._deliver, job)
        return len(starting)

    def _deliver(self, job: Job) -> None:
        """Send one delivery on a slot of its own; the slot is free again as soon as the answer
        (or the deadline) is in, and the outcome waits for the recorder."""
        outcome = None
        try:
            outcome = self.send(job)
        except Exception as exc:
            # Its lease runs out and it is sent again; type only, as below.
            log.error("sending a delivery failed: %s", type(exc).__name__)
        finally:
            with self._changed:
                self._in_flight.pop(job.delivery_id, None)
                if outcome is not None:
                    self._outcomes.append(outcome)
                self._changed.notify_all()
            self._start_ready()
            self._wake.set()

    def _record_loop(self) -> None:
        while True:
            with self._changed:
                while not self._outcomes and not self._closing:
                    self._changed.wait()
                if not self._outcomes:
                    return
                batch, self._outcomes = self._outcomes, []
                self._recording = len(batch)
            try:
                self.record(batch)
            finally:
                with self._changed:
                    self._recording = 0
                    self._changed.notify_all()
                self._wake.set()

    def claim(self, room: int, held: Counter[str] | None = None, *, most: int = 0) -> list[Job]:
        """Lease up to `room` due deliveries, oldest first, leaving out partners that already
        hold `most` (`held`: deliveries each partner holds now; `most` 0: no such limit)."""
        now = self.clock()
        most = most or room
        taken = Counter(held or {})
        full = [partner for partner, count in taken.items() if count >= most]
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
                if taken[partner] < most:
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

    def record(self, outcomes: list[Outcome]) -> None:
        """Write attempts' outcomes in one transaction, or one by one when that fails; an
        outcome that cannot be written is sent again once its lease has run out."""
        try:
            with self.db.session() as session:
                now = self.clock()
                for outcome in outcomes:
                    self._record_one(session, outcome, now)
            return
        except Exception as exc:
            # Type only: database errors can carry row values in their message.
            log.error("recording %d deliveries failed: %s", len(outcomes), type(exc).__name__)
        if len(outcomes) == 1:
            return
        for outcome in outcomes:
            try:
                with self.db.session() as session:
                    self._record_one(session, outcome, self.clock())
            except Exception as exc:
                log.error("recording a delivery failed: %s", type(exc).__name__)

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
