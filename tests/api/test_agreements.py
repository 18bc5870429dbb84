"""Agreements through HTTP: versions, validation, who reads what, and what tokens they allow."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import (
    Neighbourhood,
    audit_events,
    bearer,
    example_agreement,
    make_client,
    make_neighbourhood,
    make_partner,
    token,
)
from wijkdeel.runtime import Runtime


@pytest.fixture
def world(client: TestClient, admin_token: str) -> Neighbourhood:
    return make_neighbourhood(client, admin_token)


def test_example_agreement_is_stored_as_version_1(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    current = client.get("/v1/agreements/convenant-noord", headers=bearer(world.admin_token)).json()
    assert current["version"] == 1 and current["status"] == "active"
    assert (
        current["rules"][1]["recipient"] == "kind:school" and current["validFrom"] == "2026-01-01"
    )
    created = audit_events(runtime, action="agreement.create")
    assert created[0]["agreement_id"] == "convenant-noord" and created[0]["agreement_version"] == 1


def test_put_makes_a_new_version_and_never_changes_old_ones(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    admin = bearer(world.admin_token)
    first = client.get("/v1/agreements/convenant-noord/versions/1", headers=admin).json()
    changed = example_agreement(title="Convenant zorgsignalen Noord (herzien)", status="suspended")
    put = client.put("/v1/agreements/convenant-noord", json=changed, headers=admin)
    assert (
        put.status_code == 200
        and put.json()["version"] == 2
        and put.json()["status"] == "suspended"
    )
    assert client.get("/v1/agreements/convenant-noord/versions/1", headers=admin).json() == first
    history = client.get("/v1/agreements/convenant-noord/versions", headers=admin).json()["items"]
    assert [v["version"] for v in history] == [1, 2]
    assert client.get("/v1/agreements/convenant-noord", headers=admin).json()["version"] == 2
    assert client.get("/v1/agreements/convenant-noord/versions/3", headers=admin).status_code == 404
    update = audit_events(runtime, action="agreement.update")[0]
    assert update["agreement_version"] == 2 and update["outcome"] == "allow"


def test_partner_reads_only_agreements_it_is_party_to(
    client: TestClient, world: Neighbourhood, admin_token: str
) -> None:
    make_partner(client, admin_token, id="jongerenwerk-zuid", kind="jongerenwerk")
    make_partner(client, admin_token, id="gemeente-zuid", kind="gemeente")
    client.post(
        "/v1/agreements",
        json=example_agreement(
            id="convenant-zuid",
            parties=["jongerenwerk-zuid", "gemeente-zuid"],
            purposes={"signalering": "x"},
            rules=[
                {
                    "sender": "jongerenwerk-zuid",
                    "recipient": "gemeente-zuid",
                    "purposes": ["signalering"],
                    "categories": ["veiligheid"],
                    "fields": ["summary"],
                    "legalBasis": "public_task",
                    "requiresConsent": False,
                    "retentionDays": 30,
                }
            ],
        ),
        headers=bearer(admin_token),
    )
    school = bearer(token(client, world.school, purpose="afstemming"))
    listed = client.get("/v1/agreements", headers=school).json()["items"]
    assert [a["id"] for a in listed] == ["convenant-noord"]
    assert client.get("/v1/agreements/convenant-zuid", headers=school).status_code == 404
    assert client.get("/v1/agreements/convenant-zuid/versions", headers=school).status_code == 404
    assert client.get("/v1/agreements/convenant-zuid/versions/1", headers=school).status_code == 404
    auditor = make_client(client, admin_token, partner="gemeente", role="auditor")
    all_of_them = client.get("/v1/agreements", headers=bearer(token(client, auditor))).json()[
        "items"
    ]
    assert {a["id"] for a in all_of_them} == {"convenant-noord", "convenant-zuid"}


def test_only_admins_write(client: TestClient, world: Neighbourhood, admin_token: str) -> None:
    wijkteam = bearer(token(client, world.wijkteam, purpose="signalering"))
    auditor = bearer(
        token(client, make_client(client, admin_token, partner="gemeente", role="auditor"))
    )
    for headers in (wijkteam, auditor):
        assert (
            client.post(
                "/v1/agreements", json=example_agreement(id="x-y"), headers=headers
            ).status_code
            == 403
        )
        assert (
            client.put(
                "/v1/agreements/convenant-noord", json=example_agreement(), headers=headers
            ).status_code
            == 403
        )
    assert client.post("/v1/agreements", json=example_agreement(id="x-y")).status_code == 401


def _rule(**changes: Any) -> dict[str, Any]:
    rule = dict(example_agreement()["rules"][0])
    rule.update(changes)
    return rule


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"rules": [_rule(recipient="jongerenwerk-zuid")]}, "rules[0].recipient"),
        ({"rules": [_rule(recipient="kind:politie")]}, "rules[0].recipient"),
        ({"rules": [_rule(purposes=["handhaving"])]}, "rules[0].purposes[0]"),
        ({"rules": [_rule(fields=["subject", "medicalHistory"])]}, "rules[0].fields[1]"),
        ({"rules": [_rule(categories=["Opvoeding Thuis"])]}, "rules[0].categories[0]"),
        (
            {"rules": [_rule(legalBasis="consent", requiresConsent=False)]},
            "rules[0].requiresConsent",
        ),
        ({"rules": [_rule(legalBasis="because")]}, "rules[0].legalBasis"),
        ({"rules": [_rule(retentionDays=0)]}, "rules[0].retentionDays"),
        ({"rules": [_rule(retentionDays=731)]}, "rules[0].retentionDays"),
        ({"validFrom": "2027-01-01", "validUntil": "2026-12-31"}, "validUntil"),
        ({"rules": [_rule(), _rule()]}, "rules[1]"),
        ({"status": "ongoing"}, "status"),
        (
            {"parties": ["kinderwerk-noord", "obs-de-linde", "wijkteam-noord", "nobody-here"]},
            "parties[3]",
        ),
    ],
    ids=[
        "non-party",
        "kind-without-party",
        "unknown-purpose",
        "unknown-field",
        "category-not-slug",
        "consent-basis",
        "unknown-basis",
        "retention-0",
        "retention-731",
        "window",
        "duplicate",
        "status",
        "unknown-party",
    ],
)
def test_invalid_agreements_are_refused_precisely_and_change_nothing(
    client: TestClient, world: Neighbourhood, changes: dict[str, Any], path: str, runtime: Runtime
) -> None:
    admin = bearer(world.admin_token)
    created = client.post(
        "/v1/agreements", json=example_agreement(id="convenant-twee", **changes), headers=admin
    )
    assert created.status_code == 422, created.text
    problem = created.json()
    assert problem["code"] == "invalid_agreement" and problem["detail"].startswith(path)
    assert path in [param["name"] for param in problem["invalidParams"]]
    updated = client.put(
        "/v1/agreements/convenant-noord", json=example_agreement(**changes), headers=admin
    )
    assert updated.status_code == 422
    assert client.get("/v1/agreements/convenant-twee", headers=admin).status_code == 404
    assert client.get("/v1/agreements/convenant-noord", headers=admin).json()["version"] == 1
    assert [e["outcome"] for e in audit_events(runtime, action="agreement.update")] == ["deny"]


def test_structurally_bad_bodies_are_422(client: TestClient, world: Neighbourhood) -> None:
    admin = bearer(world.admin_token)
    for body in [
        {**example_agreement(), "extra": True},
        {**example_agreement(), "validFrom": "first of january"},
        {k: v for k, v in example_agreement().items() if k != "rules"},
        {**example_agreement(), "id": None},
    ]:
        assert client.post("/v1/agreements", json=body, headers=admin).status_code == 422
    mismatch = client.put(
        "/v1/agreements/convenant-noord", json=example_agreement(id="other-id"), headers=admin
    )
    assert mismatch.status_code == 422
    again = client.post("/v1/agreements", json=example_agreement(), headers=admin)
    assert again.status_code == 409
    assert (
        client.put(
            "/v1/agreements/nope-nope", json=example_agreement(id="nope-nope"), headers=admin
        ).status_code
        == 404
    )


def test_partner_tokens_only_for_purposes_of_active_agreements(
    client: TestClient, world: Neighbourhood
) -> None:
    form = {"grant_type": "client_credentials"}
    ok = client.post(
        "/v1/oauth/token", data={**form, "purpose": "afstemming"}, auth=world.school.basic()
    )
    assert ok.status_code == 200
    unknown = client.post(
        "/v1/oauth/token", data={**form, "purpose": "handhaving"}, auth=world.school.basic()
    )
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_scope"
    client.put(
        "/v1/agreements/convenant-noord",
        json=example_agreement(status="suspended"),
        headers=bearer(world.admin_token),
    )
    suspended = client.post(
        "/v1/oauth/token", data={**form, "purpose": "afstemming"}, auth=world.school.basic()
    )
    assert suspended.status_code == 400 and suspended.json()["error"] == "invalid_scope"
    client.put(
        "/v1/agreements/convenant-noord",
        json=example_agreement(validUntil="2026-02-01"),
        headers=bearer(world.admin_token),
    )
    expired = client.post(
        "/v1/oauth/token", data={**form, "purpose": "afstemming"}, auth=world.school.basic()
    )
    assert expired.status_code == 400
