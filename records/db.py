"""The database: engine set-up for SQLite and PostgreSQL, and transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine


class Database:
    """The engines of one database and the ways this service opens transactions on them.

    SQLite allows one writer at a time, and every request writes (its audit event at least).
    So on SQLite writes go through one connection per process, which makes threads queue on
    the pool instead of in SQLite's sleeping busy handler, and begin with BEGIN IMMEDIATE so a
    transaction never has to upgrade a stale read snapshot. Reads that must not wait for a
    writer (key caches refreshing in the middle of a request) use a separate pool. On
    PostgreSQL both are the same engine.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, echo=echo, writer=True)
            self.read_engine = _sqlite_engine(url, echo=echo, writer=False)
            self.side_engine = _sqlite_engine(url, echo=echo, writer=False, pooled=False)
        else:
            self.engine = create_engine(
                url, echo=echo, pool_size=10, max_overflow=10, pool_timeout=30, pool_recycle=1800
            )
            self.read_engine = self.engine
            self.side_engine = create_engine(url, echo=echo, poolclass=NullPool)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends, rolls back when it raises."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def read_session(self) -> Session:
        """A session for reads only; never waits for a writer."""
        return Session(self.read_engine, expire_on_commit=False)

    def side_session(self) -> Session:
        """A read session on a connection of its own, outside every pool: for caches that
        refresh in the middle of a request, which may already hold a pooled connection (taking
        a second one from the same pool could wait forever once every request holds one)."""
        return Session(self.side_engine, expire_on_commit=False)

    def dispose(self) -> None:
        for engine in {self.engine, self.read_engine, self.side_engine}:
            engine.dispose()


def _sqlite_engine(url: str, *, echo: bool, writer: bool, pooled: bool = True) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    pool: dict[str, Any] = (
        {"pool_size": 1 if writer else 8, "max_overflow": 0, "pool_timeout": 30}
        if pooled
        else {"poolclass": NullPool}
    )
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "isolation_level": None},
        **pool,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Other processes (a separate worker, the CLI) still contend for the write lock.
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine
