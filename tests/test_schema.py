"""The models and the newest migration never disagree."""

import pytest

from records import migrate
from records.db import Database


def test_models_match_the_newest_migration(db: Database) -> None:
    assert migrate.current_revision(db) == migrate.head_revision()
    assert migrate.schema_drift(db) == []


def test_sqlite_runs_in_wal_mode(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("a SQLite setting")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
