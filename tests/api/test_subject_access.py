"""The access report for a parent (POST /v1/subject-access) through HTTP: exactly the signals
the asking partner sent or received, its own data only, every access allowed or refused, the
printable Dutch page, and the refusals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from core.clock import FrozenClock
from tests.api.test_consents import consent_body
from tests.api.test_signals import BSN, DETAILS, NAME, SUMMARY, Tokens, send
from tests.factories import (
    Credentials,
    Neighbourhood,
    audit_events,
    audit_ref,
    bearer,
    make_agreement,
    make_client,
    make_neighbourhood,
    partner_ref,
    token,
)
from wijkdeel.runtime import Runtime

OTHER_CHILD = "123456782"
UNKNOWN_CHILD = "100000009"
# A signal records informing from the second release on (branch pro); sent without, it is
# `pending`; before that nothing is recorded and the report says `unknown`.
NOT_INFORMED = "pending"
NOT_INFORMED_TEXT = "U bent nog niet ingelicht"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip
SCHOOL_SUMMARY = "Op school stil en teruggetrokken sinds de herfstvakantie"
ZORG = {
    "id": "convenant-zorg",
    "title": "Convenant zorg op school",
    "parties": ["obs-de-linde", "wijkteam-noord"],
    "purposes": {"zorg": "Zorg rond een leerling afstemmen"},
    "rules": [
        {
            "sender": "kind:school",
            "recipient": "wijkteam-noord",
            "purposes": ["zorg"],
            "categories": ["school"],
            "fields": ["summary"],
            "legalBasis": "public_task",
            "requiresConsent": False,
            "retentionDays": 90,
        }
    ],
}


@dataclass
class Story:
    to_wijkteam: dict[str, Any]  # kinderwerk → wijkteam, read by it, tried by the school
    to_school: dict[str, Any]  # kinderwerk → school under consent, later withdrawn
    from_school: dict[str, Any]  # school → wijkteam, under another agreement
    other_child: dict[str, Any]
    tokens: Tokens
    school_zorg: dict[str, str]


@pytest.fixture
def world(client: TestClient, admin_token: str) -> Neighbourhood:
    return make_neighbourhood(client, admin_token)


@pytest.fixture
def story(client: TestClient, world: Neighbourhood, admin_token: str, clock: FrozenClock) -> Story:
    """Each signal a minute after the one before (ids are ordered by time)."""
    make_agreement(client, admin_token, **ZORG)
    tokens = Tokens(client, world)
    to_wijkteam = send(client, tokens.kinderwerk)
    clock.advance(minutes=1)
    assert client.get(f"/v1/signals/{to_wijkteam['id']}", headers=tokens.wijkteam).is_success
    assert len(client.get("/v1/signals", headers=tokens.wijkteam).json()["items"]) == 1
    outsider = client.get(f"/v1/signals/{to_wijkteam['id']}", headers=tokens.school)
    assert outsider.status_code == 404
    consent = client.post(
        "/v1/consents", json=consent_body(), headers=tokens.kinderwerk_afstemming
    ).json()
    to_school = send(client, tokens.kinderwerk_afstemming, category="school", details=None)
    clock.advance(minutes=1)
    assert client.get(f"/v1/signals/{to_school['id']}", headers=tokens.school).is_success
    withdrawn = client.post(
        f"/v1/consents/{consent['id']}/withdraw", json={}, headers=tokens.kinderwerk_afstemming
    )
    assert withdrawn.status_code == 200
    ended = client.get(f"/v1/signals/{to_school['id']}", headers=tokens.school)
    assert ended.status_code == 403
    school_zorg = bearer(token(client, world.school, purpose="zorg"))
    from_school = send(
        client, school_zorg, category="school", summary=SCHOOL_SUMMARY, details=None, contact=None
    )
    clock.advance(minutes=1)
    other_child = send(client, tokens.kinderwerk, subject={"bsn": OTHER_CHILD})
    return Story(to_wijkteam, to_school, from_school, other_child, tokens, school_zorg)


@pytest.fixture
def auditor(client: TestClient, admin_token: str) -> dict[str, str]:
    creds: Credentials = make_client(client, admin_token, partner="gemeente", role="auditor")
    return bearer(token(client, creds))


def ask(
    client: TestClient, headers: dict[str, str], bsn: str = BSN, **params: Any
) -> dict[str, Any]:
    response = client.post("/v1/subject-access", json={"bsn": bsn}, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return dict(response.json())


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in report["items"]}


def history(item: dict[str, Any]) -> dict[str, list[tuple[str, str, str | None]]]:
    """Per organisation, what it did (leaving out the sender's record of informing, which
    signals carry from the second release on; test_informing_and_the_sending_professional)."""
    return {
        group["organisation"]["id"]: [
            (e["action"], e["outcome"], e.get("reason"))
            for e in group["events"]
            if e["action"] != "signal.informing"
        ]
        for group in item["accessHistory"]
    }


def test_the_sender_gets_its_signals_its_data_and_every_access(
    client: TestClient, story: Story, runtime: Runtime
) -> None:
    report = ask(client, story.tokens.kinderwerk)
    items = by_id(report)
    # Exactly what kinderwerk sent about this child, oldest first; not the school's own signal.
    assert list(items) == [story.to_wijkteam["id"], story.to_school["id"]]
    assert report["subjectRef"] == partner_ref(runtime, "kinderwerk-noord", BSN)
    assert report["organisation"] == {"id": "kinderwerk-noord", "name": "Kinderwerk-Noord"}
    assert report["nextCursor"] is None

    first = items[story.to_wijkteam["id"]]
    assert first["involvement"] == "sent" and first["state"] == "live"
    assert first["sender"] == {"id": "kinderwerk-noord", "name": "Kinderwerk-Noord"}
    assert first["category"] == "opvoeding" and first["urgency"] == "normal"
    assert first["purposes"] == [
        {"word": "signalering", "description": "Zorgsignalen doorgeleiden naar het wijkteam"}
    ]
    agreement = {"id": "convenant-noord", "version": 1, "title": "Convenant zorgsignalen Noord"}
    assert first["legalBases"] == [{"legalBasis": "public_task", "agreement": agreement}]
    assert first["recipients"] == [
        {
            "organisation": {"id": "wijkteam-noord", "name": "Wijkteam-Noord"},
            "legalBasis": "public_task",
            "agreement": agreement,
            "dataCategories": ["subject", "summary", "details", "contact"],
        }
    ]
    assert first["dataCategories"] == ["subject", "summary", "details", "contact"]
    assert first["data"]["summary"] == SUMMARY and first["data"]["details"] == DETAILS
    assert first["data"]["subject"] == {"bsn": BSN, "name": NAME, "birthDate": "2017-03-02"}
    assert first["data"]["contact"]["name"] == "Petra Jansen"
    assert first["retentionEnd"] == story.to_wijkteam["expiresAt"]
    assert first["informing"] == {"status": NOT_INFORMED}
    seen = history(first)
    assert list(seen) == ["kinderwerk-noord", "obs-de-linde", "wijkteam-noord"]
    assert seen["kinderwerk-noord"] == [
        ("signal.create", "allow", None),
        ("signal.share", "allow", "recipient:wijkteam-noord"),
    ]
    assert seen["wijkteam-noord"] == [
        ("signal.read", "allow", None),
        ("signal.list", "allow", None),  # it appeared in the wijkteam's list
    ]
    # The school asked for a signal it never received: refused, and in the parent's report.
    assert seen["obs-de-linde"] == [("signal.read", "deny", "signal_not_found")]

    second = items[story.to_school["id"]]
    assert second["legalBases"][0]["legalBasis"] == "consent"
    assert second["recipients"][0]["dataCategories"] == ["subject", "summary", "contact"]
    assert second["dataCategories"] == ["subject", "summary", "contact"]
    assert "details" not in second["data"]
    assert history(second)["obs-de-linde"] == [
        ("signal.read", "allow", None),
        ("signal.read", "deny", "consent_withdrawn"),
    ]
    # Nothing of another partner's content, nor of another child.
    assert SCHOOL_SUMMARY not in str(report) and OTHER_CHILD not in str(report)


def test_a_recipient_gets_what_it_received_and_its_own_accesses_only(
    client: TestClient, story: Story
) -> None:
    wijkteam = by_id(ask(client, story.tokens.wijkteam_afstemming))
    assert list(wijkteam) == [story.to_wijkteam["id"], story.from_school["id"]]
    received = wijkteam[story.to_wijkteam["id"]]
    assert received["involvement"] == "received"
    assert [r["organisation"]["id"] for r in received["recipients"]] == ["wijkteam-noord"]
    # Under any purpose: the token's purpose is afstemming, the signal's signalering.
    assert received["data"]["summary"] == SUMMARY
    assert list(history(received)) == ["wijkteam-noord"]
    from_school = wijkteam[story.from_school["id"]]
    assert from_school["dataCategories"] == ["summary"]
    assert from_school["data"] == {"summary": SCHOOL_SUMMARY}
    assert from_school["sender"]["id"] == "obs-de-linde"
    assert from_school["purposes"][0]["description"] == "Zorg rond een leerling afstemmen"

    school_report = ask(client, story.school_zorg)
    school = by_id(school_report)
    # The school tried to read the wijkteam's signal but never received it: not its record.
    assert list(school) == [story.to_school["id"], story.from_school["id"]]
    withdrawn = school[story.to_school["id"]]
    assert withdrawn["data"] == {}  # consent withdrawn: it may see nothing of it now
    assert withdrawn["dataCategories"] == ["subject", "summary", "contact"]
    assert history(withdrawn) == {
        "obs-de-linde": [
            ("signal.read", "allow", None),
            ("signal.read", "deny", "consent_withdrawn"),
        ]
    }
    own = school[story.from_school["id"]]
    assert own["involvement"] == "sent" and own["data"]["summary"] == SCHOOL_SUMMARY
    assert own["data"]["subject"]["name"] == NAME  # what the school itself wrote
    assert SUMMARY not in str(school_report) and "Petra Jansen" not in str(school_report)


def test_auditors_and_administrators_see_every_signal_and_no_content(
    client: TestClient, story: Story, auditor: dict[str, str], runtime: Runtime
) -> None:
    for headers in (auditor, story.tokens.admin):
        report = ask(client, headers)
        assert report["subjectRef"] == audit_ref(runtime, BSN)
        assert "organisation" not in report
        assert list(by_id(report)) == [
            story.to_wijkteam["id"],
            story.to_school["id"],
            story.from_school["id"],
        ]
        for item in report["items"]:
            assert "data" not in item and "involvement" not in item
        first = report["items"][0]
        assert list(history(first)) == ["kinderwerk-noord", "obs-de-linde", "wijkteam-noord"]
        for text in (SUMMARY, SCHOOL_SUMMARY, NAME, "Petra Jansen"):
            assert text not in str(report)


def test_an_erased_signal_stays_in_the_report_without_its_data(
    client: TestClient, story: Story
) -> None:
    path = f"/v1/signals/{story.to_wijkteam['id']}"
    erased = client.delete(path, headers=story.tokens.kinderwerk)
    assert erased.status_code == 204
    item = by_id(ask(client, story.tokens.kinderwerk))[story.to_wijkteam["id"]]
    assert item["state"] == "erased" and item["erasedAt"]
    assert item["data"] == {}
    # What it held is known from what its rules granted; the cipher texts are gone.
    assert item["dataCategories"] == ["subject", "summary", "details", "contact"]
    assert history(item)["kinderwerk-noord"][-1] == ("signal.erase", "allow", "deleted")


def test_a_signal_past_its_retention_is_expired_and_shows_no_data(
    client: TestClient, story: Story, world: Neighbourhood, clock: FrozenClock
) -> None:
    clock.advance(days=91)  # the school's signal is kept 90 days, the others longer
    wijkteam = bearer(token(client, world.wijkteam, purpose="signalering"))
    items = by_id(ask(client, wijkteam))
    expired = items[story.from_school["id"]]
    assert expired["state"] == "expired" and expired["data"] == {}
    assert expired["retentionEnd"] == story.from_school["expiresAt"]
    assert items[story.to_wijkteam["id"]]["state"] == "live"


def test_pages_follow_the_cursor(client: TestClient, story: Story) -> None:
    first = ask(client, story.tokens.kinderwerk, limit=1)
    assert [i["id"] for i in first["items"]] == [story.to_wijkteam["id"]]
    assert first["nextCursor"]
    second = ask(client, story.tokens.kinderwerk, limit=1, cursor=first["nextCursor"])
    assert [i["id"] for i in second["items"]] == [story.to_school["id"]]
    assert (
        second["nextCursor"] is None
        or ask(client, story.tokens.kinderwerk, cursor=second["nextCursor"])["items"] == []
    )


def test_an_unknown_child_gives_an_empty_report(
    client: TestClient, story: Story, auditor: dict[str, str]
) -> None:
    for headers in (story.tokens.kinderwerk, auditor):
        report = ask(client, headers, UNKNOWN_CHILD)
        assert report["items"] == [] and report["nextCursor"] is None
    # A partner that holds nothing about a known child learns no more than about an unknown one.
    outsider_known = ask(client, story.school_zorg, OTHER_CHILD)
    outsider_unknown = ask(client, story.school_zorg, UNKNOWN_CHILD)
    assert outsider_known.keys() == outsider_unknown.keys()
    assert outsider_known["items"] == outsider_unknown["items"] == []


def test_the_request_is_audited_without_the_bsn(
    client: TestClient, story: Story, runtime: Runtime
) -> None:
    ask(client, story.tokens.kinderwerk)
    client.post(
        "/v1/subject-access",
        json={"bsn": BSN},
        headers={**story.tokens.wijkteam, "accept": "text/html"},
    )
    events = audit_events(runtime, action="subject.access")
    assert [(e["partner"], e["outcome"], e["count"], e["reason"]) for e in events] == [
        ("kinderwerk-noord", "allow", 2, "json"),
        ("wijkteam-noord", "allow", 2, "html"),
    ]
    assert {e["subject_ref"] for e in events} == {audit_ref(runtime, BSN)}
    assert {e["resource_type"] for e in events} == {"subject"}
    assert BSN not in repr(audit_events(runtime))


def test_bad_input_and_other_scopes_are_refused(
    client: TestClient, story: Story, world: Neighbourhood, runtime: Runtime
) -> None:
    for body in ({"bsn": "111222334"}, {"bsn": "12345"}, {"bsn": BSN, "name": NAME}, {}):
        response = client.post("/v1/subject-access", json=body, headers=story.tokens.kinderwerk)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "111222334" not in response.text and NAME not in response.text
    problem = client.post(
        "/v1/subject-access", json={"bsn": "111222334"}, headers=story.tokens.kinderwerk
    ).json()
    assert problem["code"] == "invalid_bsn" and problem["invalidParams"][0]["name"] == "bsn"
    refused = audit_events(runtime, action="subject.access")
    assert refused and all(e["outcome"] == "deny" for e in refused)

    reader = bearer(token(client, world.wijkteam, purpose="signalering", scope="signals:read"))
    forbidden = client.post("/v1/subject-access", json={"bsn": BSN}, headers=reader)
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "insufficient_scope"
    assert client.post("/v1/subject-access", json={"bsn": BSN}).status_code == 401
    # The BSN belongs in the body, never in the URL.
    assert client.get("/v1/subject-access", headers=story.tokens.kinderwerk).status_code == 405
    unacceptable = client.post(
        "/v1/subject-access",
        json={"bsn": BSN},
        headers={**story.tokens.kinderwerk, "accept": "text/csv"},
    )
    assert unacceptable.status_code == 406


def page_text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_page_for_the_parent_says_everything_in_dutch(client: TestClient, story: Story) -> None:
    response = client.post(
        "/v1/subject-access",
        json={"bsn": BSN},
        headers={**story.tokens.kinderwerk, "accept": "text/html"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+'", policy)
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert '<html lang="nl">' in html and "<script" not in html and "http" not in html
    assert "@media print" in html and "style=" not in html
    text = page_text(html)
    for expected in (
        "Wat Kinderwerk-Noord over uw kind heeft vastgelegd",
        "Het gaat om 2 signalen",
        "Signaal 1: van Kinderwerk-Noord",
        "Waar het over gaat Opvoeding en de situatie thuis",
        "Hoe dringend Gewoon",
        "Waarom het is gedeeld Zorgsignalen doorgeleiden naar het wijkteam",
        "Een taak van de overheid, zoals jeugdhulp en zorg voor kinderen "
        "(AVG, artikel 6 lid 1 onder e), volgens de afspraken “Convenant zorgsignalen Noord” "
        "(versie 1)",
        "Toestemming van u (of van uw kind) (AVG, artikel 6 lid 1 onder a)",
        "Wijkteam-Noord, die kreeg: gegevens van uw kind",
        "Obs-De-Linde, die kreeg: gegevens van uw kind: naam, geboortedatum en "
        "burgerservicenummer; een korte beschrijving van de zorg; hoe u de medewerker",
        "Een toelichting op die zorg",
        "Stand van zaken In gebruik",
        f"Bent u ingelicht? {NOT_INFORMED_TEXT}",
        f"Uw kind: {NAME}, geboren op 2 maart 2017, burgerservicenummer eindigend op 333",
        f"Korte beschrijving: {SUMMARY}",
        f"Toelichting: {DETAILS}",
        "Contact: Petra Jansen, 06-12345678, petra@kinderwerk.example",
        "Heeft het signaal gemaakt en verstuurd",
        "Heeft het signaal gedeeld met Wijkteam-Noord",
        "Heeft het signaal bekeken Toegestaan",
        "Probeerde het signaal te bekijken Geweigerd : deze organisatie is niet betrokken",
        "Geweigerd : de toestemming was ingetrokken",
        "Autoriteit Persoonsgegevens",
    ):
        assert expected in text, expected
    retention = datetime.fromisoformat(story.to_wijkteam["expiresAt"]).astimezone(AMSTERDAM)
    month = MONTHS[retention.month - 1]
    assert f"Bewaard tot {retention.day} {month} {retention.year} Stand" in text
    # Written for a parent: no internal codes, no full BSN, nothing of another partner.
    for code in (
        "public_task",
        "consent",
        "signal.read",
        "signal_not_found",
        "kinderwerk-noord",
        "convenant-noord",
        "signalering",
        "sr_",
        BSN,
        story.to_wijkteam["id"],
        SCHOOL_SUMMARY,
    ):
        assert code not in html, code


def test_the_page_for_an_unknown_child_and_for_an_auditor(
    client: TestClient, story: Story, auditor: dict[str, str]
) -> None:
    empty = client.post(
        "/v1/subject-access",
        json={"bsn": UNKNOWN_CHILD},
        headers={**story.tokens.kinderwerk, "accept": "text/html"},
    )
    assert "Kinderwerk-Noord heeft via wijkdeel geen signalen over uw kind" in page_text(empty.text)
    audited = client.post(
        "/v1/subject-access", json={"bsn": BSN}, headers={**auditor, "accept": "text/html"}
    )
    text = page_text(audited.text)
    assert "Wat er in wijkdeel over uw kind is vastgelegd" in text
    assert "De inhoud van het signaal vraagt u op bij Kinderwerk-Noord" in text
    assert SUMMARY not in text and SCHOOL_SUMMARY not in text and NAME not in text


def test_informing_and_the_sending_professional(
    client: TestClient, world: Neighbourhood, admin_token: str, clock: FrozenClock
) -> None:
    from tests.factories import professional_token  # type: ignore[attr-defined]

    creds = make_client(client, admin_token, partner="kinderwerk-noord", method="private_key_jwt")
    petra = bearer(professional_token(client, creds))
    informed = {
        "status": "informed",
        "parties": ["guardian"],
        "at": (clock() - timedelta(days=1)).isoformat(),
        "method": "in_person",
    }
    sent = send(client, petra, informing=informed)
    item = by_id(ask(client, petra))[sent["id"]]
    assert item["senderProfessional"]["name"] == "Petra Jansen"
    assert item["senderProfessional"]["function"] == "jongerenwerker"
    assert item["informing"]["status"] == "informed"
    assert item["informing"]["parties"] == ["guardian"]
    assert item["informing"]["method"] == "in_person"
    # The wijkteam's rule grants contact: it may know who sent it.
    wijkteam = bearer(token(client, world.wijkteam, purpose="signalering"))
    received = by_id(ask(client, wijkteam))[sent["id"]]
    assert received["senderProfessional"]["name"] == "Petra Jansen"
    assert received["informing"]["status"] == "informed"
    # An auditor: the state of informing, kept in clear; nothing sealed.
    auditor = bearer(
        token(client, make_client(client, admin_token, partner="gemeente", role="auditor"))
    )
    audited = by_id(ask(client, auditor))[sent["id"]]
    assert audited["informing"] == {"status": "informed"}
    assert "senderProfessional" not in audited
    sender_events = audited["accessHistory"][0]["events"]
    assert ("signal.informing", "informing:informed") in {
        (e["action"], e.get("reason")) for e in sender_events
    }
    page = client.post(
        "/v1/subject-access", json={"bsn": BSN}, headers={**petra, "accept": "text/html"}
    )
    text = page_text(page.text)
    assert "Kinderwerk-Noord, door Petra Jansen (jongerenwerker)" in text
    assert "U (of uw kind) bent ingelicht: ouder of voogd, in een gesprek, op " in text
    assert "Heeft vastgelegd of u bent ingelicht" in text


def test_a_restricted_signal_says_so_and_its_recipient_sees_no_data(
    client: TestClient, story: Story
) -> None:
    signal = story.to_wijkteam["id"]
    restricted = client.post(
        f"/v1/signals/{signal}/restriction",
        json={"reason": "accuracy_contested"},
        headers=story.tokens.kinderwerk,
    )
    assert restricted.is_success, restricted.text
    sender = by_id(ask(client, story.tokens.kinderwerk))[signal]
    assert sender["restriction"] == "accuracy_contested" and sender["data"]["summary"] == SUMMARY
    recipient = by_id(ask(client, story.tokens.wijkteam))[signal]
    assert recipient["restriction"] == "accuracy_contested" and recipient["data"] == {}
    page = client.post(
        "/v1/subject-access",
        json={"bsn": BSN},
        headers={**story.tokens.kinderwerk, "accept": "text/html"},
    )
    assert (
        "Het gebruik is beperkt: alleen Kinderwerk-Noord kan het nog inzien, zolang wordt "
        "nagegaan of het klopt" in page_text(page.text)
    )


def test_a_corrected_signal_shows_its_revision_and_the_new_text(
    client: TestClient, story: Story
) -> None:
    signal = story.to_wijkteam["id"]
    corrected = client.patch(
        f"/v1/signals/{signal}",
        json={"summary": "Komt soms zonder ontbijt", "correctionReason": "requested_by_parent"},
        headers=story.tokens.kinderwerk,
    )
    assert corrected.is_success, corrected.text
    received = by_id(ask(client, story.tokens.wijkteam))[signal]
    assert received["revision"] == 2 and received["data"]["summary"] == "Komt soms zonder ontbijt"
    assert SUMMARY not in str(received)
    sent = by_id(ask(client, story.tokens.kinderwerk))[signal]
    assert ("signal.correct", "allow") in {
        (action, outcome) for action, outcome, _ in history(sent)["kinderwerk-noord"]
    }
    page = client.post(
        "/v1/subject-access",
        json={"bsn": BSN},
        headers={**story.tokens.kinderwerk, "accept": "text/html"},
    )
    text = page_text(page.text)
    assert "Verbeterd: dit is versie 2" in text and "Heeft het signaal verbeterd" in text
