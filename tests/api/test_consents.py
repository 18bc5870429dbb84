"""Consent records through HTTP."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.factories import (
    Neighbourhood,
    audit_events,
    audit_ref,
    bearer,
    make_neighbourhood,
    partner_ref,
    token,
)
from wijkdeel.runtime import Runtime

BSN = "111222333"


def consent_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": {"bsn": BSN, "birthDate": "2017-03-02"},
        "grantedBy": "guardian",
        "grantorName": "J. de Vries",
        "purposes": ["afstemming"],
        "recipients": ["obs-de-linde"],
        "categories": ["school"],
        "validFrom": "2026-11-01",
        "validUntil": "2027-11-01",
        "evidence": {"method": "written", "reference": "toestemmingsformulier 2026-11-03"},
    }
    body.update(changes)
    return body


@pytest.fixture
def world(client: TestClient, admin_token: str) -> Neighbourhood:
    return make_neighbourhood(client, admin_token)


@pytest.fixture
def kinderwerk(client: TestClient, world: Neighbourhood) -> dict[str, str]:
    return bearer(token(client, world.kinderwerk, purpose="afstemming"))


def test_record_read_search_withdraw(
    client: TestClient, world: Neighbourhood, kinderwerk: dict[str, str], runtime: Runtime
) -> None:
    created = client.post("/v1/consents", json=consent_body(), headers=kinderwerk)
    assert created.status_code == 201, created.text
    consent = created.json()
    assert consent["status"] == "active" and consent["recordedBy"] == "kinderwerk-noord"
    assert consent["subjectRef"] == partner_ref(runtime, "kinderwerk-noord", BSN)
    assert BSN not in created.text
    assert consent["grantorName"] == "J. de Vries"
    assert consent["evidence"] == {
        "method": "written",
        "reference": "toestemmingsformulier 2026-11-03",
    }

    school = bearer(token(client, world.school, purpose="afstemming"))
    seen_by_school = client.get(f"/v1/consents/{consent['id']}", headers=school).json()
    assert "grantorName" not in seen_by_school and "reference" not in seen_by_school["evidence"]
    # A named recipient gets no reference to the child it could link to anything else.
    assert "subjectRef" not in seen_by_school
    wijkteam = bearer(token(client, world.wijkteam, purpose="signalering"))
    assert client.get(f"/v1/consents/{consent['id']}", headers=wijkteam).status_code == 404

    found = client.post("/v1/consents/search", json={"bsn": BSN}, headers=school).json()["items"]
    assert [c["id"] for c in found] == [consent["id"]]
    # Who searched by BSN knows the child: its own pseudonym, not the recorder's.
    assert found[0]["subjectRef"] == partner_ref(runtime, "obs-de-linde", BSN)
    assert (
        client.post("/v1/consents/search", json={"bsn": BSN}, headers=wijkteam).json()["items"]
        == []
    )

    by_school = client.post(f"/v1/consents/{consent['id']}/withdraw", json={}, headers=school)
    assert by_school.status_code == 404
    withdrawn = client.post(
        f"/v1/consents/{consent['id']}/withdraw",
        json={"reason": "ouder trekt in"},
        headers=kinderwerk,
    )
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn" and withdrawn.json()["withdrawnAt"]
    assert withdrawn.json()["withdrawalReason"] == "ouder trekt in"
    again = client.post(f"/v1/consents/{consent['id']}/withdraw", json={}, headers=kinderwerk)
    assert again.status_code == 409
    assert (
        client.get(f"/v1/consents/{consent['id']}", headers=school).json()["status"] == "withdrawn"
    )

    actions = [
        (e["action"], e["outcome"])
        for e in audit_events(runtime)
        if e["action"].startswith("consent.")
    ]
    assert ("consent.create", "allow") in actions and ("consent.withdraw", "deny") in actions
    assert all(
        e["subject_ref"] == audit_ref(runtime, BSN)
        for e in audit_events(runtime, action="consent.search")
    )


def test_personal_data_is_only_stored_encrypted(
    client: TestClient, kinderwerk: dict[str, str], runtime: Runtime
) -> None:
    client.post("/v1/consents", json=consent_body(), headers=kinderwerk)
    with runtime.db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM consents")).mappings().one()
    stored = repr(dict(row)).encode()
    for secret in [BSN.encode(), b"de Vries", b"toestemmingsformulier", b"2017-03-02"]:
        assert secret not in stored


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"subject": {"bsn": "111222334"}}, "invalid_bsn"),
        ({"grantedBy": "subject"}, "self_consent_under_16"),
        ({"grantedBy": "subject", "subject": {"bsn": BSN}}, "birth_date_required"),
        (
            {"grantedBy": "subject", "subject": {"bsn": BSN, "birthDate": None}},
            "birth_date_required",
        ),
        ({"recipients": ["obs-de-linde", "nobody-here"]}, "unknown_recipient"),
        ({"validFrom": "2027-01-01", "validUntil": "2026-01-01"}, "invalid_window"),
        ({"subject": {"bsn": BSN, "birthDate": "2099-01-01"}}, "invalid_birth_date"),
        ({"purposes": []}, "validation_failed"),
        ({"grantedBy": "neighbour"}, "validation_failed"),
        ({"subject": {"bsn": BSN, "name": "Sam"}}, "validation_failed"),
        ({"evidence": {"method": "telepathy"}}, "validation_failed"),
    ],
)
def test_bad_consents_are_refused_and_store_nothing(
    client: TestClient,
    kinderwerk: dict[str, str],
    changes: dict[str, Any],
    code: str,
    runtime: Runtime,
) -> None:
    response = client.post("/v1/consents", json=consent_body(**changes), headers=kinderwerk)
    assert response.status_code == 422 and response.json()["code"] == code
    assert BSN not in response.text and "Sam" not in response.text
    with runtime.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM consents")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM data_keys")).scalar() == 0
    assert audit_events(runtime, action="consent.create")[-1]["outcome"] == "deny"


def test_a_sixteen_year_old_may_consent_themselves(
    client: TestClient, kinderwerk: dict[str, str], runtime: Runtime
) -> None:
    today = runtime.now().date()
    born = date(today.year - 16, today.month, 1) - timedelta(days=1)
    response = client.post(
        "/v1/consents",
        json=consent_body(grantedBy="subject", subject={"bsn": BSN, "birthDate": born.isoformat()}),
        headers=kinderwerk,
    )
    assert response.status_code == 201


def test_consent_scopes_are_required(
    client: TestClient, world: Neighbourhood, admin_token: str
) -> None:
    read_only = bearer(token(client, world.kinderwerk, purpose="afstemming", scope="consents:read"))
    assert client.post("/v1/consents", json=consent_body(), headers=read_only).status_code == 403
    admin = bearer(admin_token)
    assert client.post("/v1/consents/search", json={"bsn": BSN}, headers=admin).status_code == 403
    assert client.post("/v1/consents", json=consent_body()).status_code == 401
    assert client.get("/v1/consents/not-an-id", headers=read_only).status_code == 404
    bad = client.post("/v1/consents/search", json={"bsn": "123456789"}, headers=read_only)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_bsn"


def test_status_follows_the_validity_window(
    client: TestClient, kinderwerk: dict[str, str], runtime: Runtime
) -> None:
    today = runtime.now().date()
    future = client.post(
        "/v1/consents",
        json=consent_body(validFrom=(today + timedelta(days=10)).isoformat(), validUntil=None),
        headers=kinderwerk,
    ).json()
    past = client.post(
        "/v1/consents",
        json=consent_body(
            validFrom="2025-01-01", validUntil=(today - timedelta(days=10)).isoformat()
        ),
        headers=kinderwerk,
    ).json()
    assert future["status"] == "pending" and past["status"] == "expired"
    assert "validUntil" not in future
