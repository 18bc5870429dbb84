"""The unit of work every surface runs: admit → authenticate → decide → do → audit → commit.

A request (from the API or the console) does its database work as one plain function of a `Tx`,
run here in a single trip to a worker thread, on a single connection, in a single transaction
that also holds its audit event (and outbox rows). Before the trip it is admitted to a slot:
there are exactly as many slots as pooled connections (on SQLite: one for writing, a few for
reading), and the slot is awaited on the event loop, so a thread never waits for a connection
and a full service answers 503 with Retry-After after a short bound instead of hanging.

A unit that wrote nothing (a read) releases its connection and then awaits the group commit of
its audit event (audit.writer) before its answer leaves. A refused or failed unit rolls back
and leaves a deny or error event; a request nobody can be named for is counted instead
(audit.refusals). Either way the event is written exactly once, here.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeVar

import anyio.to_thread
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from audit.events import AuditDraft, Outcome, record
from audit.refusals import RefusalCounter, minute_of
from audit.writer import AuditWriter
from core.errors import DomainError, Unavailable
from records.db import current_session
from records.hotpath import Raw
from records.policy import LazyConsents, PolicyView, consents_for
from wijkdeel.runtime import Runtime

T = TypeVar("T")
Mode = Literal["read", "write"]


@dataclass
class Tx:
    """One unit of work as domain code sees it: one connection, one transaction, one moment."""

    session: Session
    runtime: Runtime
    now: datetime
    audit: AuditDraft
    epoch: int | None = None  # the policy epoch, once the caller check has read it
    _raw: Raw | None = field(default=None, repr=False)
    _view: PolicyView | None = field(default=None, repr=False)

    @property
    def raw(self) -> Raw:
        """The DBAPI connection under the session (the same connection, the same transaction)."""
        if self._raw is None:
            self._raw = Raw.of(self.session)
        return self._raw

    @property
    def view(self) -> PolicyView:
        if self._view is None:
            self._view = self.runtime.policy.view(self.session, self.epoch)
        return self._view

    def consents(self, subject_index: str) -> LazyConsents:
        return LazyConsents(lambda: consents_for(self.session, subject_index))


class Gate:
    """Slots of one kind, awaited on the event loop for at most `wait` seconds."""

    def __init__(self, size: int, wait: float) -> None:
        self.size, self.wait = size, wait
        self._semaphore = asyncio.Semaphore(size)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            await asyncio.wait_for(self._semaphore.acquire(), self.wait)
        except TimeoutError:
            raise Unavailable(
                "the service is busy; try again shortly", retry_after=max(1, round(self.wait))
            ) from None
        try:
            yield
        finally:
            self._semaphore.release()


@dataclass(frozen=True)
class _Loop:
    """What the runner keeps per event loop."""

    reads: Gate
    writes: Gate
    writer: AuditWriter
    slow: Gate


class Units:
    """The unit-of-work runner of one event loop (one per application)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.refusals = RefusalCounter()
        self._counting: datetime | None = None  # the minute anonymous refusals are counted in
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Loop] = (
            weakref.WeakKeyDictionary()
        )

    def _bind(self) -> _Loop:
        """Gates and the group commit belong to the running event loop: made on first use, one
        set per loop (as when tests start the application several times)."""
        loop = asyncio.get_running_loop()
        bound = self._loops.get(loop)
        if bound is None:
            db, wait = self.runtime.db, self.runtime.settings.db_wait
            reads = Gate(db.read_slots, wait)
            writes = reads if db.shared_slots else Gate(db.write_slots, wait)
            bound = _Loop(
                reads,
                writes,
                AuditWriter(db, writes.slot),
                Gate(self.runtime.settings.hash_concurrency, wait),
            )
            self._loops[loop] = bound
        return bound

    def _gate(self, mode: Mode) -> Gate:
        bound = self._bind()
        return bound.writes if mode == "write" else bound.reads

    async def probe(self) -> None:
        """One round trip on a read connection, admitted like any unit (for /ready); raises
        when the database is out of reach or the service is full."""

        def ping() -> None:
            with self.runtime.db.read_engine.connect() as connection:
                connection.execute(text("SELECT 1"))

        async with self._gate("read").slot():
            await anyio.to_thread.run_sync(ping)

    async def slow(self, work: Callable[..., T], *args: object) -> T:
        """Deliberately slow work (argon2) in a worker thread, a bounded number at a time and
        never inside a unit of work: it holds no connection and no write slot."""
        async with self._bind().slow.slot():
            return await anyio.to_thread.run_sync(work, *args)

    async def run(
        self, mode: Mode, draft: AuditDraft, work: Callable[[Tx], T], *, audited: bool = True
    ) -> T:
        """Run `work` as one unit: admitted, on one connection, committed with its audit event.
        With `audited=False` a success leaves no event (a step of a request whose event another
        unit writes); a failure always leaves one, unless the request's event is written."""
        try:
            async with self._gate(mode).slot():
                result = await anyio.to_thread.run_sync(self._execute, mode, draft, work, audited)
        except BaseException as error:
            await self.settle_failure(draft, error)
            raise
        if mode == "read" and audited:
            await self.settle(draft, "allow")
        return result

    def _execute(self, mode: Mode, draft: AuditDraft, work: Callable[[Tx], T], audited: bool) -> T:
        engine = self.runtime.db.engine if mode == "write" else self.runtime.db.read_engine
        with Session(engine, expire_on_commit=False) as session:
            token = current_session.set(session)
            try:
                result = work(Tx(session, self.runtime, draft.at, draft))
                if mode == "write":
                    if audited:
                        record(session, draft, "allow")
                    session.commit()
                    if audited:
                        draft.settled = True
                # A read ends with the session: closing it hands the connection back (the pool
                # rolls it back) and leaves what it loaded readable, where a rollback would
                # expire it.
                return result
            except BaseException as error:
                session.rollback()
                converted = _unavailable(error)
                if converted is not None:
                    raise converted from None
                raise
            finally:
                current_session.reset(token)

    async def settle(self, draft: AuditDraft, outcome: Outcome, reason: str | None = None) -> None:
        """Write the request's event (once); a request nobody can be named for is counted."""
        if draft.settled:
            return
        draft.settled = True
        if draft.anonymous:
            self.refusals.add(
                ip=draft.ip, action=draft.action, reason=reason or outcome, at=draft.at
            )
            if minute_of(draft.at) != self._counting:
                self._counting = minute_of(draft.at)
                await self.flush_refusals()
            return
        await self._bind().writer.write(draft.rows(outcome, reason))

    async def settle_failure(self, draft: AuditDraft, error: BaseException) -> None:
        if isinstance(error, DomainError):
            outcome: Outcome = "error" if error.status >= 500 else "deny"
            reason = ",".join(error.reasons) if error.reasons else error.code
        elif isinstance(error, asyncio.CancelledError):
            outcome, reason = "error", "cancelled"
        else:
            outcome, reason = "error", "server_error"
        # The original failure is what the caller must see, not a failure to record it.
        with contextlib.suppress(Exception):
            await self.settle(draft, outcome, reason)

    async def flush_refusals(self, *, everything: bool = False) -> None:
        """Write the counts of every minute that has ended."""
        rows = self.refusals.due(self.runtime.now(), everything=everything)
        if not rows:
            return
        try:
            await self._bind().writer.write(rows)
        except Exception:
            self.refusals.put_back(rows)
            raise


def _unavailable(error: BaseException) -> Unavailable | None:
    """A database that is busy or out of reach is a 503, not a 500."""
    if isinstance(error, PoolTimeout):
        return Unavailable("the service is busy; try again shortly")
    if isinstance(error, OperationalError | DBAPIError):
        text = type(getattr(error, "orig", error)).__name__ + str(getattr(error, "orig", ""))
        busy = ("locked", "busy", "LockNotAvailable", "QueryCanceled", "lock timeout")
        if any(word in text for word in busy):
            return Unavailable("the service is busy; try again shortly")
        if isinstance(error, OperationalError):
            return Unavailable("the database is out of reach", code="database_unavailable")
    return None
