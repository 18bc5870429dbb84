"""Notifications through HTTP and a real receiver on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from core.clock import FrozenClock
from notifications.delivery import Deliverer
from notifications.signing import sign
from tests.api.test_consents import consent_body
from tests.api.test_signals import BSN, DETAILS, NAME, SUMMARY, Tokens, signal_body
from tests.factories import Neighbourhood, audit_events, make_neighbourhood
from tests.receiver import Receiver, free_port, receiving
from wijkdeel.runtime import Runtime
from wijkdeel.worker import deliverer_for


@pytest.fixture
def world(client: TestClient, admin_token: str) -> Neighbourhood:
    return make_neighbourhood(client, admin_token)


@pytest.fixture
def tokens(client: TestClient, world: Neighbourhood) -> Tokens:
    return Tokens(client, world)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving(Receiver(free_port())) as running:
        yield running


@pytest.fixture
def deliverer(runtime: Runtime) -> Iterator[Deliverer]:
    worker = deliverer_for(runtime)
    yield worker
    worker.close()


def subscribe(
    client: TestClient, headers: dict[str, str], url: str, events: list[str]
) -> dict[str, Any]:
    response = client.post(
        "/v1/subscriptions", json={"url": url, "events": events}, headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_signal_created_reaches_the_wijkteam_signed_and_without_personal_data(
    client: TestClient, tokens: Tokens, receiver: Receiver, deliverer: Deliverer, runtime: Runtime
) -> None:
    subscription = subscribe(client, tokens.wijkteam, receiver.url, ["signal.created"])
    secret = subscription["secret"]
    assert secret.startswith("whsec_")
    created = client.post("/v1/signals", json=signal_body(), headers=tokens.kinderwerk).json()
    assert deliverer.drain() == 1
    assert len(receiver.received) == 1
    delivery = receiver.received[0]
    # The receiver's library, not our code, accepts the signature.
    payload = Webhook(secret).verify(delivery.body, delivery.headers)
    assert payload["type"] == "signal.created"
    assert payload["data"] == {
        "signalId": created["id"],
        "category": "opvoeding",
        "urgency": "normal",
        "sender": "kinderwerk-noord",
        "purpose": "signalering",
    }
    for personal in (BSN, NAME, SUMMARY, DETAILS, "Petra", created["subjectRef"]):
        assert personal.encode() not in delivery.body
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(delivery.body.replace(b"normal", b"acute"), delivery.headers)
    deliveries = client.get(
        f"/v1/subscriptions/{subscription['id']}/deliveries", headers=tokens.wijkteam
    ).json()
    item = deliveries["items"][0]
    assert (
        item["status"] == "delivered"
        and item["attempts"] == 1
        and item["eventId"] == delivery.headers["webhook-id"]
    )
    assert item["attemptLog"][0]["statusCode"] == 204
    stored = repr(client.get("/v1/subscriptions", headers=tokens.wijkteam).json())
    assert secret not in stored
    with runtime.db.engine.connect() as conn:
        raw = repr([dict(r) for r in conn.execute(text("SELECT * FROM subscriptions")).mappings()])
    assert secret not in raw and secret.removeprefix("whsec_") not in raw


def test_outage_then_recovery_delivers_every_event_once_with_the_same_id(
    client: TestClient, tokens: Tokens, deliverer: Deliverer, clock: FrozenClock
) -> None:
    port = free_port()
    subscribe(client, tokens.wijkteam, f"http://127.0.0.1:{port}/hook", ["signal.created"])
    for _ in range(3):
        client.post("/v1/signals", json=signal_body(), headers=tokens.kinderwerk)
    assert deliverer.drain() == 3  # connection refused: nobody listens yet
    receiver = Receiver(port, answers=[500, 500, 503])
    with receiving(receiver):
        clock.advance(seconds=1)
        assert deliverer.drain() == 3  # answered 500, 500, 503
        clock.advance(seconds=1)
        assert deliverer.drain() == 3  # answered 204
        clock.advance(seconds=1)
        assert deliverer.drain() == 0
    ids = receiver.ids()
    assert len(ids) == 6 and len(set(ids)) == 3  # retries keep their webhook-id
    assert len(receiver.accepted_ids()) == 3


def test_retry_after_is_honoured(
    client: TestClient, tokens: Tokens, deliverer: Deliverer, clock: FrozenClock
) -> None:
    receiver = Receiver(free_port(), answers=[503], headers={"Retry-After": "120"})
    with receiving(receiver):
        subscription = subscribe(client, tokens.wijkteam, receiver.url, ["signal.created"])
        client.post("/v1/signals", json=signal_body(), headers=tokens.kinderwerk)
        deliverer.drain()
        clock.advance(seconds=60)
        assert deliverer.drain() == 0
        clock.advance(seconds=61)
        assert deliverer.drain() == 1
    items = client.get(
        f"/v1/subscriptions/{subscription['id']}/deliveries", headers=tokens.wijkteam
    ).json()["items"]
    assert items[0]["status"] == "delivered" and items[0]["attempts"] == 2


def test_a_410_disables_the_subscription(
    client: TestClient, tokens: Tokens, deliverer: Deliverer, clock: FrozenClock, runtime: Runtime
) -> None:
    receiver = Receiver(free_port(), answers=[410])
    with receiving(receiver):
        subscription = subscribe(client, tokens.wijkteam, receiver.url, ["signal.created"])
        client.post("/v1/signals", json=signal_body(), headers=tokens.kinderwerk)
        deliverer.drain()
        client.post("/v1/signals", json=signal_body(), headers=tokens.kinderwerk)
        clock.advance(seconds=5)
        deliverer.drain()
    assert len(receiver.received) == 1
    listed = client.get("/v1/subscriptions", headers=tokens.wijkteam).json()["items"]
    assert listed[0]["status"] == "disabled" and listed[0]["disabledReason"] == "gone"
    items = client.get(
        f"/v1/subscriptions/{subscription['id']}/deliveries", headers=tokens.wijkteam
    ).json()["items"]
    assert {i["status"] for i in items} == {"failed"}
    disabled = audit_events(runtime, action="subscription.disable")
    assert disabled[0]["resource_id"] == subscription["id"] and disabled[0]["role"] == "system"


def test_a_failed_delivery_can_be_retried_by_hand(
    client: TestClient, tokens: Tokens, deliverer: Deliverer, clock: FrozenClock, runtime: Runtime
) -> None:
    receiver = Receiver(free_port(), answers=[500] * 5)
    with receiving(receiver):
        subscription = subscribe(client, tokens.wijkteam, receiver.url, ["signal.created"])
        client.post("/v1/signals", json=signal_body(), headers=tokens.kinderwerk)
        for _ in range(6):
            deliverer.drain()
            clock.advance(seconds=1)
        path = f"/v1/subscriptions/{subscription['id']}/deliveries"
        failed = client.get(path, headers=tokens.wijkteam).json()["items"][0]
        assert failed["status"] == "failed" and failed["attempts"] == runtime.max_attempts == 5
        assert [a["statusCode"] for a in failed["attemptLog"]] == [500] * 5
        retried = client.post(f"/v1/deliveries/{failed['id']}/retry", headers=tokens.wijkteam)
        assert retried.status_code == 202
        again = client.post(f"/v1/deliveries/{failed['id']}/retry", headers=tokens.wijkteam)
        assert again.status_code == 409
        deliverer.drain()
    done = client.get(path, headers=tokens.wijkteam).json()["items"][0]
    assert done["status"] == "delivered" and done["attempts"] == 6
    assert len(set(receiver.ids())) == 1
    other = client.post(f"/v1/deliveries/{failed['id']}/retry", headers=tokens.kinderwerk)
    assert other.status_code == 404
    assert audit_events(runtime, action="delivery.retry")[0]["outcome"] == "allow"


def test_events_are_filtered_and_routed(
    client: TestClient, tokens: Tokens, receiver: Receiver, deliverer: Deliverer
) -> None:
    subscribe(client, tokens.wijkteam, receiver.url, ["match.created"])
    subscribe(client, tokens.kinderwerk, receiver.url, ["signal.updated", "match.created"])
    school = subscribe(client, tokens.school, receiver.url, ["consent.withdrawn"])
    first = client.post("/v1/signals", json=signal_body(), headers=tokens.kinderwerk).json()
    deliverer.drain()
    assert receiver.received == []  # nobody asked for signal.created
    client.patch(
        f"/v1/signals/{first['id']}", json={"status": "acknowledged"}, headers=tokens.wijkteam
    )
    client.post("/v1/signals", json=signal_body(category="veiligheid"), headers=tokens.kinderwerk)
    consent = client.post(
        "/v1/consents", json=consent_body(), headers=tokens.kinderwerk_afstemming
    ).json()
    client.post(
        f"/v1/consents/{consent['id']}/withdraw", json={}, headers=tokens.kinderwerk_afstemming
    )
    deliverer.drain()
    bodies = [json.loads(r.body) for r in receiver.received]
    types = sorted(b["type"] for b in bodies)
    assert types == ["consent.withdrawn", "match.created", "match.created", "signal.updated"]
    updated = next(b for b in bodies if b["type"] == "signal.updated")
    assert (
        updated["data"]["status"] == "acknowledged"
        and updated["data"]["recipient"] == "wijkteam-noord"
    )
    match = next(b for b in bodies if b["type"] == "match.created")
    assert len(match["data"]["signalIds"]) == 2
    withdrawn = next(b for b in bodies if b["type"] == "consent.withdrawn")
    assert withdrawn["data"]["consentId"] == consent["id"] and school["id"]
    for body in receiver.received:
        assert BSN.encode() not in body.body and b"de Vries" not in body.body


def test_secret_rotation_signs_with_both_for_a_day(
    client: TestClient, tokens: Tokens, receiver: Receiver, deliverer: Deliverer, clock: FrozenClock
) -> None:
    subscription = subscribe(client, tokens.wijkteam, receiver.url, ["signal.created"])
    old = subscription["secret"]
    rotated = client.post(
        f"/v1/subscriptions/{subscription['id']}/rotate-secret", headers=tokens.wijkteam
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != old and rotated.json()["previousSecretValidUntil"]
    client.post("/v1/signals", json=signal_body(), headers=tokens.kinderwerk)
    deliverer.drain()
    first = receiver.received[0]
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(first.body, first.headers)
    Webhook(new).verify(first.body, first.headers)
    clock.advance(hours=24, seconds=1)
    fresh = Tokens(client, tokens_world(client, tokens))
    client.post("/v1/signals", json=signal_body(), headers=fresh.kinderwerk)
    deliverer.drain()
    second = receiver.received[1]
    # A day later by the injected clock; the library would check the timestamp against the
    # wall clock, so the signature is compared directly.
    message = (second.headers["webhook-id"], int(second.headers["webhook-timestamp"]), second.body)
    assert second.headers["webhook-signature"] == sign(new, *message) != sign(old, *message)


def tokens_world(client: TestClient, tokens: Tokens) -> Neighbourhood:
    return tokens.world


def test_subscription_api_rules(
    client: TestClient, tokens: Tokens, receiver: Receiver, runtime: Runtime
) -> None:
    mine = subscribe(client, tokens.wijkteam, receiver.url, ["signal.created"])
    assert client.get("/v1/subscriptions", headers=tokens.kinderwerk).json()["items"] == []
    assert (
        client.delete(f"/v1/subscriptions/{mine['id']}", headers=tokens.kinderwerk).status_code
        == 404
    )
    assert (
        client.get(
            f"/v1/subscriptions/{mine['id']}/deliveries", headers=tokens.kinderwerk
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/v1/subscriptions",
            json={"url": receiver.url, "events": ["signal.created"]},
            headers=tokens.admin,
        ).status_code
        == 403
    )
    for body in [
        {"url": receiver.url, "events": []},
        {"url": receiver.url, "events": ["signal.deleted"]},
        {"url": receiver.url},
        {"url": receiver.url, "events": ["signal.created"], "secret": "mine"},
    ]:
        assert (
            client.post("/v1/subscriptions", json=body, headers=tokens.wijkteam).status_code == 422
        )
    assert (
        client.delete(f"/v1/subscriptions/{mine['id']}", headers=tokens.wijkteam).status_code == 204
    )
    assert client.get("/v1/subscriptions", headers=tokens.wijkteam).json()["items"] == []
    assert (
        client.delete(f"/v1/subscriptions/{mine['id']}", headers=tokens.wijkteam).status_code == 404
    )
    actions = {
        e["action"] for e in audit_events(runtime) if e["action"].startswith("subscription.")
    }
    assert actions == {"subscription.create", "subscription.list", "subscription.delete"}


def test_a_partner_has_at_most_the_limit_of_subscriptions(
    client: TestClient, tokens: Tokens, receiver: Receiver, runtime: Runtime
) -> None:
    assert runtime.settings.subscription_limit == 10  # the default
    body = {"url": receiver.url, "events": ["signal.created"]}
    created = [subscribe(client, tokens.wijkteam, receiver.url, ["signal.created"])]
    created += [
        subscribe(client, tokens.wijkteam, f"{receiver.url}/{n}", ["match.created"])
        for n in range(9)
    ]

    def stored() -> int:
        with runtime.db.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM subscriptions")).scalar_one())

    refused = client.post("/v1/subscriptions", json=body, headers=tokens.wijkteam)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "subscription_limit" and "secret" not in refused.text
    assert stored() == 10
    assert audit_events(runtime, action="subscription.create")[-1]["outcome"] == "deny"
    # Per partner: another partner still subscribes.
    subscribe(client, tokens.kinderwerk, receiver.url, ["signal.updated"])
    # A disabled subscription counts until it is deleted; deleting one makes room.
    with runtime.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE subscriptions SET status = 'disabled' WHERE id = :id"),
            {"id": created[0]["id"]},
        )
    assert client.post("/v1/subscriptions", json=body, headers=tokens.wijkteam).status_code == 409
    deleted = client.delete(f"/v1/subscriptions/{created[0]['id']}", headers=tokens.wijkteam)
    assert deleted.status_code == 204
    assert client.post("/v1/subscriptions", json=body, headers=tokens.wijkteam).status_code == 201
    assert client.post("/v1/subscriptions", json=body, headers=tokens.wijkteam).status_code == 409
    operation = client.get("/v1/openapi.json").json()["paths"]["/subscriptions"]["post"]
    assert "subscription_limit" in operation["responses"]["409"]["description"]


def test_the_limit_is_a_setting(
    client: TestClient, tokens: Tokens, receiver: Receiver, runtime: Runtime
) -> None:
    runtime.settings.subscription_limit = 2
    for _ in range(2):
        subscribe(client, tokens.wijkteam, receiver.url, ["signal.created"])
    body = {"url": receiver.url, "events": ["signal.created"]}
    assert client.post("/v1/subscriptions", json=body, headers=tokens.wijkteam).status_code == 409
