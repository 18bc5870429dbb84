"""Matches as shared work, through HTTP: issue 14's story (a wijkteam and a school signal about
Sam, the agreement makes the wijkteam coordinator, it hands over to the school) and every way a
coordination step is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from core.clock import FrozenClock
from tests.api.test_signals import BSN, signal_body
from tests.factories import (
    Neighbourhood,
    audit_events,
    bearer,
    example_agreement,
    make_agreement,
    make_neighbourhood,
    partner_ref,
    token,
)
from wijkdeel.runtime import Runtime

SCHOOL, WIJKTEAM, KINDERWERK = "obs-de-linde", "wijkteam-noord", "kinderwerk-noord"


def zorgoverleg(*, exchange: bool = True, coordinator: str | None = "kind:wijkteam") -> dict:
    """An agreement between the wijkteam and the school to coordinate support around a child."""
    rule = {
        "purposes": ["zorgoverleg"],
        "categories": ["opvoeding"],
        "fields": ["subject", "summary", "details", "contact"],
        "legalBasis": "public_task",
        "requiresConsent": False,
        "retentionDays": 365,
    }
    return {
        "id": "convenant-zorgoverleg",
        "title": "Zorgoverleg rond een kind",
        "parties": [WIJKTEAM, SCHOOL, KINDERWERK],
        "purposes": {"zorgoverleg": "Ondersteuning rond een kind samen afstemmen"},
        "rules": [
            {**rule, "sender": WIJKTEAM, "recipient": "kind:school", "exchangeContact": exchange},
            {**rule, "sender": SCHOOL, "recipient": WIJKTEAM},
            {**rule, "sender": KINDERWERK, "recipient": WIJKTEAM},
        ],
        "coordination": [{"purposes": ["zorgoverleg"], "coordinator": coordinator}]
        if coordinator
        else [],
    }


class Parties:
    def __init__(self, client: TestClient, world: Neighbourhood) -> None:
        self.wijkteam = bearer(token(client, world.wijkteam, purpose="zorgoverleg"))
        self.school = bearer(token(client, world.school, purpose="zorgoverleg"))
        self.kinderwerk = bearer(token(client, world.kinderwerk, purpose="zorgoverleg"))
        self.admin = bearer(world.admin_token)


def setting(client: TestClient, admin_token: str, **agreement: Any) -> Parties:
    world = make_neighbourhood(client, admin_token)
    make_agreement(client, admin_token, **zorgoverleg(**agreement))
    return Parties(client, world)


@pytest.fixture
def parties(client: TestClient, admin_token: str) -> Parties:
    return setting(client, admin_token)


def send(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post("/v1/signals", json=signal_body(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def both_signal(client: TestClient, parties: Parties) -> tuple[str, list[str]]:
    """The wijkteam and the school each signal about Sam; the match's id and the signals."""
    first = send(client, parties.wijkteam)
    second = send(client, parties.school)
    listed = client.get("/v1/matches", headers=parties.wijkteam).json()["items"]
    assert len(listed) == 1
    return listed[0]["id"], [first["id"], second["id"]]


def coordinate(
    client: TestClient, headers: dict[str, str], match: str, action: str, to: str | None = None
) -> Any:
    body = {"action": action, **({"to": to} if to else {})}
    return client.post(f"/v1/matches/{match}/coordination", json=body, headers=headers)


def outbox(runtime: Runtime, type: str) -> list[tuple[str, dict[str, Any]]]:
    with runtime.db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT partner_id, body FROM outbox_events WHERE type = :t ORDER BY id"),
            {"t": type},
        ).all()
    return [(row[0], json.loads(row[1])["data"]) for row in rows]


def history(runtime: Runtime, match: str) -> list[tuple[str, str | None, str | None]]:
    with runtime.db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action, partner, by_partner FROM match_coordination"
                " WHERE match_id = :m ORDER BY seq"
            ),
            {"m": match},
        ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def test_the_story_of_sam(client: TestClient, parties: Parties, runtime: Runtime) -> None:
    match, signals = both_signal(client, parties)

    # The school sees the match: Sam under its own pseudonym, both signals, who coordinates.
    seen = client.get(f"/v1/matches/{match}", headers=parties.school)
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["subjectRef"] == partner_ref(runtime, SCHOOL, BSN)
    assert sorted(s["id"] for s in body["signals"]) == sorted(signals)
    assert body["coordinator"]["partner"] == WIJKTEAM and body["status"] == "open"
    assert [p["partner"] for p in body["partners"]] == [SCHOOL, WIJKTEAM]
    assert "handover" not in body["coordinator"]

    # Both were told of the match and of the coordinator, by ids only.
    assert sorted(p for p, _ in outbox(runtime, "match.created")) == [SCHOOL, WIJKTEAM]
    assigned = outbox(runtime, "match.coordinator_assigned")
    assert sorted(p for p, _ in assigned) == [SCHOOL, WIJKTEAM]
    assert all(data == {"matchId": match, "coordinator": WIJKTEAM} for _, data in assigned)

    # The wijkteam hands over to the school, which accepts.
    proposed = coordinate(client, parties.wijkteam, match, "handover", SCHOOL)
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["coordinator"]["partner"] == WIJKTEAM
    assert proposed.json()["coordinator"]["handover"]["to"] == SCHOOL
    requested = outbox(runtime, "match.handover_requested")
    assert sorted(p for p, _ in requested) == [SCHOOL, WIJKTEAM]
    assert requested[0][1] == {"matchId": match, "coordinator": WIJKTEAM, "to": SCHOOL}
    pending = client.get(f"/v1/matches/{match}", headers=parties.school).json()
    assert pending["coordinator"]["handover"]["to"] == SCHOOL

    accepted = coordinate(client, parties.school, match, "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["coordinator"]["partner"] == SCHOOL
    assert "handover" not in accepted.json()["coordinator"]
    after = client.get(f"/v1/matches/{match}", headers=parties.wijkteam).json()
    assert after["coordinator"]["partner"] == SCHOOL
    coordinators = [
        data["coordinator"] for _, data in outbox(runtime, "match.coordinator_assigned")
    ]
    assert sorted(coordinators) == [SCHOOL, SCHOOL, WIJKTEAM, WIJKTEAM]

    # The history keeps every step; the audit log has each, under the partner that took it.
    assert history(runtime, match) == [
        ("rule", WIJKTEAM, None),
        ("handover", SCHOOL, WIJKTEAM),
        ("accept", SCHOOL, SCHOOL),
    ]
    steps = audit_events(runtime, action="match.coordinate")
    assert [(e["partner"], e["reason"], e["outcome"]) for e in steps] == [
        (SCHOOL, f"rule:{WIJKTEAM}", "allow"),
        (WIJKTEAM, f"handover:{SCHOOL}", "allow"),
        (SCHOOL, "accept", "allow"),
    ]
    assert all(e["resource_id"] == match for e in steps)
    assert steps[0]["agreement_id"] == "convenant-zorgoverleg"
    reads = audit_events(runtime, action="match.read")
    assert reads and all(e["resource_id"] == match and e["subject_ref"] for e in reads)
    dumped = repr(outbox(runtime, "match.handover_requested") + assigned)
    assert BSN not in dumped and "Sam" not in dumped


def test_refusals_change_nothing(client: TestClient, parties: Parties, runtime: Runtime) -> None:
    match, _ = both_signal(client, parties)
    before = history(runtime, match)

    # A partner that is not involved learns nothing of the match.
    assert client.get(f"/v1/matches/{match}", headers=parties.kinderwerk).status_code == 404
    assert coordinate(client, parties.kinderwerk, match, "take").status_code == 404
    assert client.get("/v1/matches/no-such-match", headers=parties.school).status_code == 404

    # Only the coordinator hands over, and only to a partner involved in the match.
    refused = coordinate(client, parties.school, match, "handover", WIJKTEAM)
    assert refused.status_code == 403 and refused.json()["code"] == "not_coordinator"
    for to in (KINDERWERK, "nobody-here"):
        stranger = coordinate(client, parties.wijkteam, match, "handover", to)
        assert stranger.status_code == 422 and stranger.json()["code"] == "not_involved"
        assert stranger.json()["invalidParams"][0]["name"] == "to"
    itself = coordinate(client, parties.wijkteam, match, "handover", WIJKTEAM)
    assert itself.status_code == 422 and itself.json()["code"] == "handover_to_self"
    assert coordinate(client, parties.wijkteam, match, "handover").status_code == 422

    # Regie is held: nobody takes it; nothing to accept; a partner does not assign.
    taken = coordinate(client, parties.school, match, "take")
    assert taken.status_code == 409 and taken.json()["code"] == "coordinator_exists"
    nothing = coordinate(client, parties.school, match, "accept")
    assert nothing.status_code == 409 and nothing.json()["code"] == "no_handover"
    assign = coordinate(client, parties.school, match, "assign", SCHOOL)
    assert assign.status_code == 403 and assign.json()["code"] == "admin_required"

    # Junk.
    assert coordinate(client, parties.wijkteam, match, "steal").status_code == 422
    assert coordinate(client, parties.wijkteam, match, "handover", "Not A Slug").status_code == 422
    assert (
        client.post(
            f"/v1/matches/{match}/coordination",
            json={"action": "take", "extra": 1},
            headers=parties.school,
        ).status_code
        == 422
    )
    assert (
        client.post(f"/v1/matches/{match}/coordination", json={"action": "take"}).status_code == 401
    )

    assert history(runtime, match) == before
    denied = audit_events(runtime, action="match.coordinate", outcome="deny")
    assert {e["reason"] for e in denied} >= {
        "not_coordinator",
        "not_involved",
        "coordinator_exists",
        "admin_required",
        "match_not_found",
    }


def test_a_declined_handover_leaves_regie_where_it_was(
    client: TestClient, parties: Parties, runtime: Runtime
) -> None:
    match, _ = both_signal(client, parties)
    assert coordinate(client, parties.wijkteam, match, "handover", SCHOOL).status_code == 200
    # Only the partner it is proposed to answers it.
    other = coordinate(client, parties.wijkteam, match, "accept")
    assert other.status_code == 403 and other.json()["code"] == "not_handover_recipient"
    declined = coordinate(client, parties.school, match, "decline")
    assert declined.status_code == 200
    assert declined.json()["coordinator"] == {
        "partner": WIJKTEAM,
        "since": declined.json()["coordinator"]["since"],
    }
    assert coordinate(client, parties.school, match, "accept").json()["code"] == "no_handover"
    assert [step for step, _, _ in history(runtime, match)] == ["rule", "handover", "decline"]


def test_an_administrator_assigns_regie_to_an_involved_partner(
    client: TestClient, parties: Parties, runtime: Runtime
) -> None:
    match, _ = both_signal(client, parties)
    stranger = coordinate(client, parties.admin, match, "assign", KINDERWERK)
    assert stranger.status_code == 422 and stranger.json()["code"] == "not_involved"
    assert coordinate(client, parties.admin, match, "assign").status_code == 422
    assert coordinate(client, parties.admin, "no-such-match", "assign", SCHOOL).status_code == 404
    assigned = coordinate(client, parties.admin, match, "assign", SCHOOL)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["coordinator"]["partner"] == SCHOOL
    assert history(runtime, match)[-1] == ("assign", SCHOOL, "gemeente")
    # An administrator does not see the match itself: it is not involved.
    assert client.get(f"/v1/matches/{match}", headers=parties.admin).status_code == 403


def test_without_a_rule_an_involved_partner_takes_regie(
    client: TestClient, admin_token: str, runtime: Runtime
) -> None:
    parties = setting(client, admin_token, coordinator=None)
    match, _ = both_signal(client, parties)
    assert client.get(f"/v1/matches/{match}", headers=parties.school).json()["coordinator"] is None
    assert outbox(runtime, "match.coordinator_assigned") == []
    taken = coordinate(client, parties.school, match, "take")
    assert taken.status_code == 200 and taken.json()["coordinator"]["partner"] == SCHOOL
    again = coordinate(client, parties.wijkteam, match, "take")
    assert again.status_code == 409 and again.json()["code"] == "coordinator_exists"
    mine = coordinate(client, parties.school, match, "take")
    assert mine.status_code == 409 and mine.json()["code"] == "already_coordinator"


def test_a_match_nobody_coordinates_is_raised_with_the_municipality_once(
    client: TestClient, admin_token: str, runtime: Runtime, clock: FrozenClock
) -> None:
    from wijkdeel.worker import raise_all_unassigned

    parties = setting(client, admin_token, coordinator=None)
    match, _ = both_signal(client, parties)
    days = runtime.settings.match_unassigned_days
    clock.advance(days=days - 1)
    assert raise_all_unassigned(runtime) == 0
    clock.advance(days=1, seconds=1)
    assert raise_all_unassigned(runtime) == 1
    assert raise_all_unassigned(runtime) == 0
    raised = outbox(runtime, "match.unassigned")
    assert [(p, d["matchId"], d["partners"]) for p, d in raised] == [
        ("gemeente", match, [SCHOOL, WIJKTEAM])
    ]
    assert history(runtime, match)[-1] == ("unassigned", None, None)
    assert [e["resource_id"] for e in audit_events(runtime, action="match.unassigned")] == [match]


def test_a_match_with_a_coordinator_is_not_raised(
    client: TestClient, parties: Parties, runtime: Runtime, clock: FrozenClock
) -> None:
    from wijkdeel.worker import raise_all_unassigned

    both_signal(client, parties)
    clock.advance(days=runtime.settings.match_unassigned_days + 1)
    assert raise_all_unassigned(runtime) == 0


def test_a_match_ends_when_its_signals_are_closed_or_erased(
    client: TestClient, parties: Parties, runtime: Runtime
) -> None:
    match, (first, second) = both_signal(client, parties)
    for signal, recipient in ((first, parties.school), (second, parties.wijkteam)):
        closed = client.patch(f"/v1/signals/{signal}", json={"status": "closed"}, headers=recipient)
        assert closed.status_code == 200, closed.text
    ended = client.get(f"/v1/matches/{match}", headers=parties.school).json()
    assert ended["status"] == "ended"
    late = coordinate(client, parties.wijkteam, match, "handover", SCHOOL)
    assert late.status_code == 409 and late.json()["code"] == "match_ended"

    # A new signal about Sam opens it again: the agreement names the coordinator anew.
    send(client, parties.school)
    opened = client.get(f"/v1/matches/{match}", headers=parties.school).json()
    assert opened["status"] == "open" and opened["coordinator"]["partner"] == WIJKTEAM
    assert [step for step, _, _ in history(runtime, match)] == ["rule", "ended", "reopened", "rule"]


def test_erasing_ends_the_match(client: TestClient, parties: Parties, runtime: Runtime) -> None:
    match, (first, second) = both_signal(client, parties)
    assert client.delete(f"/v1/signals/{first}", headers=parties.wijkteam).status_code == 204
    assert client.delete(f"/v1/signals/{second}", headers=parties.school).status_code == 204
    assert client.get(f"/v1/matches/{match}", headers=parties.school).status_code == 404
    with runtime.db.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM matches")).scalar() == "ended"


def test_partners_see_only_whom_they_know_and_no_professional_without_a_rule(
    client: TestClient, admin_token: str, runtime: Runtime
) -> None:
    parties = setting(client, admin_token, exchange=False)
    match, _ = both_signal(client, parties)
    # Kinderwerk signals the wijkteam too: the wijkteam knows it, the school does not.
    send(client, parties.kinderwerk)
    send(client, parties.kinderwerk)
    wijkteam = client.get(f"/v1/matches/{match}", headers=parties.wijkteam).json()
    assert [p["partner"] for p in wijkteam["partners"]] == [KINDERWERK, SCHOOL, WIJKTEAM]
    assert len(wijkteam["signals"]) == 4
    school = client.get(f"/v1/matches/{match}", headers=parties.school).json()
    assert [p["partner"] for p in school["partners"]] == [SCHOOL, WIJKTEAM]
    assert len(school["signals"]) == 2
    # No rule lets these partners exchange contact: nobody sees another's professional.
    for seen in (wijkteam, school):
        assert all("professional" not in p for p in seen["partners"] if p["partner"] != SCHOOL)
    assert sorted(p for p, _ in outbox(runtime, "match.created")) == [KINDERWERK, SCHOOL, WIJKTEAM]
    # Kinderwerk joined the match; a handover to it is now possible.
    assert coordinate(client, parties.wijkteam, match, "handover", KINDERWERK).status_code == 200


def test_the_list_pages_and_keeps_one_event_per_page(
    client: TestClient, parties: Parties, runtime: Runtime
) -> None:
    both_signal(client, parties)
    send(client, parties.wijkteam, subject={"bsn": "123456782", "name": "Lotte"})
    send(client, parties.school, subject={"bsn": "123456782", "name": "Lotte"})
    first = client.get("/v1/matches", params={"limit": 1}, headers=parties.school).json()
    assert len(first["items"]) == 1 and first["nextCursor"]
    rest = client.get(
        "/v1/matches", params={"limit": 1, "cursor": first["nextCursor"]}, headers=parties.school
    ).json()
    assert len(rest["items"]) == 1 and rest["items"][0]["id"] != first["items"][0]["id"]
    assert all(
        item["coordinator"]["partner"] == WIJKTEAM for item in first["items"] + rest["items"]
    )
    pages = audit_events(runtime, action="match.list", partner=SCHOOL)
    assert [e["reason"] for e in pages] == ["items:1", "items:1"]


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        (
            {"purposes": ["zorgoverleg"], "coordinator": "nobody-here"},
            "coordination[0].coordinator",
        ),
        (
            {"purposes": ["zorgoverleg"], "coordinator": "kind:politie"},
            "coordination[0].coordinator",
        ),
        ({"purposes": ["elders"], "coordinator": WIJKTEAM}, "coordination[0].purposes[0]"),
        ({"purposes": [], "coordinator": WIJKTEAM}, "coordination[0].purposes"),
    ],
)
def test_a_coordination_entry_must_name_a_party_and_a_purpose(
    client: TestClient, admin_token: str, entry: dict, path: str
) -> None:
    make_neighbourhood(client, admin_token)
    document = example_agreement(**{**zorgoverleg(), "coordination": [entry]})
    refused = client.post("/v1/agreements", json=document, headers=bearer(admin_token))
    assert refused.status_code == 422, refused.text
    assert path in [p["name"] for p in refused.json()["invalidParams"]]


def test_a_purpose_has_one_coordinator(client: TestClient, admin_token: str) -> None:
    make_neighbourhood(client, admin_token)
    twice = [
        {"purposes": ["zorgoverleg"], "coordinator": WIJKTEAM},
        {"purposes": ["zorgoverleg"], "coordinator": SCHOOL},
    ]
    refused = client.post(
        "/v1/agreements",
        json=example_agreement(**{**zorgoverleg(), "coordination": twice}),
        headers=bearer(admin_token),
    )
    assert refused.status_code == 422
    assert refused.json()["invalidParams"][0]["name"] == "coordination[1].purposes[0]"
    stored = make_agreement(client, admin_token, **zorgoverleg())
    assert stored["coordination"] == [{"purposes": ["zorgoverleg"], "coordinator": "kind:wijkteam"}]
    assert stored["rules"][0]["exchangeContact"] is True
    assert stored["rules"][1]["exchangeContact"] is False


def test_concurrent_sends_make_one_match_and_one_take_wins(
    client: TestClient, admin_token: str, runtime: Runtime
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    parties = setting(client, admin_token, coordinator=None)
    with ThreadPoolExecutor(4) as pool:
        sent = list(
            pool.map(
                lambda headers: client.post("/v1/signals", json=signal_body(), headers=headers),
                [parties.wijkteam, parties.school] * 3,
            )
        )
    assert [r.status_code for r in sent] == [201] * 6
    with runtime.db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM matches")).scalar() == 1
        match = conn.execute(text("SELECT id FROM matches")).scalar()
    assert sorted(p for p, _ in outbox(runtime, "match.created")) == [SCHOOL, WIJKTEAM]

    with ThreadPoolExecutor(2) as pool:
        taken = list(
            pool.map(
                lambda headers: coordinate(client, headers, str(match), "take"),
                [parties.wijkteam, parties.school],
            )
        )
    assert sorted(r.status_code for r in taken) == [200, 409]
    assert [step for step, _, _ in history(runtime, str(match))] == ["take"]
