"""The duty to inform through HTTP: recorded at sending and later by the sender, checked against
the child's age, audited and searchable by state, and a reminder when a postponement ends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from core.clock import FrozenClock
from policies.dates import local_date
from tests.api.test_signals import BSN, Tokens, send, signal_body
from tests.factories import (
    Neighbourhood,
    audit_events,
    audit_ref,
    bearer,
    make_client,
    make_neighbourhood,
    token,
)
from wijkdeel.runtime import Runtime
from wijkdeel.worker import remind_informing

NOW_ISO = "2026-01-05T10:00:00Z"


@pytest.fixture
def world(client: TestClient, admin_token: str) -> Neighbourhood:
    return make_neighbourhood(client, admin_token)


@pytest.fixture
def tokens(client: TestClient, world: Neighbourhood) -> Tokens:
    return Tokens(client, world)


def born(years: int, clock: FrozenClock, *, days: int = 0) -> str:
    """A birth date that makes the child `years` old today (plus `days` days)."""
    today = local_date(clock())
    try:
        birthday = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        birthday = today.replace(year=today.year - years, day=28)
    return (birthday - timedelta(days=days)).isoformat()


def subject(birth_date: str | None) -> dict[str, Any]:
    return {"bsn": BSN, "name": "Sam de Vries", "birthDate": birth_date}


def informed(*parties: str, at: str | None = None) -> dict[str, Any]:
    return {"status": "informed", "parties": list(parties), "at": at or NOW_ISO, "method": "phone"}


def tomorrow(clock: FrozenClock, days: int = 1) -> str:
    return (local_date(clock()) + timedelta(days=days)).isoformat()


def signal_count(runtime: Runtime) -> int:
    with runtime.db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM signals")).scalar() or 0)


def read(client: TestClient, headers: dict[str, str], signal_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/signals/{signal_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_signal_is_pending_unless_told_otherwise(
    client: TestClient, tokens: Tokens, runtime: Runtime
) -> None:
    created = send(client, tokens.kinderwerk)
    assert read(client, tokens.kinderwerk, created["id"])["informing"]["status"] == "pending"
    [event] = audit_events(runtime, action="signal.informing")
    assert event["reason"] == "informing:pending" and event["resource_id"] == created["id"]
    assert event["subject_ref"] == audit_ref(runtime, BSN)


def test_informed_at_sending_is_shown_to_sender_and_recipient(
    client: TestClient, tokens: Tokens, clock: FrozenClock
) -> None:
    at = (clock() - timedelta(hours=2)).isoformat()
    created = send(
        client,
        tokens.kinderwerk,
        subject=subject(born(9, clock)),
        informing=informed("guardian", at=at),
    )
    for headers in (tokens.kinderwerk, tokens.wijkteam):
        shown = read(client, headers, created["id"])["informing"]
        assert shown["status"] == "informed" and shown["parties"] == ["guardian"]
        assert shown["method"] == "phone" and shown["at"].startswith(at[:16])
        assert "recordedAt" in shown and "reason" not in shown


@pytest.mark.parametrize(
    ("age", "parties", "word"),
    [
        (9, ["child"], "guardian_required"),
        (12, ["guardian"], "child_required"),
        (15, ["child"], "guardian_required"),
        (16, ["guardian", "child"], "guardian_not_allowed"),
        (17, ["guardian"], "child_required"),
    ],
)
def test_the_age_rules_refuse_with_their_word(
    client: TestClient,
    tokens: Tokens,
    runtime: Runtime,
    clock: FrozenClock,
    age: int,
    parties: list[str],
    word: str,
) -> None:
    at = clock().isoformat()
    body = signal_body(subject=subject(born(age, clock)), informing=informed(*parties, at=at))
    refused = client.post("/v1/signals", json=body, headers=tokens.kinderwerk)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == word
    assert word in [p["code"] for p in problem["invalidParams"]]
    assert problem["invalidParams"][0]["name"] == "informing.parties"
    assert BSN not in refused.text
    assert signal_count(runtime) == 0
    assert audit_events(runtime, action="signal.create")[-1]["outcome"] == "deny"


@pytest.mark.parametrize(
    ("age", "parties"),
    [(9, ["guardian"]), (9, ["guardian", "child"]), (12, ["guardian", "child"]), (16, ["child"])],
)
def test_the_age_rules_accept_who_must_be_told(
    client: TestClient, tokens: Tokens, clock: FrozenClock, age: int, parties: list[str]
) -> None:
    at = clock().isoformat()
    send(
        client,
        tokens.kinderwerk,
        subject=subject(born(age, clock)),
        informing=informed(*parties, at=at),
    )


def test_the_age_counts_on_the_day_of_informing(
    client: TestClient, tokens: Tokens, clock: FrozenClock
) -> None:
    # 12 today, so 11 yesterday: the guardians told yesterday were all who had to be told.
    birth = subject(born(12, clock))
    yesterday = (clock() - timedelta(days=1)).isoformat()
    send(client, tokens.kinderwerk, subject=birth, informing=informed("guardian", at=yesterday))
    today = signal_body(subject=birth, informing=informed("guardian", at=clock().isoformat()))
    refused = client.post("/v1/signals", json=today, headers=tokens.kinderwerk)
    assert refused.status_code == 422 and refused.json()["code"] == "child_required"


@pytest.mark.parametrize(
    ("informing", "name"),
    [
        ({"status": "postponed", "until": "2099-01-01"}, "reason"),
        ({"status": "postponed", "reason": "safety_of_child"}, "until"),
        ({"status": "postponed", "reason": "bored", "until": "2099-01-01"}, "reason"),
        ({"status": "informed", "parties": [], "at": NOW_ISO, "method": "phone"}, "parties"),
        ({"status": "informed", "parties": ["guardian"], "method": "phone"}, "at"),
        (
            {"status": "informed", "parties": ["guardian"], "at": NOW_ISO, "method": "pigeon"},
            "method",
        ),
        (
            {
                "status": "informed",
                "parties": ["guardian", "guardian"],
                "at": NOW_ISO,
                "method": "phone",
            },
            "parties",
        ),
        (
            {
                "status": "informed",
                "parties": ["guardian"],
                "at": "2026-01-05T10:00:00",
                "method": "phone",
            },
            "at",
        ),
        ({"status": "forgotten"}, "status"),
    ],
)
def test_malformed_informing_is_422(
    client: TestClient, tokens: Tokens, runtime: Runtime, informing: dict[str, Any], name: str
) -> None:
    refused = client.post(
        "/v1/signals", json=signal_body(informing=informing), headers=tokens.kinderwerk
    )
    assert refused.status_code == 422, refused.text
    assert any(name in p["name"] for p in refused.json()["invalidParams"]), refused.text
    assert signal_count(runtime) == 0


@pytest.mark.parametrize(
    ("days", "word"),
    [(0, "until_not_after_today"), (-3, "until_not_after_today"), (366, "until_too_far")],
)
def test_a_postponement_ends_after_today_within_a_year(
    client: TestClient, tokens: Tokens, clock: FrozenClock, runtime: Runtime, days: int, word: str
) -> None:
    informing = {"status": "postponed", "reason": "not_reachable", "until": tomorrow(clock, days)}
    refused = client.post(
        "/v1/signals", json=signal_body(informing=informing), headers=tokens.kinderwerk
    )
    assert refused.status_code == 422 and refused.json()["code"] == word
    assert signal_count(runtime) == 0


def test_informed_in_the_future_or_without_birth_date_is_refused(
    client: TestClient, tokens: Tokens, clock: FrozenClock
) -> None:
    later = (clock() + timedelta(hours=1)).isoformat()
    ahead = client.post(
        "/v1/signals",
        json=signal_body(informing=informed("guardian", at=later)),
        headers=tokens.kinderwerk,
    )
    assert ahead.status_code == 422 and ahead.json()["code"] == "at_in_future"
    unknown = client.post(
        "/v1/signals",
        json=signal_body(
            subject={"bsn": BSN}, informing=informed("guardian", at=clock().isoformat())
        ),
        headers=tokens.kinderwerk,
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "birth_date_required"


def patch(client: TestClient, headers: dict[str, str], signal_id: str, body: dict[str, Any]) -> Any:
    return client.patch(f"/v1/signals/{signal_id}", json=body, headers=headers)


def test_the_sender_records_informing_later(
    client: TestClient, tokens: Tokens, clock: FrozenClock, runtime: Runtime
) -> None:
    created = send(client, tokens.kinderwerk, subject=subject(born(13, clock)))
    postponed = {"status": "postponed", "reason": "safety_of_child", "until": tomorrow(clock, 14)}
    answer = patch(client, tokens.kinderwerk, created["id"], {"informing": postponed})
    assert answer.status_code == 200, answer.text
    shown = read(client, tokens.wijkteam, created["id"])["informing"]
    assert shown["status"] == "postponed" and shown["reason"] == "safety_of_child"
    assert shown["until"] == postponed["until"]

    # Who must be told is checked against the birth date the signal holds.
    at = clock().isoformat()
    half = patch(
        client, tokens.kinderwerk, created["id"], {"informing": informed("guardian", at=at)}
    )
    assert half.status_code == 422 and half.json()["code"] == "child_required"
    assert read(client, tokens.kinderwerk, created["id"])["informing"]["status"] == "postponed"

    done = patch(
        client,
        tokens.kinderwerk,
        created["id"],
        {"informing": informed("guardian", "child", at=at)},
    )
    assert done.status_code == 200
    assert read(client, tokens.kinderwerk, created["id"])["informing"]["parties"] == [
        "guardian",
        "child",
    ]

    # Once informed it stays so.
    back = patch(client, tokens.kinderwerk, created["id"], {"informing": {"status": "pending"}})
    assert back.status_code == 409 and back.json()["code"] == "informing_backwards"

    updates = audit_events(runtime, action="signal.update")
    assert [(e["outcome"], e["reason"]) for e in updates] == [
        ("allow", "informing:postponed"),
        ("deny", "child_required"),
        ("allow", "informing:informed"),
        ("deny", "informing_backwards"),
    ]
    states = [e["reason"] for e in audit_events(runtime, action="signal.informing")]
    assert states == ["informing:pending", "informing:postponed", "informing:informed"]


def test_only_the_sender_records_informing(
    client: TestClient, tokens: Tokens, clock: FrozenClock
) -> None:
    created = send(client, tokens.kinderwerk)
    body = {"informing": informed("guardian", at=clock().isoformat())}
    recipient = patch(client, tokens.wijkteam, created["id"], body)
    assert recipient.status_code == 403 and recipient.json()["code"] == "not_the_sender"
    assert patch(client, tokens.school, created["id"], body).status_code == 404
    assert read(client, tokens.kinderwerk, created["id"])["informing"]["status"] == "pending"


def test_the_handling_status_still_moves_and_a_patch_needs_something(
    client: TestClient, tokens: Tokens
) -> None:
    created = send(client, tokens.kinderwerk)
    moved = patch(client, tokens.wijkteam, created["id"], {"status": "acknowledged"})
    assert moved.status_code == 200 and moved.json()["status"] == "acknowledged"
    assert patch(client, tokens.wijkteam, created["id"], {}).status_code == 422


def test_an_erased_signal_records_nothing(
    client: TestClient, tokens: Tokens, clock: FrozenClock, runtime: Runtime
) -> None:
    created = send(
        client,
        tokens.kinderwerk,
        informing={"status": "postponed", "reason": "not_reachable", "until": tomorrow(clock)},
    )
    assert (
        client.delete(f"/v1/signals/{created['id']}", headers=tokens.kinderwerk).status_code == 204
    )
    gone = patch(client, tokens.kinderwerk, created["id"], {"informing": {"status": "pending"}})
    assert gone.status_code == 410
    with runtime.db.engine.connect() as conn:
        row = conn.execute(text("SELECT informing, informing_due_at FROM signals")).one()
    assert row == (None, None)


def _outbox(runtime: Runtime, kind: str) -> list[dict[str, Any]]:
    with runtime.db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT partner_id, body FROM outbox_events WHERE type = :t ORDER BY id"),
            {"t": kind},
        ).all()
    return [{"partner": partner, **orjson.loads(body)} for partner, body in rows]


def test_the_sender_is_reminded_once_when_a_postponement_ends(
    client: TestClient, tokens: Tokens, clock: FrozenClock, runtime: Runtime
) -> None:
    until = tomorrow(clock, 2)
    created = send(
        client,
        tokens.kinderwerk,
        informing={"status": "postponed", "reason": "safety_of_child", "until": until},
    )
    assert remind_informing(runtime) == 0
    clock.advance(days=1)
    assert remind_informing(runtime) == 0
    clock.advance(days=2)
    assert remind_informing(runtime) == 1
    assert remind_informing(runtime) == 0

    [due] = _outbox(runtime, "signal.informing_due")
    assert due["partner"] == "kinderwerk-noord"
    assert due["data"] == {"signalId": created["id"], "purpose": "signalering"}
    [event] = audit_events(runtime, action="signal.informing_due")
    assert event["role"] == "system" and event["resource_id"] == created["id"]
    assert event["partner"] == "kinderwerk-noord"


def test_auditors_find_events_by_informing_state(
    client: TestClient, tokens: Tokens, clock: FrozenClock, admin_token: str
) -> None:
    pending = send(client, tokens.kinderwerk)
    later = send(
        client,
        tokens.kinderwerk,
        informing={"status": "postponed", "reason": "not_reachable", "until": tomorrow(clock, 7)},
    )
    auditor = bearer(
        token(client, make_client(client, admin_token, partner="gemeente", role="auditor"))
    )

    def found(state: str) -> list[dict[str, Any]]:
        response = client.get("/v1/audit/events", params={"informing": state}, headers=auditor)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    postponed = found("postponed")
    assert [(e["action"], e["resourceId"]) for e in postponed] == [
        ("signal.informing", later["id"])
    ]
    assert {e["resourceId"] for e in found("pending")} == {pending["id"]}
    assert found("informed") == []


def test_informing_filter_refuses_junk(client: TestClient, admin_token: str) -> None:
    auditor = bearer(
        token(client, make_client(client, admin_token, partner="gemeente", role="auditor"))
    )
    response = client.get("/v1/audit/events", params={"informing": "maybe"}, headers=auditor)
    assert response.status_code in (400, 422)
