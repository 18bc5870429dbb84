"""The auditor's pages over HTTP: the log with its filters and names, an event, downloads, the
chain verification and checkpoints, and the report of one child - each refused to the other
roles, each form refused without its CSRF token, bad input answered on the field."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from audit.chain import seal_all
from core.clock import FrozenClock
from tests.console.world import BSN, World, as_role, make_world, post_form
from tests.factories import audit_events, audit_ref, bearer, make_client, token
from wijkdeel.runtime import Runtime

PAGES = (
    "/console/audit",
    "/console/audit/events/1",
    "/console/audit/export?format=csv",
    "/console/audit/verify",
    "/console/audit/public-key",
    "/console/audit/subject",
)
FORMS = (
    ("/console/audit/verify", {"mode": "full"}),
    ("/console/audit/checkpoint", {}),
    ("/console/audit/checkpoint/verify", {"line": "x"}),
    ("/console/audit/subject", {"bsn": BSN}),
)


@pytest.fixture
def world(client: TestClient, runtime: Runtime, clock: FrozenClock) -> World:
    made = make_world(client, runtime)
    as_role(client, made, "auditor", clock)
    return made


def person_events(runtime: Runtime, world: World, action: str) -> list[dict[str, object]]:
    person = world.people["auditor"].id
    return [e for e in audit_events(runtime, action=action) if e["actor_person"] == person]


@pytest.mark.parametrize("role", ["admin", "policymaker"])
def test_other_roles_get_403_on_every_auditor_page(
    client: TestClient, world: World, runtime: Runtime, clock: FrozenClock, role: str
) -> None:
    as_role(client, world, role, clock)
    for page in PAGES:
        answer = client.get(page, follow_redirects=False)
        assert answer.status_code == 403, page
        assert "Geen toegang" in answer.text
    token_page = client.get("/console")
    for action, data in FORMS:
        answer = post_form(client, "/console", action, data)
        assert answer.status_code == 403, action
    refused = [
        e
        for e in audit_events(runtime, action="console.open")
        if e["actor_person"] == world.people[role].id
    ]
    assert len(refused) == len(PAGES) + len(FORMS) and {e["outcome"] for e in refused} == {"deny"}
    assert token_page.status_code == 200


def test_the_log_names_partners_clients_and_people(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    page = client.get("/console/audit", params={"partner": "wijkteam-noord", "limit": "200"})
    assert page.status_code == 200
    assert "Wijkteam-Noord (partner)" in page.text  # the client, by its partner's name
    assert "signaal ingezien" in page.text
    assert "Kinderwerk-Noord" not in page.text.split("<tbody>")[1]  # filtered out
    read = person_events(runtime, world, "audit.read")
    assert read[-1]["reason"] == "html partner=wijkteam-noord"
    assert read[-1]["role"] == "auditor"


def test_the_log_is_paged_without_gaps(client: TestClient, world: World) -> None:
    seen: list[str] = []
    page = client.get("/console/audit", params={"limit": "3"})
    for _ in range(50):
        rows = page.text.split("<tbody>")[1].split("</tbody>")[0]
        seen += [part.split('"')[0] for part in rows.split('href="/console/audit/events/')[1:]]
        if "Volgende pagina" not in page.text:
            break
        link = page.text.split('class="pager"><a href="')[1].split('"')[0].replace("&amp;", "&")
        assert "limit=3" in link
        page = client.get(link)
    numbers = [int(n) for n in seen]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) > 6


def test_bad_filters_are_named_on_their_field_and_read_nothing(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    before = len(person_events(runtime, world, "audit.read"))
    page = client.get(
        "/console/audit",
        params={"partner": "Not A Slug", "since": "gisteren", "outcome": "maybe", "action": "x"},
    )
    assert page.status_code == 422
    for field in ("partner", "since", "outcome"):
        assert f'aria-describedby="{field}-error"' in page.text or (
            f"{field}-hint {field}-error" in page.text
        ), field
        assert f'id="{field}-error"' in page.text
    assert 'id="action-error"' not in page.text
    assert "<tbody>" not in page.text
    assert len(person_events(runtime, world, "audit.read")) == before


def test_an_event_page_shows_every_field_and_its_hash(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    seal_all(runtime.db)
    signal_read = audit_events(runtime, action="signal.read", outcome="allow")[0]
    page = client.get(f"/console/audit/events/{signal_read['seq']}")
    assert page.status_code == 200
    assert signal_read["hash"] in page.text
    assert "Wijkteam-Noord" in page.text and signal_read["subject_ref"] in page.text
    assert client.get("/console/audit/events/999999").status_code == 404
    for junk in ("0", "abc", "9" * 40, "-1"):
        assert client.get(f"/console/audit/events/{junk}").status_code == 404


def test_csv_and_ndjson_hold_the_same_events_as_the_filter(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    answer = client.get("/console/audit/export", params={"format": "csv", "action": "signal.read"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    expected = audit_events(runtime, action="signal.read")
    assert [int(row["seq"]) for row in rows] == [e["seq"] for e in expected]
    assert [row["hash"] for row in rows] == [e["hash"] for e in expected]
    ndjson = client.get(
        "/console/audit/export", params={"format": "ndjson", "action": "signal.read"}
    )
    assert len(ndjson.text.strip().splitlines()) == len(expected)
    reasons = [e["reason"] for e in person_events(runtime, world, "audit.read")]
    assert reasons[-2:] == ["csv action=signal.read", "ndjson action=signal.read"]


def test_verification_reports_an_intact_and_then_a_broken_chain(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    answer = post_form(client, "/console/audit/verify", "/console/audit/verify", {"mode": "full"})
    assert answer.status_code == 200 and "De keten is in orde" in answer.text
    assert person_events(runtime, world, "audit.verify")[-1]["reason"].startswith("full valid")
    with runtime.db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET reason = 'rewritten' WHERE seq = 3"))
    answer = post_form(client, "/console/audit/verify", "/console/audit/verify", {"mode": "full"})
    assert "De keten is verbroken" in answer.text and "Bij gebeurtenis 3" in answer.text


def test_a_signed_checkpoint_verifies_until_the_log_is_rewritten(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    answer = post_form(client, "/console/audit/verify", "/console/audit/checkpoint", {})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    line = answer.text.strip()
    assert line.startswith("eyJ") and line.count(".") == 2
    signed = person_events(runtime, world, "audit.checkpoint")[-1]
    keys = client.get("/console/audit/public-key")
    assert keys.status_code == 200 and keys.json()["keys"][0]["crv"] == "P-256"

    def check(line: str, jwks: str = "") -> str:
        return post_form(
            client,
            "/console/audit/verify",
            "/console/audit/checkpoint/verify",
            {"line": line, "jwks": jwks},
        ).text

    assert "staat nog ongewijzigd in het log" in check(line)
    assert "staat nog ongewijzigd in het log" in check(line, keys.text)
    with runtime.db.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_events SET reason = 'rewritten' WHERE seq = :seq"),
            {"seq": int(signed["resource_id"]) - 1},
        )
    assert "De keten is verbroken" in check(line)


def test_a_pasted_line_that_is_not_ours_is_refused_on_its_field(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    before = len(audit_events(runtime, action="audit.verify"))
    for line, jwks, field in [
        ("", "", "line"),
        ("eyJhbGciOiJFUzI1NiJ9.e30.c2ln", "", "line"),
        ("eyJhbGciOiJFUzI1NiJ9.e30.c2ln", '{"kty": "RSA"}', "jwks"),
    ]:
        answer = post_form(
            client,
            "/console/audit/verify",
            "/console/audit/checkpoint/verify",
            {"line": line, "jwks": jwks},
        )
        assert answer.status_code == 422
        assert f'id="{field}-error"' in answer.text and f"{field}-error" in answer.text
    assert len(audit_events(runtime, action="audit.verify")) == before


def test_the_subject_report_from_a_bsn_in_a_form(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    answer = post_form(client, "/console/audit/subject", "/console/audit/subject", {"bsn": BSN})
    assert answer.status_code == 200
    ref = audit_ref(runtime, BSN)
    assert ref in answer.text and BSN not in answer.text
    assert "Wijkteam-Noord" in answer.text and "signaal ingezien" in answer.text
    assert 'class="timeline"' in answer.text
    event = person_events(runtime, world, "audit.subject_report")[-1]
    assert event["subject_ref"] == ref and event["outcome"] == "allow"
    assert event["role"] == "auditor"
    assert all(BSN not in str(value) for e in audit_events(runtime) for value in e.values())


@pytest.mark.parametrize("bsn", ["12345", "111222334", "abcdefghi"])
def test_an_invalid_bsn_is_refused_on_its_field(
    client: TestClient, world: World, runtime: Runtime, bsn: str
) -> None:
    answer = post_form(client, "/console/audit/subject", "/console/audit/subject", {"bsn": bsn})
    assert answer.status_code == 422
    assert 'id="bsn-error"' in answer.text
    assert 'aria-describedby="bsn-hint bsn-error"' in answer.text
    denied = person_events(runtime, world, "audit.subject_report")
    assert [e["outcome"] for e in denied] == ["deny"] and denied[0]["subject_ref"] is None


@pytest.mark.parametrize(("action", "data"), FORMS)
def test_forms_without_their_csrf_token_are_refused(
    client: TestClient, world: World, runtime: Runtime, action: str, data: dict[str, str]
) -> None:
    before = len(audit_events(runtime))
    answer = client.post(action, data=data)
    assert answer.status_code == 403 and "Formulier geweigerd" in answer.text
    answer = client.post(action, data={**data, "csrf": "forged"})
    assert answer.status_code == 403
    assert len(audit_events(runtime)) == before


def test_the_log_shows_what_the_api_answers_for_the_same_filters(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    auditor = make_client(client, world.admin_token, partner="gemeente", role="auditor")
    headers = bearer(token(client, auditor))
    query = {"partner": "kinderwerk-noord", "outcome": "allow"}
    api = client.get("/v1/audit/events", params={**query, "limit": 500}, headers=headers).json()
    page = client.get("/console/audit", params={**query, "limit": "500"}).text
    shown = [int(n) for n in re.findall(r'href="/console/audit/events/(\d+)"', page)]
    assert shown == [item["seq"] for item in api["items"]] and len(shown) >= 3


def test_the_incremental_check_says_where_it_began(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    post_form(client, "/console/audit/verify", "/console/audit/verify", {"mode": "full"})
    answer = post_form(
        client, "/console/audit/verify", "/console/audit/verify", {"mode": "checkpoint"}
    )
    assert "Gecontroleerd vanaf controlepunt" in answer.text
    reasons = [e["reason"] for e in person_events(runtime, world, "audit.verify")]
    assert reasons[0].startswith("full valid") and reasons[1].startswith("from:")


def test_a_broken_chain_signs_no_checkpoint(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    seal_all(runtime.db)
    with runtime.db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET reason = 'rewritten' WHERE seq = 2"))
    answer = post_form(client, "/console/audit/verify", "/console/audit/checkpoint", {})
    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith("text/html")
    assert "Er is niets ondertekend" in answer.text and "Bij gebeurtenis 2" in answer.text
    event = person_events(runtime, world, "audit.checkpoint")[-1]
    assert event["resource_id"] is None and "invalid seq:2" in str(event["reason"])
