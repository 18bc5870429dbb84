"""Group commit: every event is committed before write() returns, batched under contention, and
one bad row fails only its own request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from audit.events import EVENTS, AuditDraft
from audit.writer import AuditWriter
from records.db import Database
from tests.factories import run_async


def _rows(index: int) -> list[dict[str, Any]]:
    draft = AuditDraft(action="signal.read", at=datetime.now(UTC), resource_id=str(index))
    return draft.rows("allow")


class Slots:
    """One write slot, as SQLite has; counts how many batches took it."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.taken = 0

    def __call__(self) -> AbstractAsyncContextManager[None]:
        @asynccontextmanager
        async def slot() -> AsyncIterator[None]:
            async with self.lock:
                self.taken += 1
                yield

        return slot()


def _count(db: Database, index: int | None = None) -> int:
    query = select(func.count()).select_from(EVENTS)
    if index is not None:
        query = query.where(EVENTS.c.resource_id == str(index))
    with db.read_session() as session:
        return int(session.scalar(query) or 0)


def test_concurrent_writers_all_commit_before_returning(db: Database) -> None:
    async def main() -> tuple[list[int], int]:
        slots = Slots()
        writer = AuditWriter(db, slots)

        async def one(index: int) -> int:
            await writer.write(_rows(index))
            return _count(db, index)

        seen = await asyncio.gather(*(one(i) for i in range(40)))
        return list(seen), slots.taken

    seen, batches = run_async(main)
    assert seen == [1] * 40 and _count(db) == 40
    assert batches < 40  # waiting requests were committed together


def test_a_bad_row_fails_only_its_own_request(db: Database) -> None:
    async def main() -> list[BaseException | None]:
        writer = AuditWriter(db, Slots())
        bad = _rows(1)
        bad[0]["action"] = None  # NOT NULL: this row cannot be committed
        outcomes = await asyncio.gather(
            writer.write(_rows(0)), writer.write(bad), writer.write(_rows(2)),
            return_exceptions=True,
        )  # fmt: skip
        await writer.write(_rows(3))  # and the writer is usable afterwards
        return list(outcomes)

    first, failed, third = run_async(main)
    assert first is None and third is None
    assert isinstance(failed, Exception) and "IntegrityError" in type(failed).__name__
    assert [_count(db, i) for i in range(4)] == [1, 0, 1, 1]


def test_a_cancelled_request_does_not_break_the_batch(db: Database) -> None:
    async def main() -> None:
        writer = AuditWriter(db, Slots())
        waiting = asyncio.create_task(writer.write(_rows(0)))
        other = asyncio.create_task(writer.write(_rows(1)))
        await asyncio.sleep(0)
        waiting.cancel()
        await other

    run_async(main)
    assert _count(db, 1) == 1
