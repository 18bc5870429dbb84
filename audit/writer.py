"""Group commit for the audit events of requests that change nothing.

A read changes no data, so its event has no transaction of its own to join; it still must be
committed before the answer leaves, or the service could show data it has no record of showing.
Requests queue their events here and wait; one flusher thread writes everything that is waiting
in one transaction and then wakes each of them. Under load that is one commit (one fsync on
PostgreSQL, one write lock on SQLite) for many requests. A failed commit fails every request in
its batch. Requests on the event loop wait without holding a thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import insert

from audit.events import EVENTS
from records.db import Database

MAX_BATCH = 512

Finish = Callable[[BaseException | None], object]  # its result is ignored


class AuditWriter:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._queue: list[tuple[Sequence[dict[str, Any]], Finish]] = []
        self._flushing = False

    def write(self, rows: Sequence[dict[str, Any]], *, timeout: float = 30.0) -> None:
        """Return once `rows` are committed; raise if their commit failed (from a thread)."""
        done = threading.Event()
        outcome: list[BaseException | None] = []

        def finish(error: BaseException | None) -> None:
            outcome.append(error)
            done.set()

        self._enqueue(rows, finish)
        if not done.wait(timeout):
            raise TimeoutError("the audit event was not committed in time")
        if outcome[0] is not None:
            raise outcome[0]

    async def write_async(self, rows: Sequence[dict[str, Any]]) -> None:
        """The same for a coroutine: awaits the commit without holding a thread."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def settle(error: BaseException | None) -> None:
            if future.done():
                return
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)

        self._enqueue(rows, lambda error: loop.call_soon_threadsafe(settle, error))
        await future

    def _enqueue(self, rows: Sequence[dict[str, Any]], finish: Finish) -> None:
        with self._lock:
            self._queue.append((rows, finish))
            start, self._flushing = not self._flushing, True
        if start:
            threading.Thread(target=self._flush, name="wijkdeel-audit-writer", daemon=True).start()

    def _flush(self) -> None:
        """Commit batches until the queue is empty (the thread ends then; a new one starts with
        the next event)."""
        while True:
            with self._lock:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                if not batch:
                    self._flushing = False
                    return
            error: BaseException | None = None
            try:
                with self._db.engine.begin() as connection:
                    connection.execute(insert(EVENTS), [row for rows, _ in batch for row in rows])
            except BaseException as failure:  # every request in the batch must learn of it
                error = failure
            for _, finish in batch:
                finish(error)
