"""Background work beside the API (or alone, as `wijkdeel worker`): delivering webhooks,
sealing the audit chain, erasing signals past their retention, telling the municipality of
matches nobody coordinates, reminding senders whose postponement of informing the family has
ended, forgetting expired token records."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete

from audit.chain import seal_pending
from notifications.delivery import Deliverer
from records.models import RevokedToken, UsedAssertion
from signals.coordination import raise_unassigned
from signals.erasure import sweep_expired
from signals.informing import remind_due
from wijkdeel.runtime import Runtime

log = logging.getLogger("wijkdeel.worker")


def purge_expired_token_records(runtime: Runtime) -> int:
    """Forget revocations and used assertion ids once the tokens they concern have expired."""
    now = runtime.now()
    with runtime.db.session() as session:
        removed = session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < now))  # type: ignore[arg-type]
        revoked = session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))  # type: ignore[arg-type]
        return int(removed.rowcount or 0) + int(revoked.rowcount or 0)  # type: ignore[attr-defined]


def sweep_all(runtime: Runtime) -> int:
    """Erase every signal past its retention, a batch per transaction; returns how many."""
    total, now, db = 0, runtime.now(), runtime.db
    while True:
        with db.session() as session:
            swept = sweep_expired(session, now, skip_locked=not db.is_sqlite)
        total += swept
        if not swept:
            return total


def remind_informing(runtime: Runtime) -> int:
    """Tell senders whose postponement of informing has ended, a batch per transaction."""
    total, now, db = 0, runtime.now(), runtime.db
    while True:
        with db.session() as session:
            reminded = remind_due(
                session, now, max_attempts=runtime.max_attempts, skip_locked=not db.is_sqlite
            )
        total += reminded
        if not reminded:
            return total


def raise_all_unassigned(runtime: Runtime) -> int:
    """Tell the municipality of every match nobody has coordinated for too long, a batch per
    transaction; returns how many."""
    total, now, db = 0, runtime.now(), runtime.db
    while True:
        with db.session() as session:
            raised = raise_unassigned(
                session,
                now,
                days=runtime.settings.match_unassigned_days,
                max_attempts=runtime.max_attempts,
                skip_locked=not db.is_sqlite,
            )
        total += raised
        if not raised:
            return total


def deliverer_for(runtime: Runtime) -> Deliverer:
    settings = runtime.settings
    return Deliverer(
        runtime.db,
        runtime.keyrings,
        schedule=runtime.schedule,
        allow_private=settings.webhook_allow_private,
        resolver=runtime.resolver,
        clock=runtime.clock,
        timeout=settings.webhook_timeout,
        lease=settings.webhook_lease,
        concurrency=settings.webhook_concurrency,
        per_partner=settings.webhook_partner_concurrency,
    )


@dataclass
class Job:
    name: str
    interval: float
    run: Callable[[], object]


class BackgroundWorker:
    """Runs each job on its own thread at its interval until stopped, and the delivery of
    webhooks on a thread that claims new work whenever a sending slot is free."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.deliverer = deliverer_for(runtime)
        self.delivery_interval = settings.delivery_interval
        self.jobs = [
            Job("seal", settings.seal_interval, lambda: seal_pending(runtime.db)),
            Job(
                "purge-tokens",
                settings.sweep_interval,
                lambda: purge_expired_token_records(runtime),
            ),
            Job("retention", settings.sweep_interval, lambda: sweep_all(runtime)),
            Job("informing-due", settings.sweep_interval, lambda: remind_informing(runtime)),
            Job("unassigned", settings.sweep_interval, lambda: raise_all_unassigned(runtime)),
        ]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stop.clear()
        deliver = threading.Thread(
            target=self.deliverer.serve,
            args=(self._stop, self.delivery_interval),
            name="wijkdeel-deliver",
            daemon=True,
        )
        deliver.start()
        self._threads.append(deliver)
        for job in self.jobs:
            thread = threading.Thread(
                target=self._loop, args=(job,), name=f"wijkdeel-{job.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self.deliverer.wake()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()
        self.deliverer.close()

    def run_forever(self) -> None:
        self.start()
        try:
            self._stop.wait()
        finally:
            self.stop()

    def _loop(self, job: Job) -> None:
        while not self._stop.is_set():
            try:
                job.run()
            except Exception as exc:
                # Type only: database errors can carry row values in their message.
                log.error("background job %s failed: %s", job.name, type(exc).__name__)
            self._stop.wait(job.interval)
