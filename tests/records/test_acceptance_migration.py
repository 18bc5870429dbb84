"""Migration 0012 keeps agreements that were active before acceptance existed active: each
party is recorded as having accepted, by an administrative step the audit log shows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from api.schemas.agreements import EXAMPLE
from policies.acceptance import content_hash
from records import migrate
from records.acceptances import verify_all
from records.db import Database
from records.policy import PolicyStore
from tests.conftest import POSTGRES_ADMIN_URL, REQUIRE_POSTGRES

PARTNERS = [
    ("kinderwerk-noord", "kinderwerk"),
    ("obs-de-linde", "school"),
    ("wijkteam-noord", "wijkteam"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of this test's own, not yet migrated."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'old.db'}")
        yield db
        db.dispose()
        return
    name = f"wijkdeel_mig_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL is unreachable", pytrace=False)
        pytest.skip("PostgreSQL is unreachable")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    db = Database(f"{base}/{name}")
    yield db
    db.dispose()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_active_agreements_are_recorded_as_accepted(fresh: Database) -> None:
    migrate.upgrade(fresh, "0009")
    at = datetime(2026, 6, 1, tzinfo=UTC)
    document = json.loads(json.dumps(EXAMPLE))
    with fresh.engine.begin() as conn:
        for partner, kind in PARTNERS:
            conn.execute(
                text(
                    "INSERT INTO partners (id, name, kind, status, created_at, updated_at) "
                    "VALUES (:id, :id, :kind, 'active', :at, :at)"
                ),
                {"id": partner, "kind": kind, "at": at},
            )
        conn.execute(
            text(
                "INSERT INTO agreements (id, current_version, created_at, updated_at) "
                "VALUES ('convenant-noord', 2, :at, :at)"
            ),
            {"at": at},
        )
        for version, status in [(1, "active"), (2, "draft")]:
            conn.execute(
                text(
                    "INSERT INTO agreement_versions (agreement_id, version, status, valid_from, "
                    "valid_until, document, created_at, created_by) VALUES ('convenant-noord', "
                    ":v, :s, '2026-01-01', '2028-12-31', :d, :at, 'operator')"
                ),
                {
                    "v": version,
                    "s": status,
                    "d": json.dumps({**document, "status": status}),
                    "at": at,
                },
            )
    migrate.upgrade(fresh)

    with fresh.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT partner_id, version, decision, method, content_hash, signature "
                "FROM agreement_acceptances ORDER BY partner_id"
            )
        ).all()
        events = conn.execute(
            text(
                "SELECT role, reason, agreement_id, agreement_version, outcome FROM audit_events "
                "WHERE action = 'agreement.acceptance_migrate'"
            )
        ).all()
        statuses = conn.execute(
            text("SELECT version, status FROM agreement_versions ORDER BY version")
        ).all()
    digest = content_hash({**document, "status": "active"}, 1)
    assert [tuple(row) for row in rows] == [
        (partner, 1, "accept", "migration", digest, None) for partner, _ in PARTNERS
    ]
    assert [tuple(event) for event in events] == [
        ("system", "migration_0012", "convenant-noord", 1, "allow")
    ]
    assert [tuple(row) for row in statuses] == [(1, "active"), (2, "draft")]
    with fresh.session() as session:
        assert verify_all(session).findings == []
        # The draft written last is the version in force, as it was before the migration.
        view = PolicyStore().view(session)
        assert view.policy.agreements["convenant-noord"].version == 2
