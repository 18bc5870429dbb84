"""What one partner can learn about a child from another's answers: nothing it could link.

Each partner sees its own pseudonym of a child; a recipient not granted the subject sees none and
no links between signals; a consent counts only for the child it was given for; a recipient sees
only the agreement that grants it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_consents import consent_body
from tests.api.test_signals import BSN, signal_body
from tests.factories import (
    Neighbourhood,
    audit_ref,
    bearer,
    example_agreement,
    make_agreement,
    make_client,
    make_neighbourhood,
    make_partner,
    partner_ref,
    token,
)
from wijkdeel.runtime import Runtime

SUMMARY_ONLY: dict[str, Any] = {
    "sender": "kinderwerk-noord",
    "recipient": "obs-de-linde",
    "purposes": ["afstemming"],
    "categories": ["school"],
    "fields": ["summary"],
    "legalBasis": "consent",
    "requiresConsent": True,
    "retentionDays": 180,
}


@pytest.fixture
def world(client: TestClient, admin_token: str) -> Neighbourhood:
    return make_neighbourhood(client, admin_token, agreement=False)


def _send(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post("/v1/signals", json=signal_body(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_recipient_without_the_subject_gets_no_reference_and_no_links(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    example = example_agreement()
    make_agreement(client, world.admin_token, rules=[example["rules"][0], SUMMARY_ONLY])
    kinderwerk = bearer(token(client, world.kinderwerk, purpose="afstemming"))
    school = bearer(token(client, world.school, purpose="afstemming"))
    assert client.post("/v1/consents", json=consent_body(), headers=kinderwerk).status_code == 201
    first = _send(client, kinderwerk, category="school")
    second = _send(client, kinderwerk, category="school", summary="Tweede zorg")
    assert first["subjectRef"] == partner_ref(runtime, "kinderwerk-noord", BSN)

    seen = client.get(f"/v1/signals/{second['id']}", headers=school).json()
    assert seen["summary"] == "Tweede zorg" and "subject" not in seen
    assert "subjectRef" not in seen and seen["relatedSignals"] == []
    listed = client.get("/v1/signals", headers=school).json()["items"]
    assert len(listed) == 2 and all("subjectRef" not in item for item in listed)
    # Two signals about one child, but the school may not know the child: no match either.
    assert client.get("/v1/matches", headers=school).json()["items"] == []
    # The sender knows the child: its own pseudonym, the link, the match.
    own = client.get(f"/v1/signals/{second['id']}", headers=kinderwerk).json()
    assert [s["id"] for s in own["relatedSignals"]] == [first["id"]]
    assert len(client.get("/v1/matches", headers=kinderwerk).json()["items"]) == 1

    # The outside review's attack: record a consent for a candidate BSN and compare its
    # reference with the signal's. There is nothing to compare with.
    guess = client.post(
        "/v1/consents",
        json=consent_body(recipients=["kinderwerk-noord"]),
        headers=school,
    )
    assert guess.status_code == 201
    assert guess.json()["subjectRef"] == partner_ref(runtime, "obs-de-linde", BSN)
    assert guess.json()["subjectRef"] not in str(listed) + str(seen)


def test_each_partner_sees_its_own_pseudonym_and_auditors_another(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    make_agreement(client, world.admin_token)
    kinderwerk = bearer(token(client, world.kinderwerk, purpose="signalering"))
    wijkteam = bearer(token(client, world.wijkteam, purpose="signalering"))
    sent = _send(client, kinderwerk)
    read = client.get(f"/v1/signals/{sent['id']}", headers=wijkteam).json()
    refs = {sent["subjectRef"], read["subjectRef"], audit_ref(runtime, BSN)}
    assert len(refs) == 3 and all(ref.startswith("sr_") for ref in refs)
    # Stable per partner: the same child, the same reference, in every answer.
    again = _send(client, kinderwerk, category="veiligheid")
    assert again["subjectRef"] == sent["subjectRef"]
    auditor = make_client(client, world.admin_token, partner="gemeente", role="auditor")
    report = client.post(
        "/v1/audit/subject-report", json={"bsn": BSN}, headers=bearer(token(client, auditor))
    ).json()
    assert report["subjectRef"] == audit_ref(runtime, BSN)


def test_a_consent_counts_only_for_a_child_with_its_birth_date(
    client: TestClient, world: Neighbourhood
) -> None:
    make_agreement(client, world.admin_token)
    kinderwerk = bearer(token(client, world.kinderwerk, purpose="afstemming"))
    other_child = consent_body(subject={"bsn": BSN, "birthDate": "2016-01-09"})
    assert client.post("/v1/consents", json=other_child, headers=kinderwerk).status_code == 201
    refused = client.post("/v1/signals", json=signal_body(category="school"), headers=kinderwerk)
    assert refused.status_code == 403
    assert refused.json()["reasons"] == ["consent_subject_mismatch"]
    # A consent that records no birth date is not contradicted by one.
    undated = consent_body(subject={"bsn": BSN})
    assert client.post("/v1/consents", json=undated, headers=kinderwerk).status_code == 201
    assert _send(client, kinderwerk, category="school")["recipients"] == ["obs-de-linde"]


def test_a_recipient_sees_only_the_agreement_that_grants_it(
    client: TestClient, world: Neighbourhood
) -> None:
    make_partner(client, world.admin_token, id="jongerenwerk-noord", kind="jongerenwerk")
    youth = make_client(client, world.admin_token, partner="jongerenwerk-noord")
    make_agreement(client, world.admin_token)
    zuid = example_agreement(
        id="convenant-jeugd",
        parties=["kinderwerk-noord", "jongerenwerk-noord"],
        rules=[
            {
                **example_agreement()["rules"][0],
                "recipient": "jongerenwerk-noord",
            }
        ],
    )
    make_agreement(client, world.admin_token, **zuid)
    kinderwerk = bearer(token(client, world.kinderwerk, purpose="signalering"))
    sent = _send(client, kinderwerk)
    assert sent["recipients"] == ["jongerenwerk-noord", "wijkteam-noord"]
    for creds, agreement in ((world.wijkteam, "convenant-noord"), (youth, "convenant-jeugd")):
        headers = bearer(token(client, creds, purpose="signalering"))
        assert client.get(f"/v1/signals/{sent['id']}", headers=headers).json()["agreement"] == {
            "id": agreement,
            "version": 1,
        }
        listed = client.get("/v1/signals", headers=headers).json()["items"]
        assert [item["agreement"]["id"] for item in listed] == [agreement]
