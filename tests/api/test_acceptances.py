"""Acceptance of agreements by all parties, through HTTP: proposed → accepted by each party →
active; a rejection blocks it; a revoked acceptance ends access at the next request; and every
refusal changes nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from records.models import OutboxEvent
from tests.api.test_signals import signal_body
from tests.factories import (
    Credentials,
    Neighbourhood,
    accept_all,
    accept_token,
    acceptance_signature,
    acceptor,
    audit_events,
    bearer,
    decide,
    example_agreement,
    make_agreement,
    make_client,
    make_neighbourhood,
    make_partner,
    token,
)
from wijkdeel.runtime import Runtime

AGREEMENT = "convenant-noord"
VERSION_1 = f"/v1/agreements/{AGREEMENT}/versions/1"


@pytest.fixture
def world(client: TestClient, admin_token: str) -> Neighbourhood:
    hood = make_neighbourhood(client, admin_token, agreement=False)
    written = make_agreement(client, admin_token, accepted=False)
    assert written["status"] == "proposed"
    return hood


def party(client: TestClient, world: Neighbourhood, partner: str) -> Credentials:
    return acceptor(client, world.admin_token, partner)


def version(client: TestClient, world: Neighbourhood, n: int = 1) -> dict[str, Any]:
    answer = client.get(
        f"/v1/agreements/{AGREEMENT}/versions/{n}", headers=bearer(world.admin_token)
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def explain(client: TestClient, world: Neighbourhood) -> dict[str, Any]:
    answer = client.post(
        "/v1/decisions",
        json={
            "sender": "kinderwerk-noord",
            "recipient": "wijkteam-noord",
            "purpose": "signalering",
            "category": "opvoeding",
        },
        headers=bearer(world.admin_token),
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def outbox(runtime: Runtime, type: str) -> list[tuple[str, str]]:
    with runtime.db.session() as session:
        return sorted(
            (row.partner_id, row.body)
            for row in session.scalars(select(OutboxEvent).where(OutboxEvent.type == type))  # type: ignore[arg-type]
        )


def acceptances(client: TestClient, headers: dict[str, str], **params: Any) -> Any:
    answer = client.get(f"{VERSION_1}/acceptances", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_api_md_agreement_becomes_active_when_every_party_accepted(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    proposed = version(client, world)
    assert proposed["contentHash"].startswith("sha256:") and len(proposed["contentHash"]) == 71
    # Nothing is shared, and no partner token for a purpose, before every party accepted.
    assert explain(client, world)["reasons"] == ["agreement_not_active"]
    form = {"grant_type": "client_credentials", "purpose": "signalering"}
    early = client.post("/v1/oauth/token", data=form, auth=world.kinderwerk.basic())
    assert early.status_code == 400 and early.json()["error"] == "invalid_scope"
    assert [p for p, _ in outbox(runtime, "agreement.proposed")] == sorted(proposed["parties"])
    assert AGREEMENT in outbox(runtime, "agreement.proposed")[0][1]

    for partner, status in [
        ("obs-de-linde", "proposed"),
        ("wijkteam-noord", "proposed"),
        ("kinderwerk-noord", "active"),
    ]:
        answer = decide(client, party(client, world, partner), AGREEMENT, 1)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body["partner"] == partner and body["decision"] == "accept"
        assert body["method"] == "client" and body["versionStatus"] == status
        assert body["contentHash"] == proposed["contentHash"]
        assert version(client, world)["status"] == status

    allowed = explain(client, world)
    assert allowed["allow"] is True and allowed["agreement"] == {"id": AGREEMENT, "version": 1}
    kinderwerk = bearer(token(client, world.kinderwerk, purpose="signalering"))
    sent = client.post("/v1/signals", json=signal_body(), headers=kinderwerk)
    assert sent.status_code == 201 and sent.json()["agreement"]["version"] == 1

    activated = outbox(runtime, "agreement.active")
    assert [p for p, _ in activated] == sorted(proposed["parties"])
    assert all('"version":1' in body and "convenant-noord" in body for _, body in activated)
    accepted = audit_events(runtime, action="agreement.accept")
    assert [e["partner"] for e in accepted] == [
        "obs-de-linde",
        "wijkteam-noord",
        "kinderwerk-noord",
    ]
    assert all(e["agreement_version"] == 1 and e["outcome"] == "allow" for e in accepted)

    # Every party, the admin and nobody else reads the decisions; they page.
    school = accept_token(client, party(client, world, "obs-de-linde"))
    first = acceptances(client, school, limit=2)
    assert len(first["items"]) == 2 and first["nextCursor"]
    rest = acceptances(client, school, limit=2, cursor=first["nextCursor"])
    listed = first["items"] + rest["items"]
    # (Ids sort by time; under the frozen test clock all three share one millisecond.)
    assert sorted(a["partner"] for a in listed) == sorted(proposed["parties"])
    assert rest["nextCursor"] is None and all(a["signature"] for a in listed)
    assert len(acceptances(client, bearer(world.admin_token))["items"]) == 3


def test_one_rejection_blocks_activation(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    assert decide(client, party(client, world, "wijkteam-noord"), AGREEMENT, 1).status_code == 201
    rejected = decide(client, party(client, world, "obs-de-linde"), AGREEMENT, 1, "reject")
    assert rejected.status_code == 201 and rejected.json()["versionStatus"] == "rejected"
    assert version(client, world)["status"] == "rejected"
    late = decide(client, party(client, world, "kinderwerk-noord"), AGREEMENT, 1)
    assert late.status_code == 409 and late.json()["code"] == "version_not_proposed"
    assert explain(client, world)["reasons"] == ["agreement_not_active"]
    assert [p for p, _ in outbox(runtime, "agreement.rejected")] == [
        "kinderwerk-noord",
        "obs-de-linde",
        "wijkteam-noord",
    ]
    assert outbox(runtime, "agreement.active") == []
    assert audit_events(runtime, action="agreement.reject")[0]["partner"] == "obs-de-linde"


def test_a_revoked_acceptance_ends_access_at_the_next_request(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    accept_all(client, world.admin_token, AGREEMENT, 1)
    kinderwerk = bearer(token(client, world.kinderwerk, purpose="signalering"))
    wijkteam = bearer(token(client, world.wijkteam, purpose="signalering"))
    sent = client.post("/v1/signals", json=signal_body(), headers=kinderwerk).json()
    assert client.get(f"/v1/signals/{sent['id']}", headers=wijkteam).status_code == 200

    school = accept_token(client, party(client, world, "obs-de-linde"))
    assert client.delete(f"{VERSION_1}/acceptance", headers=school).status_code == 204
    ended = client.get(f"/v1/signals/{sent['id']}", headers=wijkteam)
    assert ended.status_code == 403 and ended.json()["reasons"] == ["agreement_suspended"]
    refused = client.post("/v1/signals", json=signal_body(), headers=kinderwerk)
    assert refused.status_code == 403
    shown = version(client, world)
    assert shown["status"] == "suspended" and shown["statusReason"] == "acceptance_revoked"
    listed = acceptances(client, bearer(world.admin_token))["items"]
    assert [a["partner"] for a in listed if a.get("revokedAt")] == ["obs-de-linde"]
    revoked = audit_events(runtime, action="agreement.acceptance_revoke")
    assert revoked[0]["partner"] == "obs-de-linde" and revoked[0]["outcome"] == "allow"

    again = client.delete(f"{VERSION_1}/acceptance", headers=school)
    assert again.status_code == 404 and again.json()["code"] == "no_acceptance"
    # The revoked version cannot be accepted back: a new version must be accepted by all.
    back = decide(client, party(client, world, "obs-de-linde"), AGREEMENT, 1)
    assert back.status_code == 409
    written = client.put(
        f"/v1/agreements/{AGREEMENT}", json=example_agreement(), headers=bearer(world.admin_token)
    ).json()
    assert written["status"] == "proposed"
    accept_all(client, world.admin_token, AGREEMENT, written["version"])
    assert client.get(f"/v1/signals/{sent['id']}", headers=wijkteam).status_code == 200


def test_a_new_version_is_proposed_while_the_accepted_one_stays_in_force(
    client: TestClient, world: Neighbourhood
) -> None:
    accept_all(client, world.admin_token, AGREEMENT, 1)
    narrower = example_agreement(title="Convenant zorgsignalen Noord (herzien)")
    narrower["rules"][0]["categories"] = ["veiligheid"]
    written = client.put(
        f"/v1/agreements/{AGREEMENT}", json=narrower, headers=bearer(world.admin_token)
    ).json()
    assert written["version"] == 2 and written["status"] == "proposed"
    assert written["contentHash"] != version(client, world)["contentHash"]
    assert explain(client, world)["agreement"] == {"id": AGREEMENT, "version": 1}
    # An acceptance signed for version 1 does not count for version 2.
    school = party(client, world, "obs-de-linde")
    old = acceptance_signature(school, AGREEMENT, 1, version(client, world)["contentHash"])
    replayed = client.post(
        f"/v1/agreements/{AGREEMENT}/versions/2/acceptance",
        json={"decision": "accept", "signature": old},
        headers=accept_token(client, school),
    )
    assert replayed.status_code == 422 and replayed.json()["code"] == "wrong_version"
    accept_all(client, world.admin_token, AGREEMENT, 2)
    now = explain(client, world)
    assert now["allow"] is False and now["reasons"] == ["category_not_shared"]
    # A version that only suspends takes effect at once, without anyone's acceptance.
    stop = client.put(
        f"/v1/agreements/{AGREEMENT}",
        json=example_agreement(status="suspended"),
        headers=bearer(world.admin_token),
    ).json()
    assert stop["status"] == "suspended"
    assert explain(client, world)["reasons"] == ["agreement_suspended"]


def test_refusals_change_nothing(
    client: TestClient, world: Neighbourhood, admin_token: str, runtime: Runtime
) -> None:
    school = party(client, world, "obs-de-linde")
    headers = accept_token(client, school)
    digest = version(client, world)["contentHash"]
    path = f"{VERSION_1}/acceptance"

    def post(signature: str, decision: str = "accept", to: str = path, **kw: Any) -> Any:
        return client.post(
            to, json={"decision": decision, "signature": signature}, headers=kw.get("h", headers)
        )

    # Signed by a key that is not the client's.
    stranger_key = make_client(
        client, admin_token, partner="obs-de-linde", method="private_key_jwt"
    )
    forged = acceptance_signature(stranger_key, AGREEMENT, 1, digest)
    forged = forged.replace(stranger_key.kid or "", school.kid or "")
    answer = post(forged)
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_signature"
    assert answer.json()["invalidParams"][0]["name"] == "signature"
    wrong_hash = acceptance_signature(school, AGREEMENT, 1, "sha256:" + "0" * 64)
    assert post(wrong_hash).json()["code"] == "content_hash_mismatch"
    other_decision = acceptance_signature(school, AGREEMENT, 1, digest, "reject")
    assert post(other_decision).json()["code"] == "wrong_decision"
    assert post("not.a.jws").json()["code"] == "malformed_signature"
    assert post("junk").status_code == 422
    assert (
        client.post(path, json={"decision": "maybe", "signature": "x"}, headers=headers).status_code
        == 422
    )
    # Not a party: as if the agreement did not exist.
    make_partner(client, admin_token, id="jongerenwerk-zuid", kind="jongerenwerk")
    outsider = acceptor(client, admin_token, "jongerenwerk-zuid")
    signed = acceptance_signature(outsider, AGREEMENT, 1, digest)
    refused = post(signed, h=accept_token(client, outsider))
    assert refused.status_code == 404 and refused.json()["code"] == "agreement_not_found"
    listing = client.get(f"{VERSION_1}/acceptances", headers=accept_token(client, outsider))
    assert listing.status_code == 404
    # A client with a secret has no key to sign with.
    secret = bearer(token(client, world.school, scope="agreements:accept"))
    keyless = post(acceptance_signature(school, AGREEMENT, 1, digest), h=secret)
    assert keyless.status_code == 422 and keyless.json()["code"] == "no_registered_key"
    # Without the scope (an admin has no say for a party).
    assert post(signed, h=bearer(admin_token)).status_code == 403
    assert (
        client.post(
            f"/v1/agreements/{AGREEMENT}/versions/9/acceptance",
            json={"decision": "accept", "signature": signed},
            headers=headers,
        ).status_code
        == 404
    )
    assert acceptances(client, bearer(admin_token))["items"] == []
    assert version(client, world)["status"] == "proposed"
    denied = audit_events(runtime, action="agreement.accept", outcome="deny")
    assert len(denied) >= 8 and all(e["agreement_id"] in (None, AGREEMENT) for e in denied)

    # Twice.
    assert post(acceptance_signature(school, AGREEMENT, 1, digest)).status_code == 201
    twice = post(acceptance_signature(school, AGREEMENT, 1, digest))
    assert twice.status_code == 409 and twice.json()["code"] == "already_decided"
    assert len(acceptances(client, bearer(admin_token))["items"]) == 1
    # Revoking an acceptance of a proposal takes it back; the party may decide again.
    assert client.delete(path, headers=headers).status_code == 204
    assert version(client, world)["status"] == "proposed"
    assert (
        post(acceptance_signature(school, AGREEMENT, 1, digest, "reject"), "reject").status_code
        == 201
    )
    assert version(client, world)["status"] == "rejected"


def test_a_partner_asks_for_the_accept_scope_alone_without_a_purpose(
    client: TestClient, world: Neighbourhood
) -> None:
    school = party(client, world, "obs-de-linde")
    me = client.get("/v1/me", headers=accept_token(client, school)).json()
    assert me["scope"] == "agreements:accept" and me.get("purpose") is None
    # Not part of a partner's default scopes, and not enough for anything else.
    form = {"grant_type": "client_credentials"}
    bare = client.post("/v1/oauth/token", data=form, auth=world.school.basic())
    assert bare.status_code == 400 and bare.json()["error"] == "invalid_request"
    mixed = client.post(
        "/v1/oauth/token",
        data={**form, "scope": "agreements:accept signals:read"},
        auth=world.school.basic(),
    )
    assert mixed.status_code == 400
    signals = client.get("/v1/signals", headers=accept_token(client, school))
    assert signals.status_code == 403


def test_parties_accepting_at_once_all_count(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    digest = version(client, world)["contentHash"]
    prepared = []
    for partner in ["kinderwerk-noord", "obs-de-linde", "wijkteam-noord"]:
        signer = party(client, world, partner)
        body = {
            "decision": "accept",
            "signature": acceptance_signature(signer, AGREEMENT, 1, digest),
        }
        prepared.append((body, accept_token(client, signer)))
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(
            pool.map(
                lambda item: client.post(f"{VERSION_1}/acceptance", json=item[0], headers=item[1]),
                prepared,
            )
        )
    assert [answer.status_code for answer in answers] == [201, 201, 201]
    # Decisions on one agreement are taken one at a time: the last always sees the others.
    assert version(client, world)["status"] == "active"
    assert len(outbox(runtime, "agreement.active")) == 3
