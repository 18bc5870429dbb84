"""The bench's own databases: SQLite files in the run's temp dir, or fresh PostgreSQL databases
(`wijkdeel_bench`, `wijkdeel_bench_baseline`, …) that are dropped when the run ends."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

# The maintenance connection: any database of the server will do.
POSTGRES_ADMIN_URL = os.environ.get(
    "WIJKDEEL_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


# Every PostgreSQL database this process created, for the safety net at the end of a run.
created: set[str] = set()


@dataclass
class BenchDatabase:
    backend: str  # "sqlite" | "postgresql"
    name: str
    url: str  # SQLAlchemy URL

    def drop(self) -> None:
        if self.backend == "postgresql":
            drop_postgres(self.name)
        else:
            path = Path(self.url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


def drop_postgres(name: str) -> None:
    _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    created.discard(name)


def drop_leftovers() -> list[str]:
    """Drop what a failed cleanup left behind; returns the names it dropped."""
    dropped = []
    for name in sorted(created):
        try:
            drop_postgres(name)
            dropped.append(name)
        except psycopg.Error:
            pass
    return dropped


def _admin(statement: sql.Composable) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(statement)


def postgres_version() -> str | None:
    """The server's version when PostgreSQL is reachable, else None."""
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "unknown"
    except psycopg.Error:
        return None


def sqlite_version() -> str:
    return sqlite3.sqlite_version


def create(backend: str, name: str, workdir: Path) -> BenchDatabase:
    """A new, empty database (an existing PostgreSQL one of the same name is dropped first)."""
    if backend == "sqlite":
        path = workdir / f"{name}.db"
        return BenchDatabase("sqlite", name, f"sqlite:///{path}")
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend}")
    ident = sql.Identifier(name)
    _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
    _admin(sql.SQL("CREATE DATABASE {}").format(ident))
    created.add(name)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    return BenchDatabase("postgresql", name, f"{base}/{name}")


def count_rows(db: BenchDatabase, table: str) -> int:
    """Rows in `table` (a fixed name of ours, never input)."""
    if db.backend == "sqlite":
        with contextlib.closing(sqlite3.connect(db.url.removeprefix("sqlite:///"))) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
    url = db.url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        return int(row.fetchone()[0])  # type: ignore[index]
