"""Revision 0011 on a database with matches of the first release: one row per partner and
child becomes one match per child with its partners, and back again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy import text

from records import migrate
from records.db import Database
from tests.conftest import POSTGRES_ADMIN_URL

AT = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def bare(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of its own, at no revision yet."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'old.db'}")
        yield db
        db.dispose()
        return
    name = f"wijkdeel_migration_{tmp_path.name[-12:].replace('-', '_')}".lower()
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL is unreachable")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    db = Database(f"{base}/{name}")
    yield db
    db.dispose()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def downgrade(db: Database, revision: str) -> None:
    config = migrate.alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def test_per_partner_matches_become_one_per_child(bare: Database) -> None:
    migrate.upgrade(bare, "0009")
    with bare.engine.begin() as conn:
        for partner in ("kw", "school", "wt"):
            conn.execute(
                text(
                    "INSERT INTO partners (id, name, kind, status, created_at, updated_at)"
                    " VALUES (:id, :id, 'other', 'active', :at, :at)"
                ),
                {"id": partner, "at": AT},
            )
        for match_id, partner, child in (
            ("m-1", "wt", "child-a"),
            ("m-2", "kw", "child-a"),
            ("m-3", "school", "child-b"),
        ):
            conn.execute(
                text(
                    "INSERT INTO matches (id, partner_id, subject_ref, subject_index, created_at)"
                    " VALUES (:id, :partner, :ref, :child, :at)"
                ),
                {"id": match_id, "partner": partner, "ref": f"r-{child}", "child": child, "at": AT},
            )

    migrate.upgrade(bare, "0011")
    assert rows(bare, "SELECT id, subject_index, status, coordinator FROM matches ORDER BY id") == [
        ("m-1", "child-a", "open", None),
        ("m-3", "child-b", "open", None),
    ]
    assert rows(bare, "SELECT match_id, partner_id FROM match_partners ORDER BY 1, 2") == [
        ("m-1", "kw"),
        ("m-1", "wt"),
        ("m-3", "school"),
    ]
    # Matches from before regie are not raised with the municipality after the fact.
    assert rows(bare, "SELECT COUNT(*) FROM matches WHERE unassigned_raised_at IS NULL") == [(0,)]

    downgrade(bare, "0009")
    assert rows(bare, "SELECT id, partner_id, subject_index FROM matches ORDER BY id") == [
        ("m-1", "kw", "child-a"),
        ("m-3", "school", "child-b"),
    ]
