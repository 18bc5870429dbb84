"""The offline check of acceptances finds every forged or edited statement, on both databases."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import text

from records.acceptances import verify_all
from tests.factories import (
    acceptance_signature,
    acceptor,
    bearer,
    make_client,
    make_neighbourhood,
)
from wijkdeel.runtime import Runtime


def problems(runtime: Runtime) -> list[tuple[str | None, str]]:
    with runtime.db.session() as session:
        result = verify_all(session)
    found = [(finding.partner, finding.problem) for finding in result.findings]
    return sorted(found, key=lambda pair: (pair[0] or "", pair[1]))


def test_forged_and_edited_acceptances_are_found(
    client: TestClient, admin_token: str, runtime: Runtime
) -> None:
    make_neighbourhood(client, admin_token)
    with runtime.db.session() as session:
        assert verify_all(session).checked == 3
    assert problems(runtime) == []

    other = make_client(client, admin_token, partner="obs-de-linde", method="private_key_jwt")
    with runtime.db.engine.begin() as conn:
        school = conn.execute(
            text("SELECT id, content_hash FROM agreement_acceptances WHERE partner_id = :p"),
            {"p": "obs-de-linde"},
        ).one()
        # A statement forged with a key that is not the school's, put in its place.
        forged = acceptance_signature(other, "convenant-noord", 1, school.content_hash)
        real = acceptor(client, admin_token, "obs-de-linde")
        forged = forged.replace(other.kid or "", real.kid or "")
        conn.execute(
            text("UPDATE agreement_acceptances SET signature = :s WHERE id = :i"),
            {"s": forged, "i": school.id},
        )
        # A rejection edited into an acceptance.
        conn.execute(
            text("UPDATE agreement_acceptances SET decision = 'reject' WHERE partner_id = :p"),
            {"p": "wijkteam-noord"},
        )
    assert problems(runtime) == [
        (None, "active_without_every_acceptance"),  # the edited row no longer accepts
        ("obs-de-linde", "forged_signature"),
        ("wijkteam-noord", "acceptance_edited"),
    ]


def test_an_agreement_edited_after_it_was_signed_is_found(
    client: TestClient, admin_token: str, runtime: Runtime
) -> None:
    make_neighbourhood(client, admin_token)
    shown = client.get("/v1/agreements/convenant-noord", headers=bearer(admin_token)).json()
    document = {
        key: shown[key]
        for key in ("id", "title", "parties", "validFrom", "validUntil", "purposes", "rules")
    }
    document["status"] = "active"
    document["rules"][0]["retentionDays"] = 730  # kept longer than the parties agreed
    with runtime.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE agreement_versions SET document = :d WHERE agreement_id = :a"),
            {"d": json.dumps(document), "a": "convenant-noord"},
        )
    found = problems(runtime)
    assert found == [
        (party, "agreement_edited_after_signing")
        for party in ["kinderwerk-noord", "obs-de-linde", "wijkteam-noord"]
    ]
    # And an active version some party never accepted.
    with runtime.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM agreement_acceptances WHERE partner_id = 'obs-de-linde'"))
    assert (None, "active_without_every_acceptance") in problems(runtime)
