"""Group commit for the audit events of requests whose work wrote nothing.

A read changes no data, so its event has no transaction of its own to join; it still must be
committed before the answer leaves, or the service could show data it has no record of showing.
Requests hand their events to this writer and await the commit; one flusher task writes
everything that is waiting in one transaction and then wakes each of them. Under load that is
one commit (one write lock on SQLite) for many requests. The flusher takes a write slot like any
unit of work, waits for it on the event loop without holding a thread, and writes in a worker
thread. A batch that fails is written again request by request, so one bad row fails only its
own request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio.to_thread
from sqlalchemy import insert

from audit.events import EVENTS
from records.db import Database

MAX_BATCH = 512

Rows = Sequence[dict[str, Any]]


class AuditWriter:
    """One per event loop (the unit of work creates it)."""

    def __init__(self, db: Database, admit: Callable[[], AbstractAsyncContextManager[None]]):
        self._db = db
        self._admit = admit
        self._queue: list[tuple[Rows, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def write(self, rows: Rows) -> None:
        """Return once `rows` are committed; raise if their commit failed."""
        if not rows:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((rows, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                async with self._admit():
                    failures = await anyio.to_thread.run_sync(self._insert, [r for r, _ in batch])
            except BaseException as error:  # every request in the batch must learn of it
                failures = [error] * len(batch)
            for (_, future), failure in zip(batch, failures, strict=True):
                if future.done():  # its request was cancelled meanwhile
                    continue
                if failure is None:
                    future.set_result(None)
                else:
                    future.set_exception(failure)

    def _insert(self, requests: list[Rows]) -> list[BaseException | None]:
        try:
            with self._db.engine.begin() as connection:
                connection.execute(insert(EVENTS), [row for rows in requests for row in rows])
            return [None] * len(requests)
        except Exception:  # noqa: S110  (retried one by one below, which reports the failure)
            pass
        failures: list[BaseException | None] = []
        for rows in requests:
            try:
                with self._db.engine.begin() as connection:
                    connection.execute(insert(EVENTS), list(rows))
                failures.append(None)
            except Exception as error:
                failures.append(error)
        return failures
