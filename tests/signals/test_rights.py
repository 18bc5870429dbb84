"""The rights of the child and the parent on a signal, through HTTP: correction (AVG art. 16
with art. 19), restriction (art. 18) and objection (art. 21) - and every refusal changes
nothing."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
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
from signals.access import CONTENT_FIELDS
from signals.correction import CORRECTION_REASONS, sealed_columns
from signals.objection import DECISION_REASONS, OBJECTION_REASONS
from signals.restriction import RESTRICTION_REASONS
from tests.api.test_consents import consent_body
from tests.api.test_signals import DETAILS, SUMMARY, signal_body
from tests.factories import (
    audit_events,
    bearer,
    example_agreement,
    make_agreement,
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
        # Through the factory, which also has every party accept it where acceptance is asked.
        make_agreement(
            client,
            admin_token,
            parties=[*agreement["parties"], STRANGER],
            rules=agreement["rules"],
        )

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


def test_a_correction_reseals_every_sealed_column() -> None:
    """What a correction moves to the new data key: every sealed column of a signal (content
    added to signals later, sealed under the same key, moves with it)."""
    assert set(CONTENT_FIELDS) <= set(sealed_columns())
    assert {"subject_ref", "subject_index", "data_key_id"}.isdisjoint(sealed_columns())


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


FIX = {"summary": "x", "correctionReason": "sender_error"}
UPDATE, CORRECT = "signal.update", "signal.correct"


@pytest.mark.parametrize(
    ("who", "body", "status", "code", "action"),
    [
        ("wijkteam", FIX, 403, "not_the_sender", CORRECT),
        ("stranger", FIX, 404, "signal_not_found", CORRECT),
        ("admin", FIX, 403, "insufficient_scope", UPDATE),
        ("kinderwerk", {"summary": "x"}, 422, "validation_failed", CORRECT),
        ("kinderwerk", {**FIX, "correctionReason": "because"}, 422, "validation_failed", UPDATE),
        ("kinderwerk", {"correctionReason": "sender_error"}, 422, "validation_failed", CORRECT),
        ("kinderwerk", {**FIX, "summary": None}, 422, "invalid_correction", CORRECT),
        ("kinderwerk", {"subject": None, **FIX}, 422, "validation_failed", CORRECT),
        ("kinderwerk", {"subject": {"bsn": "123456782"}, **FIX}, 422, "validation_failed", UPDATE),
        (
            "kinderwerk",
            {"subject": {"birthDate": "2099-01-01"}, "correctionReason": "outdated"},
            422,
            "invalid_correction",
            CORRECT,
        ),
        ("kinderwerk", {"status": "closed", **FIX}, 422, "validation_failed", CORRECT),
        ("kinderwerk", {**FIX, "summary": SUMMARY}, 409, "no_change", CORRECT),
        ("kinderwerk", {}, 422, "validation_failed", UPDATE),
    ],
)
def test_refused_corrections_change_nothing(
    world: World,
    runtime: Runtime,
    client: TestClient,
    who: str,
    body: dict[str, Any],
    status: int,
    code: str,
    action: str,
) -> None:
    signal_id = world.send()
    before = database_bytes(runtime, skip=BOOKKEEPING)
    refused = client.patch(f"/v1/signals/{signal_id}", json=body, headers=getattr(world, who))
    assert refused.status_code == status, refused.text
    assert refused.json()["code"] == code
    assert database_bytes(runtime, skip=BOOKKEEPING) == before
    assert stored(runtime, signal_id)["revision"] == 1
    assert outbox(runtime, "signal.corrected") == []
    (denied,) = [e for e in audit_events(runtime, resource_id=signal_id) if e["outcome"] != "allow"]
    assert denied["outcome"] == "deny"
    assert denied["action"] == action
    assert world.read(signal_id, world.wijkteam).json()["summary"] == SUMMARY


def test_an_erased_signal_is_not_corrected_restricted_or_objected_to(
    world: World, runtime: Runtime, client: TestClient
) -> None:
    signal_id = world.send()
    assert client.delete(f"/v1/signals/{signal_id}", headers=world.kinderwerk).status_code == 204
    # DELETE tells every recipient too (AVG art. 19).
    assert sorted(t["partner"] for t in outbox(runtime, "signal.erased")) == [SCHOOL, WIJKTEAM]
    gone = client.patch(
        f"/v1/signals/{signal_id}",
        json={"summary": CORRECTED, "correctionReason": "sender_error"},
        headers=world.kinderwerk,
    )
    assert gone.status_code == 410
    assert restrict(world, signal_id, "accuracy_contested", world.kinderwerk).status_code == 410
    objected = client.post(f"/v1/signals/{signal_id}/objection", headers=world.admin)
    assert objected.status_code == 410


def test_a_restricted_signal_makes_no_new_match(
    world: World, runtime: Runtime, client: TestClient
) -> None:
    first = world.send()
    assert restrict(world, first, "unlawful_processing_claimed", world.admin).status_code == 200
    world.send(category="veiligheid")
    assert outbox(runtime, "match.created") == []
    assert client.get("/v1/matches", headers=world.wijkteam).json()["items"] == []


def restrict(world: World, signal_id: str, reason: str, headers: dict[str, str]) -> Any:
    return world.client.post(
        f"/v1/signals/{signal_id}/restriction", json={"reason": reason}, headers=headers
    )


def test_a_restricted_signal_is_shown_to_nobody_but_its_sender(
    world: World, runtime: Runtime, client: TestClient
) -> None:
    first, second = world.send(), world.send(category="veiligheid")
    matches = client.get("/v1/matches", headers=world.wijkteam).json()["items"]
    assert len(matches) == 1 and len(matches[0]["signals"]) == 2

    restricted = restrict(world, first, "accuracy_contested", world.kinderwerk)
    assert restricted.status_code == 200, restricted.text
    assert restricted.json()["restriction"]["reason"] == "accuracy_contested"

    # Every recipient: 403 `restricted`, and not a word of the content.
    for headers in (world.wijkteam, world.school):
        refused = world.read(first, headers)
        assert refused.status_code == 403
        assert refused.json()["reasons"] == ["restricted"]
        assert refused.json()["code"] == "signal_restricted"
        assert SUMMARY not in refused.text and "Sam" not in refused.text
    # Nor does it move: a restricted signal is not handled.
    moved = client.patch(f"/v1/signals/{first}", json={"status": "closed"}, headers=world.wijkteam)
    assert moved.status_code == 403 and moved.json()["reasons"] == ["restricted"]
    # The sender still reads it, with its restriction.
    own = world.read(first, world.kinderwerk)
    assert own.status_code == 200 and own.json()["summary"] == SUMMARY
    assert own.json()["restriction"]["reason"] == "accuracy_contested"
    # Lists show it without content; it links to nothing, so the match is gone.
    listed = {s["id"]: s for s in client.get("/v1/signals", headers=world.wijkteam).json()["items"]}
    assert listed[first]["restriction"]["reason"] == "accuracy_contested"
    assert "summary" not in listed[first] and "restriction" not in listed[second]
    assert client.get("/v1/matches", headers=world.wijkteam).json()["items"] == []
    assert client.get("/v1/matches", headers=world.kinderwerk).json()["items"] == []
    assert world.read(second, world.wijkteam).json()["relatedSignals"] == []

    told = outbox(runtime, "signal.restricted")
    assert sorted(t["partner"] for t in told) == [SCHOOL, WIJKTEAM]
    assert told[0]["data"]["signalId"] == first
    (event,) = audit_events(runtime, action="signal.restrict")
    assert (
        event["outcome"] == "allow"
        and event["reason"] == "restricted:accuracy_contested;notified:2"
    )

    # Lifted (here by an administrator): all as before.
    lifted = client.delete(f"/v1/signals/{first}/restriction", headers=world.admin)
    assert lifted.status_code == 204
    assert world.read(first, world.wijkteam).json()["summary"] == SUMMARY
    assert "restriction" not in world.read(first, world.kinderwerk).json()
    assert len(client.get("/v1/matches", headers=world.wijkteam).json()["items"]) == 1
    assert sorted(t["partner"] for t in outbox(runtime, "signal.restriction_lifted")) == [
        SCHOOL,
        WIJKTEAM,
    ]
    (event,) = audit_events(runtime, action="signal.restriction_lift")
    assert event["role"] == "admin" and event["reason"] == "lifted:accuracy_contested;notified:2"
    with runtime.db.engine.connect() as conn:
        notices = conn.execute(
            text("SELECT type, partner_id FROM signal_notices ORDER BY type, partner_id")
        ).all()
    assert [tuple(n) for n in notices] == [
        ("signal.restricted", SCHOOL),
        ("signal.restricted", WIJKTEAM),
        ("signal.restriction_lifted", SCHOOL),
        ("signal.restriction_lifted", WIJKTEAM),
    ]


@pytest.mark.parametrize(
    ("who", "path", "method", "body", "status", "code"),
    [
        (
            "wijkteam",
            "restriction",
            "post",
            {"reason": "accuracy_contested"},
            403,
            "not_the_sender",
        ),
        ("stranger", "restriction", "post", {"reason": "accuracy_contested"}, 404, None),
        ("kinderwerk", "restriction", "post", {"reason": "because"}, 422, None),
        ("kinderwerk", "restriction", "post", {}, 422, None),
        ("kinderwerk", "restriction", "post", {"reason": "accuracy_contested", "x": 1}, 422, None),
        ("kinderwerk", "restriction", "delete", None, 409, "not_restricted"),
        ("wijkteam", "restriction", "delete", None, 403, "not_the_sender"),
        ("wijkteam", "objection", "post", {}, 403, "not_the_sender"),
        ("stranger", "objection", "post", {}, 404, None),
        ("kinderwerk", "objection", "post", {"reason": "because"}, 422, None),
        (
            "kinderwerk",
            "objection/decision",
            "post",
            {"decision": "upheld", "reason": "no_compelling_grounds"},
            409,
            "no_objection_pending",
        ),
        (
            "admin",
            "objection/decision",
            "post",
            {"decision": "rejected", "reason": "safety_of_child"},
            409,
            "no_objection_pending",
        ),
        ("kinderwerk", "objection/decision", "post", {"decision": "upheld"}, 422, None),
    ],
)
def test_refused_restrictions_and_objections_change_nothing(
    world: World,
    runtime: Runtime,
    client: TestClient,
    who: str,
    path: str,
    method: str,
    body: dict[str, Any] | None,
    status: int,
    code: str | None,
) -> None:
    signal_id = world.send()
    before = database_bytes(runtime, skip=BOOKKEEPING)
    refused = client.request(
        method.upper(), f"/v1/signals/{signal_id}/{path}", json=body, headers=getattr(world, who)
    )
    assert refused.status_code == status, refused.text
    if code is not None:
        assert refused.json()["code"] == code
    assert database_bytes(runtime, skip=BOOKKEEPING) == before
    assert world.read(signal_id, world.wijkteam).json()["summary"] == SUMMARY
    action = {
        ("restriction", "post"): "signal.restrict",
        ("restriction", "delete"): "signal.restriction_lift",
        ("objection", "post"): "signal.object",
        ("objection/decision", "post"): "signal.objection_decide",
    }[path, method]
    (denied,) = audit_events(runtime, action=action)
    assert denied["outcome"] == "deny" and denied["resource_id"] == signal_id


def test_twice_is_refused_and_changes_nothing(
    world: World, runtime: Runtime, client: TestClient
) -> None:
    signal_id = world.send()
    assert restrict(world, signal_id, "accuracy_contested", world.kinderwerk).status_code == 200
    before = database_bytes(runtime, skip=BOOKKEEPING)
    again = restrict(world, signal_id, "unlawful_processing_claimed", world.admin)
    assert again.status_code == 409 and again.json()["code"] == "already_restricted"
    assert database_bytes(runtime, skip=BOOKKEEPING) == before

    # An objection takes over the restriction; while it is pending it cannot be lifted.
    objected = client.post(f"/v1/signals/{signal_id}/objection", json={}, headers=world.kinderwerk)
    assert objected.status_code == 201 and objected.json()["status"] == "pending"
    assert "reason" not in objected.json()
    before = database_bytes(runtime, skip=BOOKKEEPING)
    twice = client.post(f"/v1/signals/{signal_id}/objection", json={}, headers=world.admin)
    assert twice.status_code == 409 and twice.json()["code"] == "objection_pending"
    lift = client.delete(f"/v1/signals/{signal_id}/restriction", headers=world.kinderwerk)
    assert lift.status_code == 409 and lift.json()["code"] == "objection_pending"
    wrong = client.post(
        f"/v1/signals/{signal_id}/objection/decision",
        json={"decision": "upheld", "reason": "safety_of_child"},
        headers=world.kinderwerk,
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_decision"
    assert database_bytes(runtime, skip=BOOKKEEPING) == before
    restriction = world.read(signal_id, world.kinderwerk).json()["restriction"]
    assert restriction["reason"] == "objection_pending"


def test_an_upheld_objection_erases_the_signal(
    world: World, runtime: Runtime, client: TestClient
) -> None:
    """The parent objects to the share with the school: restricted, upheld, erased."""
    signal_id = world.send()
    key_id = stored(runtime, signal_id)["data_key_id"]
    objected = client.post(
        f"/v1/signals/{signal_id}/objection",
        json={"reason": "disputes_recipient"},
        headers=world.kinderwerk,
    )
    assert objected.status_code == 201, objected.text
    assert objected.json()["reason"] == "disputes_recipient"
    for headers in (world.wijkteam, world.school):
        refused = world.read(signal_id, headers)
        assert refused.status_code == 403 and refused.json()["reasons"] == ["restricted"]
    own = world.read(signal_id, world.kinderwerk).json()
    assert own["restriction"]["reason"] == "objection_pending"
    assert own["objection"]["status"] == "pending"

    upheld = client.post(
        f"/v1/signals/{signal_id}/objection/decision",
        json={"decision": "upheld", "reason": "no_compelling_grounds"},
        headers=world.kinderwerk,
    )
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["status"] == "upheld"
    assert upheld.json()["decisionReason"] == "no_compelling_grounds"

    # Erased exactly as DELETE erases: a tombstone, no content, no data key, 410 for everyone.
    for headers in (world.kinderwerk, world.wijkteam, world.school):
        assert world.read(signal_id, headers).status_code == 410
    tombstone = stored(runtime, signal_id)
    assert tombstone["erased_at"] is not None and tombstone["erase_reason"] == "objection"
    assert all(tombstone[f] is None for f in ("subject", "summary", "details", "contact"))
    assert tombstone["data_key_id"] is None
    assert key_id.encode() not in database_bytes(runtime)
    assert sorted(t["partner"] for t in outbox(runtime, "signal.erased")) == [SCHOOL, WIJKTEAM]
    again = client.post(
        f"/v1/signals/{signal_id}/objection/decision",
        json={"decision": "rejected", "reason": "safety_of_child"},
        headers=world.kinderwerk,
    )
    assert again.status_code == 410

    actions = {
        (e["action"], e["reason"])
        for e in audit_events(runtime, resource_id=signal_id)
        if e["outcome"] == "allow"
    }
    assert {
        ("signal.object", "objection:disputes_recipient"),
        ("signal.restrict", "restricted:objection_pending;notified:2"),
        ("signal.objection_decide", "upheld:no_compelling_grounds"),
        ("signal.erase", "objection"),
    } <= actions


def test_a_rejected_objection_lifts_the_restriction(
    world: World, runtime: Runtime, client: TestClient
) -> None:
    signal_id = world.send()
    assert (
        client.post(f"/v1/signals/{signal_id}/objection", json={}, headers=world.admin).status_code
        == 201
    )
    assert world.read(signal_id, world.wijkteam).status_code == 403
    rejected = client.post(
        f"/v1/signals/{signal_id}/objection/decision",
        json={"decision": "rejected", "reason": "safety_of_child"},
        headers=world.admin,
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected" and rejected.json()["decidedBy"] == "gemeente"
    assert world.read(signal_id, world.wijkteam).json()["summary"] == SUMMARY
    own = world.read(signal_id, world.kinderwerk).json()
    assert "restriction" not in own
    assert own["objection"]["status"] == "rejected"
    assert own["objection"]["decisionReason"] == "safety_of_child"
    assert sorted(t["partner"] for t in outbox(runtime, "signal.restriction_lifted")) == [
        SCHOOL,
        WIJKTEAM,
    ]
    (decided,) = audit_events(runtime, action="signal.objection_decide")
    assert decided["reason"] == "rejected:safety_of_child" and decided["role"] == "admin"
    # Decided once: a second decision finds nothing pending.
    twice = client.post(
        f"/v1/signals/{signal_id}/objection/decision",
        json={"decision": "upheld", "reason": "no_compelling_grounds"},
        headers=world.admin,
    )
    assert twice.status_code == 409 and twice.json()["code"] == "no_objection_pending"
    assert world.read(signal_id, world.wijkteam).status_code == 200


def test_concurrent_steps_on_one_signal_serialise(
    world: World, runtime: Runtime, client: TestClient
) -> None:
    signal_id = world.send()

    def fix(n: int) -> int:
        body = {"summary": f"{CORRECTED} ({n})", "correctionReason": "sender_error"}
        answer = client.patch(f"/v1/signals/{signal_id}", json=body, headers=world.kinderwerk)
        return answer.status_code

    with ThreadPoolExecutor(4) as pool:
        assert sorted(pool.map(fix, range(4))) == [200] * 4
    assert stored(runtime, signal_id)["revision"] == 5
    with runtime.db.engine.connect() as conn:
        # One data key for the one signal: no correction left an old or an orphaned one.
        assert conn.execute(text("SELECT count(*) FROM data_keys")).scalar() == 1
        revisions = conn.execute(text("SELECT revision FROM signal_revisions")).scalars()
        assert sorted(revisions) == [2, 3, 4, 5]

    def objecting(headers: dict[str, str]) -> int:
        return client.post(f"/v1/signals/{signal_id}/objection", headers=headers).status_code

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(objecting, [world.kinderwerk, world.admin])) == [201, 409]
