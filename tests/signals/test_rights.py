"""The rights of the child and the parent on a signal, through HTTP: correction (AVG art. 16
with art. 19), restriction (art. 18) and objection (art. 21) - and every refusal changes
nothing."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from api.schemas.signals import (
    CorrectionReason,
    DecisionReason,
    ObjectionReason,
    RestrictionReason,
)
from records.models import metadata
from signals.correction import CORRECTION_REASONS
from signals.objection import DECISION_REASONS, OBJECTION_REASONS
from signals.restriction import RESTRICTION_REASONS
from tests.api.test_consents import consent_body
from tests.api.test_signals import DETAILS, SUMMARY, signal_body
from tests.factories import (
    audit_events,
    bearer,
    example_agreement,
    make_client,
    make_partner,
    token,
)
from wijkdeel.runtime import Runtime

WIJKTEAM, SCHOOL, KINDERWERK, STRANGER = (
    "wijkteam-noord",
    "obs-de-linde",
    "kinderwerk-noord",
    "jongerenwerk-zuid",
)
CORRECTED = "Komt soms zonder ontbijt naar de club"


class World:
    """kinderwerk sends to the wijkteam and the school under `signalering` (and to the school
    under `afstemming`, with consent); jongerenwerk is a party that receives nothing."""

    def __init__(self, client: TestClient, admin_token: str) -> None:
        for partner, kind in [
            (KINDERWERK, "kinderwerk"),
            (SCHOOL, "school"),
            (WIJKTEAM, "wijkteam"),
            (STRANGER, "jongerenwerk"),
        ]:
            make_partner(client, admin_token, id=partner, kind=kind)
        agreement = example_agreement()
        agreement["parties"].append(STRANGER)
        agreement["rules"].append(
            {
                "sender": KINDERWERK,
                "recipient": SCHOOL,
                "purposes": ["signalering"],
                "categories": ["opvoeding"],
                "fields": ["subject", "summary"],
                "legalBasis": "public_task",
                "requiresConsent": False,
                "retentionDays": 365,
            }
        )
        made = client.post("/v1/agreements", json=agreement, headers=bearer(admin_token))
        assert made.status_code == 201, made.text

        def tokens_for(partner: str, purpose: str) -> dict[str, str]:
            creds = make_client(client, admin_token, partner=partner)
            return bearer(token(client, creds, purpose=purpose))

        self.client = client
        self.kinderwerk = tokens_for(KINDERWERK, "signalering")
        self.kinderwerk_afstemming = tokens_for(KINDERWERK, "afstemming")
        self.wijkteam = tokens_for(WIJKTEAM, "signalering")
        self.school = tokens_for(SCHOOL, "signalering")
        self.school_afstemming = tokens_for(SCHOOL, "afstemming")
        self.stranger = tokens_for(STRANGER, "signalering")
        self.admin = bearer(admin_token)

    def send(self, headers: dict[str, str] | None = None, **changes: Any) -> str:
        answer = self.client.post(
            "/v1/signals", json=signal_body(**changes), headers=headers or self.kinderwerk
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def read(self, signal_id: str, headers: dict[str, str]) -> Any:
        return self.client.get(f"/v1/signals/{signal_id}", headers=headers)


@pytest.fixture
def world(client: TestClient, admin_token: str) -> World:
    return World(client, admin_token)


def stored(runtime: Runtime, signal_id: str) -> dict[str, Any]:
    with runtime.db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM signals WHERE id = :id"), {"id": signal_id})
        signal = dict(row.mappings().one())
        key = conn.execute(
            text("SELECT * FROM data_keys WHERE id = :id"), {"id": signal["data_key_id"]}
        )
        signal["key"] = dict(key.mappings().one()) if signal["data_key_id"] else None
    return signal


# What a request leaves whether or not it is refused: its audit event, the process census.
BOOKKEEPING = {"audit_events", "audit_checkpoints", "api_processes"}


def database_bytes(runtime: Runtime, *, skip: set[str] | None = None) -> bytes:
    """Every row of every table (but `skip`), as bytes a cipher text could be found in."""
    parts: list[bytes] = []
    with runtime.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if skip and table.name in skip:
                continue
            parts.append(table.name.encode())
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        parts.append(bytes(value))
                    else:
                        parts.append(repr(value).encode())
    return b"\x00".join(parts)


def outbox(runtime: Runtime, type: str) -> list[dict[str, Any]]:
    with runtime.db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT partner_id, body FROM outbox_events WHERE type = :type ORDER BY id"),
            {"type": type},
        ).mappings()
        return [{"partner": r["partner_id"], **json.loads(r["body"])} for r in rows]


def test_the_fixed_words_on_the_wire_are_the_domains() -> None:
    assert get_args(CorrectionReason) == CORRECTION_REASONS
    assert get_args(RestrictionReason) == RESTRICTION_REASONS
    assert get_args(ObjectionReason) == OBJECTION_REASONS
    assert set(get_args(DecisionReason)) == {w for ws in DECISION_REASONS.values() for w in ws}


def test_a_correction_reaches_every_recipient_and_leaves_no_old_cipher_text(
    world: World, runtime: Runtime, client: TestClient
) -> None:
    signal_id = world.send()
    assert world.read(signal_id, world.wijkteam).json()["summary"] == SUMMARY
    before = stored(runtime, signal_id)
    old_blobs = [before[name] for name in ("subject", "summary", "details", "contact")]
    old_blobs.append(before["key"]["wrapped"])
    assert all(old_blobs)

    corrected = client.patch(
        f"/v1/signals/{signal_id}",
        json={
            "summary": CORRECTED,
            "subject": {"birthDate": "2017-03-02", "name": "Sam de Vries-Jansen"},
            "correctionReason": "requested_by_parent",
        },
        headers=world.kinderwerk,
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["revision"] == 2

    # Every recipient reads the corrected text, and the revision.
    for headers in (world.wijkteam, world.school):
        read = world.read(signal_id, headers).json()
        assert read["summary"] == CORRECTED and read["revision"] == 2
        assert read["subject"]["name"] == "Sam de Vries-Jansen"
    assert world.read(signal_id, world.wijkteam).json()["details"] == DETAILS

    # No cipher text of the first revision, nor its data key, is left anywhere.
    after = stored(runtime, signal_id)
    assert after["data_key_id"] != before["data_key_id"] and after["revision"] == 2
    everything = database_bytes(runtime)
    for blob in old_blobs:
        assert bytes(blob) not in everything
    assert after["summary"] in everything  # the search itself finds what is there
    assert before["data_key_id"].encode() not in everything

    # Every recipient was told (ids only), and that it was told is recorded per recipient.
    told = outbox(runtime, "signal.corrected")
    assert sorted(t["partner"] for t in told) == [SCHOOL, WIJKTEAM]
    assert told[0]["data"] == {
        "signalId": signal_id,
        "revision": 2,
        "category": "opvoeding",
        "urgency": "normal",
        "sender": KINDERWERK,
        "purpose": "signalering",
    }
    own = world.read(signal_id, world.kinderwerk).json()
    (correction,) = own["corrections"]
    assert correction["revision"] == 2 and correction["reason"] == "requested_by_parent"
    assert correction["fields"] == ["summary", "subject.name"]  # the birth date did not change
    assert sorted(n["partner"] for n in correction["notified"]) == [SCHOOL, WIJKTEAM]
    assert "corrections" not in world.read(signal_id, world.wijkteam).json()

    (event,) = audit_events(runtime, action="signal.correct")
    assert event["outcome"] == "allow" and event["resource_id"] == signal_id
    assert event["reason"] == (
        "revision:2;reason:requested_by_parent;fields:summary,subject.name;notified:2"
    )
    assert "Jansen" not in repr(audit_events(runtime)) and CORRECTED not in repr(told)

    # The handling status is still a recipient's PATCH.
    moved = client.patch(
        f"/v1/signals/{signal_id}", json={"status": "acknowledged"}, headers=world.wijkteam
    )
    assert moved.status_code == 200 and moved.json()["status"] == "acknowledged"
    assert moved.json()["revision"] == 2

    # Removing an optional field is a correction too.
    removed = client.patch(
        f"/v1/signals/{signal_id}",
        json={"details": None, "contact": None, "correctionReason": "outdated"},
        headers=world.kinderwerk,
    )
    assert removed.status_code == 200 and removed.json()["revision"] == 3
    read = world.read(signal_id, world.wijkteam).json()
    assert "details" not in read and "contact" not in read and read["summary"] == CORRECTED


def test_a_corrected_birth_date_rechecks_the_consent(
    world: World, runtime: Runtime, client: TestClient
) -> None:
    consent = client.post("/v1/consents", json=consent_body(), headers=world.kinderwerk_afstemming)
    assert consent.status_code == 201, consent.text
    signal_id = world.send(world.kinderwerk_afstemming, category="school", details=None)
    assert world.read(signal_id, world.school_afstemming).status_code == 200

    def born(day: str | None) -> int:
        answer = client.patch(
            f"/v1/signals/{signal_id}",
            json={"subject": {"birthDate": day}, "correctionReason": "sender_error"},
            headers=world.kinderwerk_afstemming,
        )
        assert answer.status_code == 200, answer.text
        return world.read(signal_id, world.school_afstemming).status_code

    # The consent was given for a child born on 2017-03-02: it does not count for another one.
    assert born("2016-05-05") == 403
    ended = world.read(signal_id, world.school_afstemming).json()
    assert "consent_subject_mismatch" in ended["reasons"]
    assert born("2017-03-02") == 200
    # Without a birth date there is nothing to compare: the consent counts as before tags.
    assert born(None) == 200
    assert "birthDate" not in world.read(signal_id, world.kinderwerk_afstemming).json()["subject"]


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("wijkteam", {"summary": "x", "correctionReason": "sender_error"}, 403, "not_the_sender"),
        ("stranger", {"summary": "x", "correctionReason": "sender_error"}, 404, None),
        ("admin", {"summary": "x", "correctionReason": "sender_error"}, 403, None),
        ("kinderwerk", {"summary": "x"}, 422, "validation_failed"),
        ("kinderwerk", {"summary": "x", "correctionReason": "because"}, 422, None),
        ("kinderwerk", {"correctionReason": "sender_error"}, 422, "validation_failed"),
        ("kinderwerk", {"summary": None, "correctionReason": "sender_error"}, 422, None),
        ("kinderwerk", {"subject": None, "correctionReason": "sender_error"}, 422, None),
        (
            "kinderwerk",
            {"subject": {"bsn": "123456782"}, "correctionReason": "outdated"},
            422,
            None,
        ),
        (
            "kinderwerk",
            {"subject": {"birthDate": "2099-01-01"}, "correctionReason": "outdated"},
            422,
            "invalid_correction",
        ),
        (
            "kinderwerk",
            {"status": "closed", "summary": "x", "correctionReason": "sender_error"},
            422,
            "validation_failed",
        ),
        ("kinderwerk", {"summary": SUMMARY, "correctionReason": "sender_error"}, 409, "no_change"),
        ("kinderwerk", {}, 422, None),
    ],
)
def test_refused_corrections_change_nothing(
    world: World,
    runtime: Runtime,
    client: TestClient,
    who: str,
    body: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    signal_id = world.send()
    before = database_bytes(runtime, skip=BOOKKEEPING)
    refused = client.patch(f"/v1/signals/{signal_id}", json=body, headers=getattr(world, who))
    assert refused.status_code == status, refused.text
    if code is not None:
        assert refused.json()["code"] == code
    assert database_bytes(runtime, skip=BOOKKEEPING) == before
    assert stored(runtime, signal_id)["revision"] == 1
    assert outbox(runtime, "signal.corrected") == []
    assert world.read(signal_id, world.wijkteam).json()["summary"] == SUMMARY


def test_an_erased_signal_is_not_corrected(world: World, client: TestClient) -> None:
    signal_id = world.send()
    assert client.delete(f"/v1/signals/{signal_id}", headers=world.kinderwerk).status_code == 204
    gone = client.patch(
        f"/v1/signals/{signal_id}",
        json={"summary": CORRECTED, "correctionReason": "sender_error"},
        headers=world.kinderwerk,
    )
    assert gone.status_code == 410
