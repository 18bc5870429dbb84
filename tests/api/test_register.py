"""The register of processing (AVG art. 30): generated from the agreements in force."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from policies import Agreement, Rule
from policies.register import activity_id, build
from policies.vocabulary import LEGAL_BASES, SIGNAL_FIELDS
from tests.api.test_consents import consent_body
from tests.api.test_signals import Tokens, send
from tests.factories import (
    Neighbourhood,
    accept_all,
    audit_events,
    bearer,
    example_agreement,
    make_agreement,
    make_client,
    make_neighbourhood,
    token,
)
from wijkdeel.runtime import Runtime


def _auditor(client: TestClient, world: Neighbourhood) -> dict[str, str]:
    make_client_partner = "wijkteam-noord"
    auditor = make_client(client, world.admin_token, partner=make_client_partner, role="auditor")
    return bearer(token(client, auditor))


def test_one_activity_per_agreement_and_purpose(client: TestClient, admin_token: str) -> None:
    world = make_neighbourhood(client, admin_token)
    answer = client.get("/v1/register", headers=_auditor(client, world))
    assert answer.status_code == 200, answer.text
    register = answer.json()
    by_id = {a["id"]: a for a in register["activities"]}
    assert sorted(by_id) == ["convenant-noord:afstemming", "convenant-noord:signalering"]
    signalering = by_id["convenant-noord:signalering"]
    assert signalering["agreement"] == {
        "id": "convenant-noord",
        "version": 1,
        "title": "Convenant zorgsignalen Noord",
    }
    assert [c["id"] for c in signalering["controllers"]] == ["kinderwerk-noord", "wijkteam-noord"]
    assert [c["id"] for c in signalering["recipients"]] == ["wijkteam-noord"]
    assert signalering["dataCategories"] == ["subject", "summary", "details", "contact"]
    assert signalering["dataSubjects"] == ["child", "professional"]
    assert signalering["retentionDays"] == 365
    assert signalering["legalBasis"] == ["public_task"]
    assert "AES-256-GCM" in signalering["measures"]
    afstemming = by_id["convenant-noord:afstemming"]
    assert [c["id"] for c in afstemming["recipients"]] == ["obs-de-linde"]
    assert afstemming["dataSubjects"] == ["child", "professional", "guardian"]
    assert afstemming["legalBasis"] == ["consent"]

    # The admin reads it too, and the version follows the agreements.
    again = client.get("/v1/register", headers=bearer(admin_token)).json()
    assert again["version"] == register["version"]
    changed = example_agreement(title="Convenant Noord, herzien")
    del changed["id"]
    put = client.put("/v1/agreements/convenant-noord", json=changed, headers=bearer(admin_token))
    assert put.status_code == 200, put.text
    # A proposed version is not in force: the register changes once every party accepts.
    unchanged = client.get("/v1/register", headers=bearer(admin_token)).json()
    assert unchanged["version"] == register["version"]
    accept_all(client, admin_token, "convenant-noord", put.json()["version"])
    after = client.get("/v1/register", headers=bearer(admin_token)).json()
    assert after["version"] != register["version"]
    assert {a["agreement"]["version"] for a in after["activities"]} == {2}
    # Ids stay the same across versions: audit events of both fall under one activity.
    assert sorted(a["id"] for a in after["activities"]) == sorted(by_id)

    suspended = {**changed, "status": "suspended"}
    client.put("/v1/agreements/convenant-noord", json=suspended, headers=bearer(admin_token))
    emptied = client.get("/v1/register", headers=bearer(admin_token)).json()
    assert emptied["activities"] == []


def test_partners_may_not_read_it(client: TestClient, admin_token: str) -> None:
    world = make_neighbourhood(client, admin_token)
    partner = bearer(token(client, world.kinderwerk, purpose="signalering"))
    refused = client.get("/v1/register", headers=partner)
    assert refused.status_code == 403
    policymaker = make_client(client, admin_token, partner="wijkteam-noord", role="policymaker")
    assert client.get("/v1/register", headers=bearer(token(client, policymaker))).status_code == 403
    assert client.get("/v1/register").status_code == 401


def test_csv_and_printable_page(client: TestClient, admin_token: str) -> None:
    world = make_neighbourhood(client, admin_token)
    trap = example_agreement(id="convenant-zuid", title='=HYPERLINK("http://x")')
    make_agreement(client, admin_token, **trap)
    auditor = _auditor(client, world)
    answer = client.get("/v1/register", headers={**auditor, "Accept": "text/csv"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 4
    titles = {row["agreementTitle"] for row in rows}
    assert titles == {"Convenant zorgsignalen Noord", '\'=HYPERLINK("http://x")'}
    assert {row["retentionDays"] for row in rows} == {"365", "180"}

    page = client.get("/v1/register", headers={**auditor, "Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Register van verwerkingsactiviteiten" in page.text
    assert "publieke taak" in page.text and "<script" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert "&#34;http://x&#34;" in page.text or "&quot;http://x&quot;" in page.text

    refused = client.get("/v1/register", headers={**auditor, "Accept": "image/png"})
    assert refused.status_code == 406


def test_audit_events_name_their_processing_activity(
    client: TestClient, admin_token: str, runtime: Runtime
) -> None:
    world = make_neighbourhood(client, admin_token)
    tokens = Tokens(client, world)
    sent = send(client, tokens.kinderwerk)
    read = client.get(f"/v1/signals/{sent['id']}", headers=tokens.wijkteam)
    assert read.status_code == 200
    moved = client.patch(
        f"/v1/signals/{sent['id']}", json={"status": "acknowledged"}, headers=tokens.wijkteam
    )
    assert moved.status_code == 200
    consent = client.post("/v1/consents", json=consent_body(), headers=tokens.kinderwerk_afstemming)
    assert consent.status_code == 201, consent.text
    expected = "convenant-noord:signalering"
    for action in ("signal.create", "signal.share", "signal.read", "signal.update"):
        found = audit_events(runtime, action=action)
        assert found and {e["processing_activity_id"] for e in found} == {expected}, action
    decided = client.post(
        "/v1/decisions",
        json={"sender": "kinderwerk-noord", "recipient": "wijkteam-noord",
              "purpose": "signalering", "category": "opvoeding"},
        headers=bearer(admin_token),
    )  # fmt: skip
    assert decided.status_code == 200, decided.text
    (explained,) = audit_events(runtime, action="decision.explain")
    assert explained["processing_activity_id"] == expected
    (recorded,) = audit_events(runtime, action="consent.create")
    assert recorded["processing_activity_id"] == "convenant-noord:afstemming"
    # Work that is not done under an agreement's purpose names none.
    (listing,) = audit_events(runtime, action="agreement.create")
    assert listing["processing_activity_id"] is None

    register = client.get("/v1/register", headers=bearer(admin_token)).json()
    assert expected in {a["id"] for a in register["activities"]}
    (event,) = audit_events(runtime, action="register.read")
    assert event["resource_id"] == register["version"] and event["count"] == 2


# The register equals the agreements, over generated agreements.

PARTNERS = {
    "kw-a": ("Kinderwerk A", "kinderwerk"),
    "kw-b": ("Kinderwerk B", "kinderwerk"),
    "school-a": ("School A", "school"),
    "team-a": ("Wijkteam A", "wijkteam"),
}
TODAY = date(2026, 6, 1)
ENDS = [*PARTNERS, "kind:kinderwerk", "kind:school", "kind:wijkteam"]


@st.composite
def agreements(draw: st.DrawFn) -> list[Agreement]:
    made = []
    for number in range(draw(st.integers(0, 3))):
        purposes = draw(st.lists(st.sampled_from(["zorg", "school", "veilig"]), min_size=1,
                                 max_size=3, unique=True))  # fmt: skip
        rules = tuple(
            Rule(
                sender=draw(st.sampled_from(ENDS)),
                recipient=draw(st.sampled_from(ENDS)),
                purposes=tuple(draw(st.lists(st.sampled_from(purposes), min_size=1, unique=True))),
                categories=tuple(draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1))),
                fields=tuple(
                    draw(st.lists(st.sampled_from(SIGNAL_FIELDS), min_size=1, unique=True))
                ),
                legal_basis=draw(st.sampled_from(LEGAL_BASES)),
                requires_consent=draw(st.booleans()),
                retention_days=draw(st.integers(1, 730)),
            )
            for _ in range(draw(st.integers(0, 4)))
        )
        start = TODAY + timedelta(days=draw(st.integers(-400, 30)))
        made.append(
            Agreement(
                id=f"agreement-{number}",
                version=draw(st.integers(1, 9)),
                title=f"Agreement {number}",
                parties=tuple(draw(st.lists(st.sampled_from(list(PARTNERS)), unique=True))),
                valid_from=start,
                valid_until=draw(st.none() | st.just(start + timedelta(days=200))),
                status=draw(st.sampled_from(["active", "active", "draft", "suspended"])),
                purposes={p: f"about {p}" for p in purposes},
                rules=rules,
            )
        )
    return made


def _ends(end: str, agreement: Agreement) -> set[str]:
    if end.startswith("kind:"):
        return {p for p in agreement.parties if PARTNERS[p][1] == end[5:]}
    return {end} & set(agreement.parties)


@settings(max_examples=150, deadline=None)
@given(agreements())
def test_the_register_equals_the_agreements(found: list[Agreement]) -> None:
    register = build(found, PARTNERS, today=TODAY, measures="m")
    expected = {}
    for agreement in found:
        ends = agreement.valid_until is None or agreement.valid_until >= TODAY
        if agreement.status != "active" or not agreement.valid_from <= TODAY or not ends:
            continue
        for purpose in agreement.purposes:
            rules = [r for r in agreement.rules if purpose in r.purposes]
            if not rules:
                continue
            recipients = set().union(*(_ends(r.recipient, agreement) for r in rules))
            senders = set().union(*(_ends(r.sender, agreement) for r in rules))
            expected[activity_id(agreement.id, purpose)] = (
                (agreement.id, agreement.version, purpose),
                sorted(senders | recipients),
                sorted(recipients),
                {f for r in rules for f in r.fields},
                max(r.retention_days for r in rules),
                {r.legal_basis for r in rules},
                any(r.requires_consent for r in rules),
            )
    got = {
        a.id: (
            (a.agreement_id, a.agreement_version, a.purpose),
            [c.id for c in a.controllers],
            [c.id for c in a.recipients],
            set(a.data_categories),
            a.retention_days,
            set(a.legal_basis),
            "guardian" in a.data_subjects,
        )
        for a in register.activities
    }
    assert got == expected
    assert all(a.measures == "m" for a in register.activities)
    # The version is a function of the content: the same agreements give the same version.
    assert build(list(reversed(found)), PARTNERS, today=TODAY, measures="m") == register
