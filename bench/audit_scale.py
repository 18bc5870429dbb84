"""Benchmark of the audit log at scale: chain verification, the subject report, a filtered
search and a full CSV export over N events (default 1,000,000), on SQLite and PostgreSQL, with
and without the audit indexes of migration 0004.

Loads N synthetic, correctly chained events into a scratch database (SQLite: a temporary file;
PostgreSQL: a database `wijkdeel_bench_audit` created on the given server and dropped after),
then measures each figure against its target. No figure is asserted; they are printed, and
returned by `run()` for a benchmark suite to collect.

Run: `python bench/audit_scale.py [--events 1000000] [--postgres URL] [--workers N]`
(URL like postgresql://postgres@127.0.0.1:5432/postgres; without it, SQLite only).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import itertools
import os
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from audit import chain, export, queries
from audit.chain import CHAIN_COLUMNS, GENESIS, event_hash
from audit.queries import EventFilter
from records import migrate
from records.db import Database
from records.models import AuditEvent

VERIFY_TARGET = 200_000  # events per second
QUERY_TARGET_MS = 100.0
BENCH_DATABASE = "wijkdeel_bench_audit"
# The indexes migration 0004 adds to audit_events (name, columns).
AUDIT_INDEXES = [
    (index.name, [column.name for column in index.columns])
    for index in AuditEvent.__table__.indexes  # type: ignore[attr-defined]
    if index.name != "ix_audit_events_unsealed"
]
LOAD_BATCH = 50_000
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a UTC datetime in SQLite
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
ACTIONS = {
    "signal.list": 30, "signal.read": 24, "token.issue": 12, "signal.share": 6,
    "signal.create": 5, "signal.update": 5, "consent.read": 3, "me.read": 3, "match.list": 3,
    "consent.create": 2, "consent.search": 2, "agreement.read": 2, "signal.erase": 1,
    "audit.read": 1, "consent.withdraw": 1,
}  # fmt: skip
ABOUT_A_CHILD = ("signal.", "consent.", "match.")


def _events(count: int, *, seed: int = 7) -> Iterator[list[tuple[Any, ...]]]:
    """Synthetic sealed events in CHAIN_COLUMNS order plus hash, in batches: a year of a large
    municipality's traffic - 60 partners of very different size, 40,000 children of whom a few
    come up often, 4% denials."""
    rng = random.Random(seed)
    partners = [f"partner-{n:02d}" for n in range(60)]
    partner_weights = list(itertools.accumulate(1 / (n + 1) for n in range(60)))
    children = [
        "sr_" + "".join(rng.choices("abcdefghijklmnopqrstuvwxyz234567", k=26))
        for _ in range(40_000)
    ]
    child_weights = list(itertools.accumulate(1 / (n + 1) ** 0.8 for n in range(len(children))))
    actions, action_weights = list(ACTIONS), list(itertools.accumulate(ACTIONS.values()))
    start = NOW - timedelta(days=365)
    step = timedelta(days=365) / count
    prev = GENESIS
    batch: list[tuple[Any, ...]] = []
    for seq in range(1, count + 1):
        partner = rng.choices(partners, cum_weights=partner_weights)[0]
        action = rng.choices(actions, cum_weights=action_weights)[0]
        outcome = "deny" if rng.random() < 0.04 else "error" if rng.random() < 0.003 else "allow"
        child = (
            rng.choices(children, cum_weights=child_weights)[0]
            if action.startswith(ABOUT_A_CHILD)
            else None
        )
        allowed_share = outcome == "allow" and action in ("signal.share", "signal.read")
        values = (
            seq,
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            start + step * seq,
            f"cl_{partners.index(partner):02d}{rng.randrange(3)}",
            partner,
            "partner",
            action,
            action.split(".")[0],
            str(uuid.UUID(int=rng.getrandbits(128), version=4)) if child else None,
            child,
            rng.choice(("signalering", "afstemming")),
            rng.choice(("public_task", "consent")) if allowed_share else None,
            f"convenant-{partners.index(partner) % 12}" if allowed_share else None,
            rng.randrange(1, 4) if allowed_share else None,
            outcome,
            "consent_required" if outcome == "deny" else None,
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            prev,
            None,
            None,
            None,
            None,
        )
        prev = event_hash(values)
        batch.append((*values, prev))
        if len(batch) == LOAD_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _load(db: Database, count: int) -> None:
    columns = [*CHAIN_COLUMNS, "hash"]
    if db.is_sqlite:
        path = db.url.database
        assert path
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA synchronous=OFF")
            placeholders = ", ".join("?" * len(columns))
            for batch in _events(count):
                conn.executemany(
                    f"INSERT INTO audit_events ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
                    [(*row[:2], row[2].strftime(SQLITE_TIME), *row[3:]) for row in batch],
                )
                conn.commit()
        return
    raw = db.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(raw) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY audit_events ({', '.join(columns)}) FROM STDIN") as copy:
            for batch in _events(count):
                for row in batch:
                    copy.write_row(row)
        conn.commit()


def _sqlite_timestamps_are_sqlalchemy_form(db: Database) -> None:
    """The walk formats SQLite datetimes by text; the loader must store SQLAlchemy's form."""
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT at FROM audit_events WHERE seq = 1")).scalar()
    assert isinstance(stored, str) and len(stored) == 26 and stored[10] == " ", stored


def _drop_indexes(db: Database) -> None:
    with db.engine.begin() as conn:
        for name, _ in AUDIT_INDEXES:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))


def _create_indexes(db: Database) -> float:
    started = time.perf_counter()
    with db.engine.begin() as conn:
        for name, columns in AUDIT_INDEXES:
            conn.execute(text(f"CREATE INDEX {name} ON audit_events ({', '.join(columns)})"))
    _analyze(db)
    return time.perf_counter() - started


def _analyze(db: Database) -> None:
    """Statistics for the planner; on PostgreSQL also the visibility map that index-only scans
    need (autovacuum keeps both current in production)."""
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE audit_events"))


def _median_ms(work: Callable[[], object], repeat: int = 7) -> float:
    work()  # warm the caches: the figure is a repeated query, not a cold disk
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _children(db: Database) -> tuple[tuple[str, int], tuple[str, int]]:
    """(the child with the most events, a child with the median number), with their counts."""
    with db.read_session() as session:
        rows = session.execute(
            text(
                "SELECT subject_ref, count(*) AS n FROM audit_events WHERE subject_ref IS NOT NULL"
                " GROUP BY subject_ref ORDER BY n DESC"
            )
        ).all()
    busiest, median = rows[0], rows[len(rows) // 2]
    return (str(busiest.subject_ref), int(busiest.n)), (str(median.subject_ref), int(median.n))


def _queries(
    db: Database, *, indexes: bool, children: tuple[tuple[str, int], ...], events: int
) -> list[dict[str, Any]]:
    (busiest, many), (typical, few) = children
    label = "with indexes" if indexes else "without indexes"
    cases = [
        (
            f"subject report of a typical child ({few} events)",
            EventFilter(subject_ref=typical),
            1000,
        ),
        (
            f"subject report of the busiest child ({many} events), first page of up to 1000",
            EventFilter(subject_ref=busiest),
            1000,
        ),
        (
            "search partner + action + 28 days, first page of 100",
            EventFilter(
                partner="partner-03",
                action="signal.read",
                since=NOW - timedelta(days=30),
                until=NOW - timedelta(days=2),
            ),
            100,
        ),
        (
            "search the last 30 days, first page of 100",
            EventFilter(since=NOW - timedelta(days=30)),
            100,
        ),
    ]
    figures = []
    for name, where, limit in cases:

        def work(where: EventFilter = where, limit: int = limit) -> object:
            with db.read_session() as session:
                return queries.page(session, where, cursor=None, limit=limit)

        figures.append(
            _figure(
                db,
                f"{name}, {label}",
                _median_ms(work),
                "ms",
                QUERY_TARGET_MS,
                below=True,
                events=events,
            )
        )
    return figures


def _figure(
    db: Database,
    name: str,
    value: float,
    unit: str,
    target: float | None,
    *,
    below: bool = False,
    events: int,
) -> dict[str, Any]:
    met = None if target is None else (value <= target if below else value >= target)
    return {
        "backend": db.dialect,
        "events": events,
        "measure": name,
        "value": round(value, 1),
        "unit": unit,
        "target": None if target is None else f"{'<=' if below else '>='} {target:,.0f} {unit}",
        "met": met,
    }


def _resident_bytes() -> int:
    """This process's resident memory now (Linux); its peak so far elsewhere."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return pages * os.sysconf("SC_PAGE_SIZE")


def _export_all(db: Database) -> tuple[int, int, float]:
    """Stream the whole log as CSV the way the API does: (bytes, rows, the most the resident
    memory grew meanwhile, in MiB)."""
    with db.read_session() as session:
        upto = queries.last_seq(session)
    before = peak = _resident_bytes()
    size, rows = 0, 0
    for chunk in export.stream(export.CSV, queries.chunks(db, EventFilter(), after=0, upto=upto)):
        size += len(chunk)
        rows += chunk.count(b"\r\n")
        peak = max(peak, _resident_bytes())
    return size, rows - 1, (peak - before) / 2**20


def _measure(db: Database, events: int, workers: int) -> list[dict[str, Any]]:
    figures = []
    started = time.perf_counter()
    _drop_indexes(db)
    _load(db, events)
    _analyze(db)
    load_seconds = time.perf_counter() - started
    if db.is_sqlite:
        _sqlite_timestamps_are_sqlalchemy_form(db)
    figures.append(_figure(db, "bulk load", events / load_seconds, "events/s", None, events=events))
    children = _children(db)
    figures += _queries(db, indexes=False, children=children, events=events)
    build = _create_indexes(db)
    figures.append(_figure(db, "building the audit indexes", build, "s", None, events=events))
    figures += _queries(db, indexes=True, children=children, events=events)

    for count in sorted({1, workers}):
        started = time.perf_counter()
        chain.PARALLEL_MIN = 0  # measure the processes even on a short chain
        result = chain.verify(db, workers=count)
        seconds = time.perf_counter() - started
        assert result.valid and result.count == events, result
        figures.append(
            _figure(
                db,
                f"full chain verification, {count} process{'es' if count > 1 else ''}",
                events / seconds,
                "events/s",
                VERIFY_TARGET,
                events=events,
            )
        )
    tail = chain.Head(events - 10_000, *_hash_and_time(db, events - 10_000))
    started = time.perf_counter()
    assert chain.verify(db, after=tail).valid
    figures.append(
        _figure(
            db,
            "incremental verification of the last 10,000 events",
            (time.perf_counter() - started) * 1000,
            "ms",
            None,
            events=events,
        )
    )
    started = time.perf_counter()
    size, rows, grown = _export_all(db)
    seconds = time.perf_counter() - started
    assert rows == events, rows
    figures.append(
        _figure(db, "CSV export of every event", rows / seconds, "events/s", None, events=events)
    )
    figures.append(
        _figure(
            db,
            f"resident memory growth during that export ({size / 1e6:,.0f} MB of CSV)",
            grown,
            "MiB",
            None,
            events=events,
        )
    )
    return figures


def _hash_and_time(db: Database, seq: int) -> tuple[str, datetime]:
    with db.read_engine.connect() as conn:
        row = conn.execute(
            text("SELECT hash, at FROM audit_events WHERE seq = :seq"), {"seq": seq}
        ).one()
    at = row.at if isinstance(row.at, datetime) else datetime.fromisoformat(row.at)
    return row.hash, at.replace(tzinfo=UTC) if at.tzinfo is None else at


def run(
    events: int = 1_000_000, url: str | None = None, *, workers: int = 0
) -> list[dict[str, Any]]:
    """Load `events` events into a scratch database and measure. `url`: None for a temporary
    SQLite file, or a PostgreSQL server URL on which a scratch database is created and dropped.
    `workers`: processes for the parallel verification (0: the CPU count, at most 4)."""
    workers = workers or min(4, os.cpu_count() or 1)
    if url is None:
        with tempfile.TemporaryDirectory() as directory:
            db = Database(f"sqlite:///{directory}/audit-bench.db")
            try:
                migrate.upgrade(db)
                return _measure(db, events, workers)
            finally:
                db.dispose()
    server = make_url(url).set(drivername="postgresql")
    admin = server.render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    db = Database(
        server.set(drivername="postgresql+psycopg", database=BENCH_DATABASE).render_as_string(
            hide_password=False
        )
    )
    try:
        migrate.upgrade(db)
        return _measure(db, events, workers)
    finally:
        db.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')


def _print(figures: list[dict[str, Any]]) -> None:
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    for figure in figures:
        verdict = {True: "met", False: "MISSED", None: ""}[figure["met"]]
        out.writerow(
            [
                figure["backend"],
                f"{figure['value']:>12,.1f} {figure['unit']:<9}",
                f"{figure['target'] or '':<22}",
                f"{verdict:<6}",
                figure["measure"],
            ]
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to measure too")
    parser.add_argument("--workers", type=int, default=0, help="verification processes")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    figures = run(arguments.events, None, workers=arguments.workers)
    if arguments.postgres:
        figures += run(arguments.events, arguments.postgres, workers=arguments.workers)
    if arguments.json:
        print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
    else:
        print(f"{arguments.events:,} events; cpu count {os.cpu_count()}")
        _print(figures)


if __name__ == "__main__":
    main()
