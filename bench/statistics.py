"""Benchmark of the policymaker's figures: a year's statistics over 1,000,000 signals.

Seeds a scratch database by bulk insert (SQLite: executemany in one transaction; PostgreSQL:
COPY) with N signals spread over 2026 (default 1,000,000), about 1.3 recipients each with
acknowledgement and closing times, consents and withdrawals, matches and refused sends in the
audit log; then times `figures.report.compute` - the aggregate queries and the suppression of
small numbers - for the whole year, by month, grouped by sender kind, category and purpose
(and, for orientation, without grouping and by quarter). Target: under 1 s. Nothing is
asserted; figures and the ratio to the target are printed, and returned by `run()` for the
suite (`python -m bench statistics`).

Run: `python -m bench.statistics [--signals 1000000] [--postgres URL]` (URL like
postgresql://postgres@127.0.0.1:5432/postgres; without it, SQLite only).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script, this file's folder would shadow the standard library's `statistics`.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from figures import periods, report  # noqa: E402
from figures.queries import Window  # noqa: E402
from records import migrate  # noqa: E402
from records.db import Database  # noqa: E402
from records.models import metadata  # noqa: E402

TARGET_S = 1.0
BENCH_DATABASE = "wijkdeel_bench_statistics"
NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
YEAR = (date(2026, 1, 1), date(2026, 12, 31))
KINDS = ("kinderwerk", "school", "wijkteam", "jongerenwerk", "kinderopvang", "politie")
CATEGORIES = ("opvoeding", "veiligheid", "gezondheid", "school", "armoede", "huisvesting",
              "verslaving", "huiselijk-geweld")  # fmt: skip
PURPOSES = ("signalering", "afstemming", "zorgcoordinatie")
REASONS = ("consent_required", "category_not_shared", "no_agreement", "purpose_mismatch")
BATCH = 50_000
SEEDED = {"signals", "signal_recipients", "consents", "matches", "audit_events"}
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def _partners() -> list[tuple[str, str]]:
    return [(f"{kind}-{n}", kind) for kind in KINDS for n in range(4)]


def _stamp(moment: datetime, sqlite: bool) -> str:
    return moment.strftime(SQLITE_TIME) if sqlite else moment.isoformat()


def _rows(signals: int, sqlite: bool) -> dict[str, Iterator[tuple[Any, ...]]]:
    """Every table's rows, made lazily and reproducibly."""
    rng = random.Random(2026)
    partners = _partners()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    seconds = 365 * 86400
    recipients: list[tuple[Any, ...]] = []

    def signal_rows() -> Iterator[tuple[Any, ...]]:
        for number in range(signals):
            sender, _ = partners[rng.randrange(len(partners))]
            created = start + timedelta(seconds=rng.randrange(seconds))
            signal_id = str(uuid.UUID(int=rng.getrandbits(128)))
            child = f"{rng.randrange(signals // 3):032x}"
            stamp = _stamp(created, sqlite)
            for recipient, _kind in rng.sample(partners, 1 + (rng.random() < 0.3)):
                acknowledged = created + timedelta(hours=rng.expovariate(1 / 20))
                closed = acknowledged + timedelta(hours=rng.expovariate(1 / 200))
                done = rng.random()
                recipients.append(
                    (signal_id, recipient, "public_task", "convenant", 1,
                     "closed" if done < 0.6 else "acknowledged" if done < 0.9 else "open", stamp,
                     _stamp(acknowledged, sqlite) if done < 0.9 else None,
                     _stamp(closed, sqlite) if done < 0.6 else None)
                )  # fmt: skip
            yield (
                signal_id, sender, f"cl-{sender}", PURPOSES[number % 3],
                CATEGORIES[rng.randrange(len(CATEGORIES))], "normal", "open", child, child,
                "convenant", 1, 1, stamp, stamp, _stamp(created + timedelta(days=365), sqlite),
            )  # fmt: skip

    def recipient_rows() -> Iterator[tuple[Any, ...]]:
        yield from recipients

    def consent_rows() -> Iterator[tuple[Any, ...]]:
        for _ in range(signals // 20):
            created = start + timedelta(seconds=rng.randrange(seconds))
            recorder, _ = partners[rng.randrange(len(partners))]
            yield (
                str(uuid.UUID(int=rng.getrandbits(128))), "x" * 32, "y" * 32, b"\0",
                "guardian", "written", f'["{PURPOSES[rng.randrange(3)]}"]',
                f'["{partners[0][0]}"]', "null", created.date().isoformat(), recorder, "cl",
                _stamp(created, sqlite), 1,
            )  # fmt: skip

    def match_rows() -> Iterator[tuple[Any, ...]]:
        for number in range(signals // 20):
            created = start + timedelta(seconds=rng.randrange(seconds))
            partner, _ = partners[rng.randrange(len(partners))]
            yield (str(uuid.UUID(int=rng.getrandbits(128))), partner, f"ref-{number}",
                   f"idx-{number}", _stamp(created, sqlite))  # fmt: skip

    def refusal_rows() -> Iterator[tuple[Any, ...]]:
        for _ in range(signals // 30):
            at = start + timedelta(seconds=rng.randrange(seconds))
            partner, _ = partners[rng.randrange(len(partners))]
            yield (str(uuid.UUID(int=rng.getrandbits(128))), _stamp(at, sqlite), "cl", partner,
                   "partner", "signal.create", "signal", PURPOSES[rng.randrange(3)], "deny",
                   REASONS[rng.randrange(len(REASONS))])  # fmt: skip

    return {
        "signals (id, sender, sender_client, purpose, category, urgency, status, subject_index,"
        " subject_ref, agreement_id, agreement_version, data_key_version, created_at, updated_at,"
        " expires_at)": signal_rows(),
        "signal_recipients (signal_id, partner_id, legal_basis, agreement_id, agreement_version,"
        " status, updated_at, acknowledged_at, closed_at)": recipient_rows(),
        "consents (id, subject_index, subject_ref, subject, granted_by, evidence_method, purposes,"
        " recipients, categories, valid_from, recorded_by, recorded_by_client, created_at,"
        " data_key_version)": (consent_rows()),
        "matches (id, partner_id, subject_ref, subject_index, created_at)": match_rows(),
        "audit_events (id, at, client_id, partner, role, action, resource_type, purpose, outcome,"
        " reason)": refusal_rows(),
    }


def _chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def seed(db: Database, signals: int) -> float:
    """Bulk-insert the data set; returns the seconds it took."""
    began = time.perf_counter()
    sqlite = db.is_sqlite
    # Indexes are built once after the load, not kept up row by row during it.
    indexes = [
        index
        for table in metadata.sorted_tables
        if table.name in SEEDED
        for index in table.indexes
        if not index.unique
    ]
    for index in indexes:
        index.drop(db.engine)
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        if not sqlite:
            cursor.execute("SET statement_timeout = 0")
        partners = _partners()
        now = _stamp(NOW, sqlite)
        cursor.executemany(
            "INSERT INTO partners (id, name, kind, status, created_at, updated_at)"
            " VALUES (%s, %s, %s, 'active', %s, %s)".replace("%s", "?" if sqlite else "%s"),
            [(p, p.title(), kind, now, now) for p, kind in partners],
        )
        for table, rows in _rows(signals, sqlite).items():
            width = table.count(",") + 1
            if sqlite:
                marks = ", ".join("?" * width)
                for chunk in _chunks(rows):
                    cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", chunk)  # noqa: S608
            else:
                with cursor.copy(f"COPY {table} FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
        connection.commit()
    finally:
        connection.close()
    for index in indexes:
        index.create(db.engine)
    with db.engine.connect() as analyzing:
        analyzing.exec_driver_sql("ANALYZE")
        analyzing.commit()
    return time.perf_counter() - began


def _time(db: Database, kind: periods.Kind, dims: tuple[str, ...], runs: int = 3) -> dict[str, Any]:
    found = periods.completed(*YEAR, kind, NOW)
    window = Window(found, dims, postgres=not db.is_sqlite)
    times, cells = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        with db.read_engine.connect() as connection:
            answer = report.compute(connection, window)
        times.append(time.perf_counter() - began)
        cells = len(answer["cells"])
    best = min(times)
    return {"seconds": best, "runs": times, "cells": cells}


def _measure(db: Database, backend: str, signals: int) -> list[dict[str, Any]]:
    seeded = seed(db, signals)
    print(f"· {backend}: seeded {signals:,} signals in {seeded:.1f} s", file=sys.stderr)
    rows = []
    for label, kind, dims in (
        ("a year by month, by sender kind, category and purpose", "month",
         ("senderKind", "category", "purpose")),
        ("a year by month, no grouping", "month", ()),
        ("a year by quarter, by partner", "quarter", ("partner",)),
    ):  # fmt: skip
        measured = _time(db, kind, dims)  # type: ignore[arg-type]
        rows.append(
            {
                "backend": backend,
                "signals": signals,
                "measure": label,
                "value": measured["seconds"],
                "unit": "s",
                "target": f"< {TARGET_S:.0f} s",
                "met": measured["seconds"] < TARGET_S,
                "ratio": TARGET_S / measured["seconds"],
                "cells": measured["cells"],
            }
        )
        print(
            f"  {label}: {measured['seconds']:.3f} s (best of 3; {measured['cells']} cells;"
            f" target ÷ measured = {TARGET_S / measured['seconds']:.2f})",
            file=sys.stderr,
        )
    return rows


def run(signals: int = 1_000_000, url: str | None = None) -> list[dict[str, Any]]:
    """Seed `signals` signals into a scratch database and time the figures. `url`: None for a
    temporary SQLite file, or a PostgreSQL server URL on which a scratch database is made and
    dropped."""
    if url is None:
        with tempfile.TemporaryDirectory() as directory:
            db = Database(f"sqlite:///{directory}/statistics-bench.db")
            try:
                migrate.upgrade(db)
                return _measure(db, "sqlite", signals)
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
        return _measure(db, "postgresql", signals)
    finally:
        db.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--signals", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL")
    args = parser.parse_args()
    rows = run(args.signals, None)
    if args.postgres:
        rows += run(args.signals, args.postgres)
    for row in rows:
        print(
            f"{row['backend']:<10} {row['measure']:<56} {row['value']:7.3f} s"
            f"  ratio {row['ratio']:5.2f}  {'met' if row['met'] else 'NOT met'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
