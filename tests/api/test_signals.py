"""Care signals through HTTP: API.md's story end to end, and every way access ends."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from core.clock import FrozenClock
from tests.api.test_consents import consent_body
from tests.factories import (
    Neighbourhood,
    accept_all,
    audit_events,
    audit_ref,
    bearer,
    example_agreement,
    make_neighbourhood,
    partner_ref,
    token,
)
from wijkdeel.runtime import Runtime

BSN, NAME = "111222333", "Sam de Vries"
SUMMARY, DETAILS = (
    "Vaak zonder ontbijt naar de club, oogt moe",
    "Sinds september komt Sam zonder eten",
)


def signal_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": {"bsn": BSN, "name": NAME, "birthDate": "2017-03-02"},
        "category": "opvoeding",
        "urgency": "normal",
        "summary": SUMMARY,
        "details": DETAILS,
        "contact": {
            "name": "Petra Jansen",
            "phone": "06-12345678",
            "email": "petra@kinderwerk.example",
        },
    }
    body.update(changes)
    return body


@pytest.fixture
def world(client: TestClient, admin_token: str) -> Neighbourhood:
    return make_neighbourhood(client, admin_token)


class Tokens:
    def __init__(self, client: TestClient, world: Neighbourhood) -> None:
        self.world = world
        self.kinderwerk = bearer(token(client, world.kinderwerk, purpose="signalering"))
        self.kinderwerk_afstemming = bearer(token(client, world.kinderwerk, purpose="afstemming"))
        self.wijkteam = bearer(token(client, world.wijkteam, purpose="signalering"))
        self.wijkteam_afstemming = bearer(token(client, world.wijkteam, purpose="afstemming"))
        self.school = bearer(token(client, world.school, purpose="afstemming"))
        self.admin = bearer(world.admin_token)


@pytest.fixture
def tokens(client: TestClient, world: Neighbourhood) -> Tokens:
    return Tokens(client, world)


def send(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post("/v1/signals", json=signal_body(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def raw_signals(runtime: Runtime) -> bytes:
    with runtime.db.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(text("SELECT * FROM signals")).mappings()]
        rows += [dict(r) for r in conn.execute(text("SELECT * FROM data_keys")).mappings()]
    return repr(rows).encode()


def test_kinderwerk_to_wijkteam(
    client: TestClient, tokens: Tokens, runtime: Runtime, clock: FrozenClock
) -> None:
    created = send(client, tokens.kinderwerk)
    assert created["recipients"] == ["wijkteam-noord"] and created["status"] == "open"
    assert created["agreement"] == {"id": "convenant-noord", "version": 1}
    assert created["purpose"] == "signalering" and created["sender"] == "kinderwerk-noord"
    assert created["subjectRef"] == partner_ref(runtime, "kinderwerk-noord", BSN)
    assert (
        created["expiresAt"][:10]
        == (clock() + __import__("datetime").timedelta(days=365)).date().isoformat()
    )

    read = client.get(f"/v1/signals/{created['id']}", headers=tokens.wijkteam)
    assert read.status_code == 200
    signal = read.json()
    assert signal["subject"] == {"bsn": BSN, "name": NAME, "birthDate": "2017-03-02"}
    assert signal["summary"] == SUMMARY and signal["details"] == DETAILS
    assert signal["contact"]["email"] == "petra@kinderwerk.example"
    assert signal["legalBasis"] == "public_task" and signal["relatedSignals"] == []
    assert signal["recipients"] == ["wijkteam-noord"] and "recipientStatuses" not in signal

    own = client.get(f"/v1/signals/{created['id']}", headers=tokens.kinderwerk).json()
    assert own["details"] == DETAILS and own["recipientStatuses"][0]["partner"] == "wijkteam-noord"

    assert client.get(f"/v1/signals/{created['id']}", headers=tokens.school).status_code == 404
    events = audit_events(runtime, action="signal.read")
    # The log holds the audit pseudonym; each partner sees a pseudonym of its own.
    assert all(e["subject_ref"] == audit_ref(runtime, BSN) for e in events)
    assert signal["subjectRef"] == partner_ref(runtime, "wijkteam-noord", BSN)
    assert len({signal["subjectRef"], created["subjectRef"], audit_ref(runtime, BSN)}) == 3
    assert [e["outcome"] for e in events] == ["allow", "allow", "deny"]
    share = audit_events(runtime, action="signal.share")
    assert share[0]["agreement_version"] == 1 and share[0]["legal_basis"] == "public_task"


def test_kinderwerk_to_school_only_with_consent_and_without_details(
    client: TestClient, tokens: Tokens, runtime: Runtime
) -> None:
    before = raw_signals(runtime)
    refused = client.post(
        "/v1/signals", json=signal_body(category="school"), headers=tokens.kinderwerk_afstemming
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "no_lawful_recipient" and refused.json()["reasons"] == [
        "consent_required"
    ]
    assert raw_signals(runtime) == before
    assert audit_events(runtime, action="signal.create")[-1]["outcome"] == "deny"

    consent = client.post(
        "/v1/consents", json=consent_body(), headers=tokens.kinderwerk_afstemming
    ).json()
    created = send(client, tokens.kinderwerk_afstemming, category="school")
    assert created["recipients"] == ["obs-de-linde"]
    seen = client.get(f"/v1/signals/{created['id']}", headers=tokens.school).json()
    assert set(seen) >= {"subject", "summary", "contact"} and "details" not in seen
    assert seen["legalBasis"] == "consent"

    client.post(
        f"/v1/consents/{consent['id']}/withdraw", json={}, headers=tokens.kinderwerk_afstemming
    )
    ended = client.get(f"/v1/signals/{created['id']}", headers=tokens.school)
    assert ended.status_code == 403 and ended.json()["reasons"] == ["consent_withdrawn"]
    assert SUMMARY not in ended.text
    listed = client.get("/v1/signals", headers=tokens.school).json()["items"]
    assert listed == []


def test_purpose_binds_every_read(client: TestClient, tokens: Tokens) -> None:
    created = send(client, tokens.kinderwerk)
    mismatch = client.get(f"/v1/signals/{created['id']}", headers=tokens.wijkteam_afstemming)
    assert mismatch.status_code == 403 and mismatch.json()["reasons"] == ["purpose_mismatch"]
    assert client.get("/v1/signals", headers=tokens.wijkteam_afstemming).json()["items"] == []
    assert len(client.get("/v1/signals", headers=tokens.wijkteam).json()["items"]) == 1


def test_agreement_suspension_ends_access_at_the_next_request(
    client: TestClient, tokens: Tokens
) -> None:
    created = send(client, tokens.kinderwerk)
    assert client.get(f"/v1/signals/{created['id']}", headers=tokens.wijkteam).status_code == 200
    client.put(
        "/v1/agreements/convenant-noord",
        json=example_agreement(status="suspended"),
        headers=tokens.admin,
    )
    ended = client.get(f"/v1/signals/{created['id']}", headers=tokens.wijkteam)
    assert ended.status_code == 403 and ended.json()["reasons"] == ["agreement_suspended"]
    assert client.get(f"/v1/signals/{created['id']}", headers=tokens.kinderwerk).status_code == 200
    refused = client.post("/v1/signals", json=signal_body(), headers=tokens.kinderwerk)
    assert refused.status_code == 403 and refused.json()["reasons"] == ["agreement_suspended"]
    # Sharing again needs a new version that every party accepts.
    again = client.put(
        "/v1/agreements/convenant-noord", json=example_agreement(), headers=tokens.admin
    ).json()
    assert again["status"] == "proposed"
    assert client.get(f"/v1/signals/{created['id']}", headers=tokens.wijkteam).status_code == 403
    accept_all(client, tokens.world.admin_token, "convenant-noord", again["version"])
    assert client.get(f"/v1/signals/{created['id']}", headers=tokens.wijkteam).status_code == 200


def test_named_recipients_must_all_be_lawful(
    client: TestClient, tokens: Tokens, runtime: Runtime
) -> None:
    for recipients, reasons in [
        (["wijkteam-noord", "obs-de-linde"], ["purpose_mismatch"]),
        (["nobody-here"], ["no_agreement"]),
    ]:
        refused = client.post(
            "/v1/signals", json=signal_body(recipients=recipients), headers=tokens.kinderwerk
        )
        assert refused.status_code == 403, recipients
        assert (
            refused.json()["code"] == "recipient_not_allowed"
            and refused.json()["reasons"] == reasons
        )
    with runtime.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM signals")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM data_keys")).scalar() == 0
    assert send(client, tokens.kinderwerk, recipients=["wijkteam-noord"])["recipients"] == [
        "wijkteam-noord"
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": {"bsn": "111222334", "name": NAME}}, "subject.bsn"),
        ({"category": "Opvoeding!"}, "category"),
        ({"urgency": "whenever"}, "urgency"),
        ({"summary": "x" * 501}, "summary"),
        ({"details": "x" * 10_001}, "details"),
        ({"summary": ""}, "summary"),
        ({"colour": "red"}, "colour"),
        ({"contact": {"email": "not-an-email"}}, "contact.email"),
    ],
)
def test_bad_signals_are_refused_without_echo(
    client: TestClient, tokens: Tokens, changes: dict[str, Any], field: str, runtime: Runtime
) -> None:
    response = client.post("/v1/signals", json=signal_body(**changes), headers=tokens.kinderwerk)
    assert response.status_code == 422, response.text
    assert field in [p["name"] for p in response.json()["invalidParams"]]
    for value in (BSN, "111222334", NAME, SUMMARY, "not-an-email"):
        assert value not in response.text
    with runtime.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM signals")).scalar() == 0


def test_scopes_and_strangers(client: TestClient, tokens: Tokens, world: Neighbourhood) -> None:
    created = send(client, tokens.kinderwerk)
    read_only = bearer(token(client, world.kinderwerk, purpose="signalering", scope="signals:read"))
    assert client.post("/v1/signals", json=signal_body(), headers=read_only).status_code == 403
    assert client.get(f"/v1/signals/{created['id']}", headers=tokens.admin).status_code == 403
    assert client.get(f"/v1/signals/{created['id']}").status_code == 401
    assert client.get("/v1/signals/does-not-exist", headers=tokens.wijkteam).status_code == 404


def test_erasure_makes_content_unrecoverable(
    client: TestClient, tokens: Tokens, runtime: Runtime
) -> None:
    created = send(client, tokens.kinderwerk)
    stored = raw_signals(runtime)
    for plain in (BSN, NAME, SUMMARY, DETAILS, "Petra", "06-12345678"):
        assert plain.encode() not in stored
    assert client.delete(f"/v1/signals/{created['id']}", headers=tokens.wijkteam).status_code == 403
    assert client.delete(f"/v1/signals/{created['id']}", headers=tokens.school).status_code == 404
    assert (
        client.delete(f"/v1/signals/{created['id']}", headers=tokens.kinderwerk).status_code == 204
    )
    with runtime.db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM signals")).mappings().one()
        assert conn.execute(text("SELECT count(*) FROM data_keys")).scalar() == 0
    assert (
        row["subject"] is None
        and row["summary"] is None
        and row["details"] is None
        and row["contact"] is None
    )
    assert row["data_key_id"] is None and row["erased_at"] is not None
    assert row["subject_ref"] == audit_ref(runtime, BSN) and row["sender"] == "kinderwerk-noord"
    for headers in (tokens.wijkteam, tokens.kinderwerk):
        assert client.get(f"/v1/signals/{created['id']}", headers=headers).status_code == 410
    assert client.get(f"/v1/signals/{created['id']}", headers=tokens.school).status_code == 404
    assert (
        client.delete(f"/v1/signals/{created['id']}", headers=tokens.kinderwerk).status_code == 410
    )
    erase = audit_events(runtime, action="signal.erase")
    assert [e["outcome"] for e in erase] == ["deny", "deny", "allow", "deny"]
    assert erase[2]["subject_ref"] == audit_ref(runtime, BSN)


def test_admin_may_erase(client: TestClient, tokens: Tokens) -> None:
    created = send(client, tokens.kinderwerk)
    assert client.delete(f"/v1/signals/{created['id']}", headers=tokens.admin).status_code == 204
    assert client.get(f"/v1/signals/{created['id']}", headers=tokens.wijkteam).status_code == 410


def test_handling_status_moves_forward(
    client: TestClient, tokens: Tokens, runtime: Runtime
) -> None:
    created = send(client, tokens.kinderwerk)
    path = f"/v1/signals/{created['id']}"
    assert (
        client.patch(path, json={"status": "acknowledged"}, headers=tokens.kinderwerk).status_code
        == 403
    )
    for status in ("acknowledged", "acknowledged", "in_progress", "closed"):
        moved = client.patch(path, json={"status": status}, headers=tokens.wijkteam)
        assert moved.status_code == 200 and moved.json()["status"] == status
    back = client.patch(path, json={"status": "acknowledged"}, headers=tokens.wijkteam)
    assert back.status_code == 409
    assert client.patch(path, json={"status": "open"}, headers=tokens.wijkteam).status_code == 422
    own = client.get(path, headers=tokens.kinderwerk).json()
    assert own["status"] == "closed" and own["recipientStatuses"][0]["status"] == "closed"
    closed = client.get("/v1/signals", params={"status": "closed"}, headers=tokens.wijkteam).json()[
        "items"
    ]
    assert [s["id"] for s in closed] == [created["id"]]
    assert (
        client.get("/v1/signals", params={"status": "open"}, headers=tokens.wijkteam).json()[
            "items"
        ]
        == []
    )
    updates = audit_events(runtime, action="signal.update")
    assert [e["reason"] for e in updates if e["outcome"] == "allow"][-1] == "status:closed"


def test_list_filters_and_pages(
    client: TestClient, tokens: Tokens, clock: FrozenClock, runtime: Runtime
) -> None:
    ids = []
    for index in range(5):
        category = "veiligheid" if index % 2 else "opvoeding"
        ids.append(send(client, tokens.kinderwerk, category=category)["id"])
        clock.advance(seconds=1)
    seen, listed, cursor = [], [], None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/signals", params=params, headers=tokens.wijkteam).json()
        seen += [s["id"] for s in page["items"]]
        listed += page["items"]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    safety = client.get(
        "/v1/signals", params={"category": "veiligheid"}, headers=tokens.wijkteam
    ).json()
    assert [s["id"] for s in safety["items"]] == [ids[3], ids[1]]
    since = client.get(
        "/v1/signals", params={"since": "2000-01-01T00:00:00Z"}, headers=tokens.wijkteam
    ).json()
    assert len(since["items"]) == 5
    later = client.get(
        "/v1/signals", params={"since": "2999-01-01T00:00:00Z"}, headers=tokens.wijkteam
    ).json()
    assert later["items"] == []
    # A list never holds content: that takes a read of the one signal.
    assert listed and all(
        key not in item for item in listed for key in ("subject", "summary", "details", "contact")
    )
    listed = audit_events(runtime, action="signal.list")
    assert {e["subject_ref"] for e in listed if e["resource_id"]} == {audit_ref(runtime, BSN)}
    assert safety["items"][0]["subjectRef"] == partner_ref(runtime, "wijkteam-noord", BSN)
    assert (
        client.get("/v1/signals", params={"status": "lost"}, headers=tokens.wijkteam).status_code
        == 400
    )


def test_related_signals_and_matches(
    client: TestClient, tokens: Tokens, world: Neighbourhood, runtime: Runtime
) -> None:
    first = send(client, tokens.kinderwerk)
    other_child = send(client, tokens.kinderwerk, subject={"bsn": "123456782"})
    assert client.get("/v1/matches", headers=tokens.wijkteam).json()["items"] == []
    second = send(client, tokens.kinderwerk, category="veiligheid")
    read = client.get(f"/v1/signals/{second['id']}", headers=tokens.wijkteam).json()
    assert [s["id"] for s in read["relatedSignals"]] == [first["id"]]
    matches = client.get("/v1/matches", headers=tokens.wijkteam).json()["items"]
    assert len(matches) == 1 and matches[0]["subjectRef"] == read["subjectRef"]
    assert read["subjectRef"] == partner_ref(runtime, "wijkteam-noord", BSN)
    assert {s["id"] for s in matches[0]["signals"]} == {first["id"], second["id"]}
    assert other_child["subjectRef"] != first["subjectRef"]
    assert len(client.get("/v1/matches", headers=tokens.kinderwerk).json()["items"]) == 1
    assert client.get("/v1/matches", headers=tokens.school).json()["items"] == []
    client.delete(f"/v1/signals/{first['id']}", headers=tokens.kinderwerk)
    assert client.get("/v1/matches", headers=tokens.wijkteam).json()["items"] == []


def test_retention_erases_exactly_the_expired(
    client: TestClient, tokens: Tokens, clock: FrozenClock, runtime: Runtime, world: Neighbourhood
) -> None:
    from wijkdeel.worker import sweep_all

    short = client.post("/v1/consents", json=consent_body(), headers=tokens.kinderwerk_afstemming)
    assert short.status_code == 201
    school = send(client, tokens.kinderwerk_afstemming, category="school")  # 180 days
    wijkteam = send(client, tokens.kinderwerk)  # 365 days
    clock.advance(days=181)
    fresh = Tokens(client, world)
    assert (
        client.get(f"/v1/signals/{school['id']}", headers=fresh.kinderwerk_afstemming).status_code
        == 410
    )
    assert sweep_all(runtime) == 1
    assert sweep_all(runtime) == 0
    with runtime.db.engine.connect() as conn:
        rows = {
            r.id: r
            for r in conn.execute(text("SELECT id, erased_at, erase_reason, summary FROM signals"))
        }
    assert rows[school["id"]].erase_reason == "retention" and rows[school["id"]].summary is None
    assert rows[wijkteam["id"]].erased_at is None and rows[wijkteam["id"]].summary is not None
    event = audit_events(runtime, action="signal.erase")[-1]
    assert (
        event["reason"] == "retention"
        and event["resource_id"] == school["id"]
        and event["role"] == "system"
    )
    assert event["subject_ref"] == audit_ref(runtime, BSN)


def test_master_rotation_then_rewrap_keeps_signals_readable(
    client: TestClient, tokens: Tokens, runtime: Runtime, clock: FrozenClock, settings: Any
) -> None:
    from wijkdeel.rotation import pending, rewrap, rotate_master

    first = send(client, tokens.kinderwerk)
    with runtime.db.session() as session:
        version = rotate_master(session, settings.root_key(), clock())
    runtime.keyrings.reload()
    second = send(client, tokens.kinderwerk)
    assert pending(runtime.db, version) >= 2  # the first data key and the signing key
    clock.advance(seconds=30)
    moved = rewrap(runtime.db, runtime.keyrings, batch=1, now=clock)
    assert moved >= 2 and pending(runtime.db, version) == 0
    with runtime.db.engine.connect() as conn:
        versions = {row[0] for row in conn.execute(text("SELECT wrap_version FROM data_keys"))}
    assert versions == {version}
    runtime.signing_keys.reload()
    for signal in (first, second):
        assert (
            client.get(f"/v1/signals/{signal['id']}", headers=tokens.wijkteam).json()["summary"]
            == SUMMARY
        )
    assert client.get("/v1/me", headers=tokens.wijkteam).status_code == 200


def test_since_needs_an_offset(client: TestClient, tokens: Tokens) -> None:
    naive = client.get(
        "/v1/signals", params={"since": "2026-01-01T00:00:00"}, headers=tokens.wijkteam
    )
    assert naive.status_code == 400 and naive.json()["invalidParams"][0]["name"] == "since"
