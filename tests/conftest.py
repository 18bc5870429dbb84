"""Test fixtures: one migrated database per backend and worker, emptied between tests.

Every test that takes `runtime` (or anything built on it) runs on SQLite and on PostgreSQL.
PostgreSQL is skipped when unreachable, unless WIJKDEEL_REQUIRE_POSTGRES=1 (CI): then it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from core.clock import FrozenClock
from records import migrate
from records.db import Database
from records.models import metadata
from wijkdeel.runtime import Runtime, build_runtime
from wijkdeel.settings import Settings

POSTGRES_ADMIN_URL = os.environ.get(
    "WIJKDEEL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("WIJKDEEL_REQUIRE_POSTGRES") == "1"
# Random bytes, fixed so runs repeat; production refuses keys that are plainly not random.
MASTER_KEY = "+SryYvbA8PcvanI4efF+28LfpIsZwHXsaJpunNxhLbg="
BACKENDS = ["sqlite", "postgresql"]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_database() -> str:
    # The run's id in the name: two test runs on one server must not drop each other's database.
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"p{os.getpid()}")[:8]
    name = f"wijkdeel_test_{run}_{_worker()}"
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        message = f"PostgreSQL is unreachable at {POSTGRES_ADMIN_URL}: {type(error).__name__}"
        if REQUIRE_POSTGRES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


@pytest.fixture(scope="session", params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'wijkdeel.db'}"
    else:
        url = _postgres_database()
    db = Database(url)
    migrate.upgrade(db)
    yield db
    db.dispose()
    if not db.is_sqlite:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db.url.database}" WITH (FORCE)')


def empty(db: Database) -> None:
    tables = [table.name for table in reversed(metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608  (table names from metadata)
        else:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db(database: Database, request: pytest.FixtureRequest) -> Iterator[Database]:
    if request.node.get_closest_marker("postgresql_only") and database.is_sqlite:
        pytest.skip("PostgreSQL only")
    empty(database)
    yield database


def settings_for_tests(var_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "development",
        "master_key": MASTER_KEY,
        "var_dir": var_dir,
        "issuer": "http://testserver",
        "secret_hash_memory_kib": 64,
        "secret_hash_time_cost": 1,
        "rate_limit": 1000.0,
        "rate_burst": 1000,
        "token_source_rate": 1000.0,
        "token_source_burst": 1000,
        "webhook_allow_private": True,
        "webhook_schedule": "0,0.2,0.4,0.6,0.8",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for_tests(tmp_path / "var")


@pytest.fixture
def runtime(db: Database, settings: Settings, clock: FrozenClock) -> Runtime:
    built = build_runtime(settings, db=db, clock=clock)
    built.bootstrap()
    return built
