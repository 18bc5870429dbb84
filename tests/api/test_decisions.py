"""POST /v1/decisions explains exactly what the engine decides now."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.test_consents import BSN, consent_body
from tests.factories import (
    Neighbourhood,
    audit_events,
    bearer,
    example_agreement,
    make_client,
    make_neighbourhood,
    token,
)
from wijkdeel.runtime import Runtime


@pytest.fixture
def world(client: TestClient, admin_token: str) -> Neighbourhood:
    return make_neighbourhood(client, admin_token)


def explain(client: TestClient, headers: dict[str, str], **body: object) -> dict[str, object]:
    response = client.post("/v1/decisions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_explains_allow_and_deny_with_version_and_basis(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    admin = bearer(world.admin_token)
    allowed = explain(
        client,
        admin,
        sender="kinderwerk-noord",
        recipient="wijkteam-noord",
        purpose="signalering",
        category="opvoeding",
    )
    assert allowed["allow"] is True and allowed["legalBasis"] == "public_task"
    assert allowed["agreement"] == {"id": "convenant-noord", "version": 1}
    assert allowed["fields"] == ["subject", "summary", "details", "contact"]
    assert allowed["retentionDays"] == 365 and allowed["reasons"] == []

    no_consent = explain(
        client,
        admin,
        sender="kinderwerk-noord",
        recipient="obs-de-linde",
        purpose="afstemming",
        category="school",
        subject={"bsn": BSN},
    )
    assert no_consent["allow"] is False and no_consent["reasons"] == ["consent_required"]
    assert str(no_consent["subjectRef"]).startswith("sr_")

    kinderwerk = bearer(token(client, world.kinderwerk, purpose="afstemming"))
    consent = client.post("/v1/consents", json=consent_body(), headers=kinderwerk).json()
    with_consent = explain(
        client,
        admin,
        sender="kinderwerk-noord",
        recipient="obs-de-linde",
        purpose="afstemming",
        category="school",
        subject={"bsn": BSN},
    )
    assert with_consent["allow"] is True and with_consent["legalBasis"] == "consent"
    assert with_consent["fields"] == ["subject", "summary", "contact"]
    assert with_consent["grounds"][0]["consentId"] == consent["id"]

    client.post(f"/v1/consents/{consent['id']}/withdraw", json={}, headers=kinderwerk)
    withdrawn = explain(
        client,
        admin,
        sender="kinderwerk-noord",
        recipient="obs-de-linde",
        purpose="afstemming",
        category="school",
        subject={"bsn": BSN},
    )
    assert withdrawn["reasons"] == ["consent_withdrawn"]

    mismatch = explain(
        client,
        admin,
        sender="kinderwerk-noord",
        recipient="wijkteam-noord",
        purpose="afstemming",
        category="opvoeding",
    )
    assert mismatch["reasons"] == ["purpose_mismatch"]
    nobody = explain(
        client,
        admin,
        sender="wijkteam-noord",
        recipient="kinderwerk-noord",
        purpose="signalering",
        category="opvoeding",
    )
    assert nobody["reasons"] == ["no_agreement"]

    client.put(
        "/v1/agreements/convenant-noord", json=example_agreement(status="suspended"), headers=admin
    )
    suspended = explain(
        client,
        admin,
        sender="kinderwerk-noord",
        recipient="wijkteam-noord",
        purpose="signalering",
        category="opvoeding",
    )
    assert suspended["reasons"] == ["agreement_suspended"]
    events = audit_events(runtime, action="decision.explain")
    assert events[-1]["reason"] == "agreement_suspended" and events[1]["subject_ref"]


def test_auditors_may_explain_partners_may_not(
    client: TestClient, world: Neighbourhood, admin_token: str
) -> None:
    auditor = bearer(
        token(client, make_client(client, admin_token, partner="gemeente", role="auditor"))
    )
    body = {
        "sender": "kinderwerk-noord",
        "recipient": "wijkteam-noord",
        "purpose": "signalering",
        "category": "opvoeding",
    }
    assert client.post("/v1/decisions", json=body, headers=auditor).status_code == 200
    partner = bearer(token(client, world.wijkteam, purpose="signalering"))
    assert client.post("/v1/decisions", json=body, headers=partner).status_code == 403
    bad = client.post(
        "/v1/decisions", json={**body, "subject": {"bsn": "111222334"}}, headers=auditor
    )
    assert bad.status_code == 422 and "111222334" not in bad.text
