"""The database: engines for SQLite and PostgreSQL, sized so that nothing waits on a pool.

Requests reach the database only through the unit of work (wijkdeel.unit), which admits a
request to a slot before it takes a connection; there are exactly as many slots as pooled
connections, so a thread never waits for a connection. Background work (the webhook worker,
the sealer, the sweeper, key refreshes outside a request) uses an engine of its own, so it never
takes a connection a request was promised.

SQLite allows one writer at a time. Requests write through one connection per process (one
write slot) and begin with BEGIN IMMEDIATE, so a transaction never has to upgrade a stale read
snapshot; reads use a pool of their own and never wait for the writer (WAL). Other processes
(a worker, the CLI) still contend for the file's write lock: that wait is bounded by
busy_timeout, in a worker thread, never on the event loop.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

BACKGROUND_BUSY_SECONDS = 30.0

# The session of the unit of work running on this thread (wijkdeel.unit sets it), so that a
# cache refreshing in the middle of a unit reads through the unit's own connection instead of
# taking a second one.
current_session: contextvars.ContextVar[Session | None] = contextvars.ContextVar(
    "wijkdeel_unit_session", default=None
)


@dataclass(frozen=True)
class Capacity:
    """How many connections requests get, and how long a statement or lock may take."""

    pool_size: int = 10  # PostgreSQL: connections for requests (reads and writes alike)
    sqlite_readers: int = 8  # SQLite: read connections (the writer is always one)
    statement_timeout: float = 15.0
    lock_timeout: float = 3.0
    # A safety net only: a slot guarantees a free connection, so a checkout never waits.
    checkout_timeout: float = 5.0


class Database:
    """The engines of one database and the ways this service opens transactions on them."""

    def __init__(self, url: str, *, echo: bool = False, capacity: Capacity | None = None) -> None:
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        self.capacity = capacity = capacity or Capacity()
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, echo=echo, writer=True, capacity=capacity)
            self.read_engine = _sqlite_engine(url, echo=echo, writer=False, capacity=capacity)
            self.background_engine = _sqlite_engine(
                url, echo=echo, writer=True, capacity=capacity, pooled=False
            )
            self.background_read_engine = _sqlite_engine(
                url, echo=echo, writer=False, capacity=capacity, pooled=False
            )
        else:
            self.engine = self.read_engine = _postgres_engine(
                url, echo=echo, capacity=capacity, pool_size=capacity.pool_size
            )
            self.background_engine = self.background_read_engine = _postgres_engine(
                url, echo=echo, capacity=capacity, pool_size=None
            )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def read_slots(self) -> int:
        """Requests that may read at once (on PostgreSQL: that may use the database at once)."""
        return self.capacity.sqlite_readers if self.is_sqlite else self.capacity.pool_size

    @property
    def write_slots(self) -> int:
        return 1 if self.is_sqlite else self.capacity.pool_size

    @property
    def shared_slots(self) -> bool:
        """Whether reads and writes draw on one pool (PostgreSQL) or two (SQLite)."""
        return not self.is_sqlite

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction outside any request (CLI, worker, tests): commits when the block ends,
        rolls back when it raises. Uses the background engine, never a request's connection."""
        with Session(self.background_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def read_session(self) -> Session:
        """A read-only session outside any request (background engine)."""
        return Session(self.background_read_engine, expire_on_commit=False)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """The running unit's session when there is one, else a background read session."""
        session = current_session.get()
        if session is not None:
            yield session
            return
        with self.read_session() as own:
            yield own

    def dispose(self) -> None:
        engines = {self.engine, self.read_engine, self.background_engine}
        for engine in engines | {self.background_read_engine}:
            engine.dispose()


def _postgres_engine(url: str, *, echo: bool, capacity: Capacity, pool_size: int | None) -> Engine:
    # Every statement and every lock wait is bounded: a stuck query answers 503, it does not
    # hold a connection (and so a slot) for ever.
    options = (
        f"-c statement_timeout={int(capacity.statement_timeout * 1000)}"
        f" -c lock_timeout={int(capacity.lock_timeout * 1000)}"
    )
    connect_args = {"options": options, "connect_timeout": 5}
    if pool_size is None:
        return create_engine(url, echo=echo, poolclass=NullPool, connect_args=connect_args)
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=capacity.checkout_timeout,
        pool_recycle=1800,
        pool_pre_ping=False,
        connect_args=connect_args,
    )


def _sqlite_engine(
    url: str, *, echo: bool, writer: bool, capacity: Capacity, pooled: bool = True
) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    size = 1 if writer else capacity.sqlite_readers
    pool: dict[str, Any] = (
        {"pool_size": size, "max_overflow": 0, "pool_timeout": capacity.checkout_timeout}
        if pooled
        else {"poolclass": NullPool}
    )
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "isolation_level": None},
        **pool,
    )
    # A request waits for another process's write lock at most lock_timeout; background work
    # (no caller waiting) longer.
    busy_ms = int((capacity.lock_timeout if pooled else BACKGROUND_BUSY_SECONDS) * 1000)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Other processes (a separate worker, the CLI) contend for the write lock: waited for
        # in a worker thread, at most this long, then the request answers 503.
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine
