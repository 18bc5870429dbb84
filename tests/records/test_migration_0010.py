"""Migration 0010 (professionals, informing) up and down on a database that holds a signal from
before it, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from alembic import command
from sqlalchemy import inspect, text

from records import migrate
from records.db import Database
from tests.conftest import POSTGRES_ADMIN_URL, REQUIRE_POSTGRES


@pytest.fixture
def fresh(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """An empty database of the same kind as `database`, migrated to nothing yet."""
    if database.is_sqlite:
        db = Database(f"sqlite:///{tmp_path_factory.mktemp('m0010') / 'w.db'}")
        yield db
        db.dispose()
        return
    name = f"wijkdeel_m0010_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        if REQUIRE_POSTGRES:
            raise
        pytest.skip("PostgreSQL is unreachable")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    db = Database(f"{base}/{name}")
    yield db
    db.dispose()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _downgrade(db: Database, revision: str) -> None:
    config = migrate.alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _columns(db: Database, table: str) -> set[str]:
    with db.engine.connect() as conn:
        return {column["name"] for column in inspect(conn).get_columns(table)}


def test_0010_up_and_down_keeps_earlier_signals(fresh: Database) -> None:
    migrate.upgrade(fresh, "0009")
    now = datetime(2026, 11, 1, 9, tzinfo=UTC)
    with fresh.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO partners (id, name, kind, status, created_at, updated_at)"
                " VALUES ('kinderwerk-noord', 'Kinderwerk', 'kinderwerk', 'active', :now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO signals (id, sender, sender_client, purpose, category, urgency,"
                " status, subject_index, subject_ref, agreement_id, agreement_version,"
                " data_key_version, created_at, updated_at, expires_at) VALUES ('s-1',"
                " 'kinderwerk-noord', 'cl_1', 'signalering', 'opvoeding', 'normal', 'open',"
                " 'bi_1', 'sr_1', 'convenant-noord', 1, 1, :now, :now, :later)"
            ),
            {"now": now, "later": now + timedelta(days=365)},
        )

    migrate.upgrade(fresh, "0010")
    with fresh.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT informing_status, informing, informing_due_at, sender_professional_id,"
                " sender_professional FROM signals WHERE id = 's-1'"
            )
        ).one()
    assert tuple(row) == ("pending", None, None, None, None)
    assert {"partner_id", "sub", "data_key_id", "details"} <= _columns(fresh, "professionals")

    _downgrade(fresh, "0009")
    assert "informing_status" not in _columns(fresh, "signals")
    with fresh.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM signals")).scalar() == 1
        assert "professionals" not in inspect(conn).get_table_names()

    migrate.upgrade(fresh, "0010")
    assert "informing_due_at" in _columns(fresh, "signals")
