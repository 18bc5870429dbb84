"""The administrator's pages over HTTP: partners and clients, agreements (matrix, a version in
a form, diff, YAML), the decision tester against POST /v1/decisions, and failing webhooks -
each refused to the other roles, each form refused without its CSRF token, bad input answered
on the field with nothing changed."""

from __future__ import annotations

import html
import json
import re
import uuid

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import text

from core.clock import FrozenClock
from notifications.delivery import Deliverer
from tests.console.world import SIGNAL, World, as_role, make_world, post_form
from tests.factories import Credentials, audit_events, bearer, ec_key, token
from tests.receiver import Receiver, free_port, receiving
from wijkdeel.runtime import Runtime
from wijkdeel.worker import deliverer_for

AGREEMENT = "/console/agreements/convenant-noord"
SECRET = "client_secret_basic"
PAGES = (
    "/console/partners",
    "/console/partners/wijkteam-noord",
    "/console/agreements",
    AGREEMENT,
    "/console/agreements/new",
    "/console/agreements/import",
    f"{AGREEMENT}/edit",
    f"{AGREEMENT}/diff?from=1&to=1",
    f"{AGREEMENT}/export",
    "/console/webhooks",
    "/console/webhooks/nope",
)
FORMS = (
    ("/console/partners", {"id": "nieuw-team", "name": "Nieuw", "kind": "wijkteam"}),
    ("/console/partners/wijkteam-noord/status", {"status": "suspended"}),
    ("/console/partners/wijkteam-noord/clients", {"role": "partner", "authMethod": SECRET}),
    ("/console/partners/wijkteam-noord/clients/cl_x/revoke", {}),
    ("/console/agreements", {"id": "c-nieuw", "title": "Nieuw", "rules": "0"}),
    (AGREEMENT, {"title": "Anders", "rules": "0"}),
    ("/console/agreements/import", {"yaml": "id: c-nieuw"}),
)  # fmt: skip


@pytest.fixture
def world(client: TestClient, runtime: Runtime, clock: FrozenClock) -> World:
    made = make_world(client, runtime)
    as_role(client, made, "admin", clock)
    return made


def person_events(runtime: Runtime, world: World, action: str) -> list[dict[str, object]]:
    person = world.people["admin"].id
    return [e for e in audit_events(runtime, action=action) if e["actor_person"] == person]


def api_get(client: TestClient, world: World, path: str) -> dict[str, object]:
    answer = client.get(path, headers=bearer(world.admin_token))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def field_error(page: str, name: str) -> str:
    """The message tied to field `name`; fails unless the field points to it."""
    assert f'id="{name}-error"' in page, name
    assert re.search(rf'id="{re.escape(name)}"[^>]*aria-describedby="[^"]*{name}-error', page) or (
        f'aria-describedby="{name}-error"' in page
    ), name
    found = re.search(rf'id="{re.escape(name)}-error">(?:<span[^>]*>[^<]*</span>)?([^<]*)<', page)
    assert found
    return html.unescape(found.group(1))


# Roles and forgeries


@pytest.mark.parametrize("role", ["auditor", "policymaker"])
def test_other_roles_get_403_on_every_admin_page(
    client: TestClient, world: World, runtime: Runtime, clock: FrozenClock, role: str
) -> None:
    as_role(client, world, role, clock)
    for page in PAGES:
        answer = client.get(page, follow_redirects=False)
        assert answer.status_code == 403, page
    for action, data in FORMS:
        assert post_form(client, "/console", action, data).status_code == 403, action
    decisions = client.get("/console/decisions")
    assert decisions.status_code == (200 if role == "auditor" else 403)
    assert (
        client.get("/v1/partners/nieuw-team", headers=bearer(world.admin_token)).status_code == 404
    )
    assert api_get(client, world, "/v1/partners/wijkteam-noord")["status"] == "active"


@pytest.mark.parametrize(("action", "data"), FORMS)
def test_admin_forms_without_their_csrf_token_are_refused(
    client: TestClient, world: World, runtime: Runtime, action: str, data: dict[str, str]
) -> None:
    before = len(audit_events(runtime))
    assert client.post(action, data=data).status_code == 403
    assert client.post(action, data={**data, "csrf": "forged"}).status_code == 403
    assert len(audit_events(runtime)) == before
    assert api_get(client, world, "/v1/partners/wijkteam-noord")["status"] == "active"


# Partners and clients


def test_a_partner_is_created_suspended_and_reactivated(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    answer = post_form(
        client,
        "/console/partners",
        "/console/partners",
        {"id": "jongerenwerk-zuid", "name": "Jongerenwerk Zuid", "kind": "jongerenwerk"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/partners/jongerenwerk-zuid?m=created"
    created = api_get(client, world, "/v1/partners/jongerenwerk-zuid")
    assert created["name"] == "Jongerenwerk Zuid" and created["kind"] == "jongerenwerk"
    assert person_events(runtime, world, "partner.create")[0]["resource_id"] == "jongerenwerk-zuid"
    listing = client.get("/console/partners").text
    assert "Jongerenwerk Zuid" in listing and "Wijkteam-Noord" in listing

    page = "/console/partners/wijkteam-noord"
    post_form(client, page, f"{page}/status", {"status": "suspended"})
    assert api_get(client, world, "/v1/partners/wijkteam-noord")["status"] == "suspended"
    assert "geschorst" in client.get(page).text
    post_form(client, page, f"{page}/status", {"status": "active"})
    assert api_get(client, world, "/v1/partners/wijkteam-noord")["status"] == "active"
    reasons = [e["reason"] for e in person_events(runtime, world, "partner.update")]
    assert reasons == ["status:suspended", "status:active"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"id": "Not A Slug", "name": "X", "kind": "school"}, "id"),
        ({"id": "ok-id", "name": "", "kind": "school"}, "name"),
        ({"id": "ok-id", "name": "X", "kind": "bakery"}, "kind"),
        ({"id": "wijkteam-noord", "name": "Dubbel", "kind": "wijkteam"}, "id"),
    ],
)
def test_a_bad_partner_is_refused_on_its_field(
    client: TestClient, world: World, runtime: Runtime, values: dict[str, str], field: str
) -> None:
    answer = post_form(client, "/console/partners", "/console/partners", values)
    assert answer.status_code in (409, 422)
    assert field_error(answer.text, field)
    assert client.get("/v1/partners/ok-id", headers=bearer(world.admin_token)).status_code == 404
    assert api_get(client, world, "/v1/partners/wijkteam-noord")["name"] == "Wijkteam-Noord"


def _registered(page: str) -> str:
    found = re.search(r"Client-id: <code>(cl_[0-9a-f]+)</code>", page)
    assert found, page
    return found.group(1)


def test_a_client_registered_with_a_public_key_file_gets_a_token_and_can_be_revoked(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    pem, public = ec_key()
    kid = f"k-{uuid.uuid4().hex[:6]}"
    page = "/console/partners/wijkteam-noord"
    answer = client.post(
        f"{page}/clients",
        data={
            "csrf": post_form_token(client, page),
            "role": "partner",
            "authMethod": "private_key_jwt",
        },
        files={
            "keyfile": ("wijkteam.jwk.json", json.dumps({**public, "kid": kid}), "application/json")
        },
    )
    assert answer.status_code == 201, answer.text
    client_id = _registered(answer.text)
    assert "Het geheim staat alleen hier" not in answer.text
    creds = Credentials(client_id, "wijkteam-noord", "partner", private_pem=pem, kid=kid)
    assert token(client, creds, purpose="signalering")
    assert person_events(runtime, world, "client.create")[0]["resource_id"] == client_id

    post_form(client, page, f"{page}/clients/{client_id}/revoke", {})
    assert person_events(runtime, world, "client.revoke")[0]["resource_id"] == client_id
    with pytest.raises(Exception):  # noqa: B017 - Authlib's OAuthError: invalid_client
        token(client, creds, purpose="signalering")


def test_another_partners_client_or_an_unknown_partner_is_not_found(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    school = world.neighbourhood.school.client_id
    page = "/console/partners/wijkteam-noord"
    answer = post_form(client, page, f"{page}/clients/{school}/revoke", {})
    assert answer.status_code == 404
    clients = client.get(
        "/v1/partners/obs-de-linde/clients", headers=bearer(world.admin_token)
    ).json()["items"]
    assert {c["status"] for c in clients} == {"active"}
    for path in (
        "/console/partners/bestaat-niet",
        "/console/agreements/bestaat-niet",
        f"{AGREEMENT}?version=9",
        f"{AGREEMENT}/diff?from=1&to=9",
        f"{AGREEMENT}/export?version=9",
        "/console/webhooks/bestaat-niet",
    ):
        assert client.get(path).status_code == 404
    answer = post_form(client, page, "/console/partners/bestaat-niet/status", {"status": "active"})
    assert answer.status_code == 404
    denied = [e["outcome"] for e in person_events(runtime, world, "client.revoke")]
    assert denied == ["deny"]


def post_form_token(client: TestClient, page: str) -> str:
    from tests.console.conftest import form_token

    return form_token(client.get(page))


def test_a_secret_is_shown_once_and_works(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    page = "/console/partners/obs-de-linde"
    answer = post_form(
        client, page, f"{page}/clients", {"role": "partner", "authMethod": "client_secret_basic"}
    )
    assert answer.status_code == 201
    secret = re.search(r'class="secret"><code>([^<]+)</code>', answer.text)
    assert secret
    creds = Credentials(_registered(answer.text), "obs-de-linde", "partner", secret=secret.group(1))
    assert token(client, creds, purpose="afstemming")
    assert secret.group(1) not in client.get(page).text
    with runtime.db.engine.connect() as connection:
        stored = repr(connection.execute(text("SELECT * FROM clients")).all())
    assert secret.group(1) not in stored


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("not json", "geen JSON"),
        ('{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"}', "privésleutel"),
        ('{"kty": "RSA", "n": "AA", "e": "AQAB"}', "geweigerd"),
        ("", "Kies het bestand"),
    ],
)
def test_a_bad_public_key_is_refused_on_its_field(
    client: TestClient, world: World, runtime: Runtime, key: str, message: str
) -> None:
    page = "/console/partners/wijkteam-noord"
    answer = post_form(
        client,
        page,
        f"{page}/clients",
        {"role": "partner", "authMethod": "private_key_jwt", "jwks": key},
    )
    assert answer.status_code == 422
    assert message in field_error(answer.text, "keyfile" if not key else "jwks")
    assert person_events(runtime, world, "client.create") == []


# Agreements


def test_the_matrix_shows_who_may_share_what(client: TestClient, world: World) -> None:
    page = client.get("/console/agreements")
    assert page.status_code == 200
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td><code>(.*?)</code>", page.text)
    assert ("Kinderwerk-Noord", "Wijkteam-Noord", "signalering") in rows
    assert ("Kinderwerk-Noord", "elke partij van de soort school", "afstemming") in rows
    assert "toestemming (a)" in page.text and "365 dagen" in page.text and "180 dagen" in page.text


def _edit_data(client: TestClient, **changes: str) -> dict[str, str | list[str]]:
    """The edit form as a browser would send it, with `changes` to its fields."""
    page = client.get(f"{AGREEMENT}/edit").text
    data: dict[str, str | list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        named = re.search(r'name="([^"]+)"[^>]*value="([^"]*)"', tag)
        if named and 'type="checkbox"' not in tag and 'type="file"' not in tag:
            data[named.group(1)] = html.unescape(named.group(2))
    for name, value in re.findall(
        r'<input type="checkbox" id="[^"]+" name="([^"]+)" value="([^"]+)" checked', page
    ):
        existing = data.get(name)
        data[name] = [*existing, value] if isinstance(existing, list) else [value]
    for name, value in re.findall(
        r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', page
    ):
        data[name] = html.unescape(value)
    for name, block in re.findall(
        r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', page, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected>', block)
        data[name] = chosen.group(1) if chosen else ""
    data.update(changes)
    return data


def test_a_new_version_is_written_in_the_form_and_diffed(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    data = _edit_data(client, **{"rules-0-retentionDays": "200", "title": "Convenant Noord 2027"})
    assert data["base"] == "1" and data["rules-0-sender"] == "kinderwerk-noord"
    answer = client.post(AGREEMENT, data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    stored = api_get(client, world, "/v1/agreements/convenant-noord")
    assert stored["version"] == 2 and stored["title"] == "Convenant Noord 2027"
    assert stored["createdBy"] == world.people["admin"].id
    assert [rule["retentionDays"] for rule in stored["rules"]] == [200, 180]  # type: ignore[index]
    event = person_events(runtime, world, "agreement.update")[0]
    assert event["agreement_version"] == 2 and event["outcome"] == "allow"

    diff = client.get(f"{AGREEMENT}/diff", params={"from": "1", "to": "2"}).text
    assert "Convenant Noord 2027" in diff and "gewijzigd" in diff
    assert "365 dagen" in diff and "200 dagen" in diff
    assert "afstemming" not in diff.split("Gewijzigde delingen")[1]  # unchanged rule not shown

    stale = client.post(AGREEMENT, data={**data, "title": "Te laat"})
    assert stale.status_code == 409
    assert "intussen" in field_error(stale.text, "title")
    assert api_get(client, world, "/v1/agreements/convenant-noord")["version"] == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"rules-1-retentionDays": "9999"}, "rules-1-retentionDays", "tussen 1 en 730 dagen"),
        ({"rules-0-recipient": "politie-noord"}, "rules-0-recipient", "geen partij"),
        ({"rules-0-legalBasis": "consent"}, "rules-0-requiresConsent", "toestemming"),
        ({"rules-0-purposes": "onbekend"}, "rules-0-purposes", "geen doel"),
        ({"validUntil": "2025-01-01"}, "validUntil", "niet vóór"),
        ({"validFrom": "gisteren"}, "validFrom", "datum"),
        ({"parties": "kinderwerk-noord\nbestaat-niet"}, "parties", "geen geregistreerde partner"),
        ({"purposes": "zonder omschrijving"}, "purposes", "woord: omschrijving"),
    ],
)
def test_a_bad_version_is_refused_on_the_offending_field(
    client: TestClient,
    world: World,
    runtime: Runtime,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    answer = client.post(AGREEMENT, data=_edit_data(client, **changes))
    assert answer.status_code == 422
    assert message in field_error(answer.text, field)
    assert api_get(client, world, "/v1/agreements/convenant-noord")["version"] == 1
    for value in changes.values():
        assert f'value="{value}"' in answer.text or f">{value}<" in answer.text  # kept


def test_a_rule_is_taken_out_by_emptying_it_and_a_new_agreement_is_made(
    client: TestClient, world: World
) -> None:
    data = _edit_data(client, **{"rules-1-sender": "", "rules-1-recipient": ""})
    assert client.post(AGREEMENT, data=data, follow_redirects=False).status_code == 303
    assert len(api_get(client, world, "/v1/agreements/convenant-noord")["rules"]) == 1  # type: ignore[arg-type]

    new = client.get("/console/agreements/new").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', new)
    assert csrf
    answer = client.post(
        "/console/agreements",
        data={
            "csrf": csrf.group(1),
            "id": "convenant-zuid",
            "title": "Convenant Zuid",
            "validFrom": "2026-01-01",
            "status": "active",
            "parties": "obs-de-linde\nwijkteam-noord",
            "purposes": "afstemming: Afstemmen rond een kind",
            "rules": "1",
            "rules-0-sender": "obs-de-linde",
            "rules-0-recipient": "wijkteam-noord",
            "rules-0-purposes": "afstemming",
            "rules-0-categories": "school, gezondheid",
            "rules-0-fields": ["subject", "summary"],
            "rules-0-legalBasis": "public_task",
            "rules-0-retentionDays": "90",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    made = api_get(client, world, "/v1/agreements/convenant-zuid")
    assert made["rules"] == [
        {
            "sender": "obs-de-linde",
            "recipient": "wijkteam-noord",
            "purposes": ["afstemming"],
            "categories": ["school", "gezondheid"],
            "fields": ["subject", "summary"],
            "legalBasis": "public_task",
            "requiresConsent": False,
            "retentionDays": 90,
            "requiresProfessional": False,
            "exchangeContact": False,
        }
    ]
    # Written by the administrator, it waits for the parties' acceptance.
    assert made["status"] == "proposed"


def test_the_second_release_rule_fields_and_regie_survive_the_form(
    client: TestClient, world: World
) -> None:
    new = client.get("/console/agreements/new").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', new)
    assert csrf
    form = {
        "csrf": csrf.group(1),
        "id": "convenant-zorg",
        "title": "Zorgoverleg",
        "validFrom": "2026-01-01",
        "status": "active",
        "parties": "obs-de-linde\nwijkteam-noord",
        "purposes": "zorgoverleg: Samen afstemmen",
        "coordination": "zorgoverleg: kind:wijkteam",
        "rules": "1",
        "rules-0-sender": "wijkteam-noord",
        "rules-0-recipient": "obs-de-linde",
        "rules-0-purposes": "zorgoverleg",
        "rules-0-categories": "opvoeding",
        "rules-0-fields": ["subject", "summary"],
        "rules-0-legalBasis": "public_task",
        "rules-0-retentionDays": "90",
        "rules-0-requiresProfessional": "on",
        "rules-0-exchangeContact": "on",
    }
    answer = client.post("/console/agreements", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    made = api_get(client, world, "/v1/agreements/convenant-zorg")
    assert made["coordination"] == [{"purposes": ["zorgoverleg"], "coordinator": "kind:wijkteam"}]
    assert made["rules"][0]["requiresProfessional"] is True
    assert made["rules"][0]["exchangeContact"] is True
    # The next version starts from this one: nothing of it is lost by opening the form.
    edit = client.get("/console/agreements/convenant-zorg/edit").text
    assert "zorgoverleg: kind:wijkteam" in edit
    assert 'name="rules-0-exchangeContact" value="on" checked' in edit
    # A line that is no "purposes: coordinator" is shown on its field, and nothing is stored.
    bad = client.post(
        "/console/agreements",
        data={**form, "id": "convenant-fout", "coordination": "zorgoverleg"},
        follow_redirects=False,
    )
    assert bad.status_code == 422 and "Regie, regel 1" in bad.text
    missing = client.get("/v1/agreements/convenant-fout", headers=bearer(world.admin_token))
    assert missing.status_code == 404


def test_yaml_goes_out_and_comes_back_in(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    exported = client.get(f"{AGREEMENT}/export")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    document = yaml.safe_load(exported.text)
    shown = {
        key: value
        for key, value in api_get(client, world, "/v1/agreements/convenant-noord").items()
        if key not in ("version", "createdAt", "createdBy", "contentHash", "statusReason")
    }
    # The stored document holds the second release's fields only where they are used.
    if not shown.get("coordination"):
        shown.pop("coordination", None)
    for rule in shown["rules"]:  # type: ignore[union-attr]
        for name in ("requiresProfessional", "exchangeContact"):
            if rule.get(name) is False:
                del rule[name]
    assert document == shown

    def upload(content: str) -> str:
        answer = client.post(
            "/console/agreements/import",
            data={"csrf": post_form_token(client, "/console/agreements/import")},
            files={"file": ("convenant.yaml", content, "application/yaml")},
        )
        return answer.text

    assert "ongewijzigd" in upload(exported.text)
    assert api_get(client, world, "/v1/agreements/convenant-noord")["version"] == 1
    upload(yaml.safe_dump({**document, "title": "Uit YAML"}))
    stored = api_get(client, world, "/v1/agreements/convenant-noord")
    assert stored["version"] == 2 and stored["title"] == "Uit YAML"

    refused = upload("title: [unclosed")
    assert "geen geldige YAML" in field_error(refused, "file")
    refused = upload(yaml.safe_dump({**document, "parties": ["kinderwerk-noord"]}))
    assert "geweigerd" in field_error(refused, "file") and "rules[0].recipient" in refused
    assert api_get(client, world, "/v1/agreements/convenant-noord")["version"] == 2


# The decision tester


def ask(sender: str, recipient: str, purpose: str, category: str, **more: str) -> dict[str, str]:
    return {
        "sender": sender,
        "recipient": recipient,
        "purpose": purpose,
        "category": category,
        **more,
    }


@pytest.mark.parametrize(
    "question",
    [
        ask("kinderwerk-noord", "wijkteam-noord", "signalering", "opvoeding"),
        ask("kinderwerk-noord", "obs-de-linde", "afstemming", "school", bsn="111222333"),
        ask("wijkteam-noord", "kinderwerk-noord", "signalering", "opvoeding"),
    ],
)  # fmt: skip
def test_the_decision_tester_answers_as_the_api(
    client: TestClient, world: World, runtime: Runtime, question: dict[str, str]
) -> None:
    answer = post_form(client, "/console/decisions", "/console/decisions", question)
    assert answer.status_code == 200
    shown = re.search(r'aria-label="Het antwoord als JSON">(.*?)</pre>', answer.text, re.S)
    assert shown
    body = {k: v for k, v in question.items() if k != "bsn"}
    if "bsn" in question:
        body["subject"] = {"bsn": question["bsn"]}  # type: ignore[assignment]
    api = client.post("/v1/decisions", json=body, headers=bearer(world.admin_token))
    assert json.loads(html.unescape(shown.group(1))) == api.json()
    assert ("Toegestaan" in answer.text) is api.json()["allow"]
    assert "111222333" not in answer.text
    event = person_events(runtime, world, "decision.explain")[0]
    assert event["reason"] == ("allow" if api.json()["allow"] else ",".join(api.json()["reasons"]))


def test_the_decision_tester_refuses_bad_input_on_its_field(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    question = {
        "sender": "",
        "recipient": "wijkteam-noord",
        "purpose": "x",
        "category": "y",
        "bsn": "111222334",
    }
    answer = post_form(client, "/console/decisions", "/console/decisions", question)
    assert answer.status_code == 422 and field_error(answer.text, "sender")
    question["sender"] = "kinderwerk-noord"
    answer = post_form(client, "/console/decisions", "/console/decisions", question)
    assert answer.status_code == 422 and "elfproef" in field_error(answer.text, "bsn")
    assert [e["outcome"] for e in person_events(runtime, world, "decision.explain")] == ["deny"]


# Webhooks


def test_failing_webhooks_at_a_glance(
    client: TestClient, world: World, runtime: Runtime, clock: FrozenClock
) -> None:
    wijkteam = bearer(token(client, world.neighbourhood.wijkteam, purpose="signalering"))
    kinderwerk = bearer(token(client, world.neighbourhood.kinderwerk, purpose="signalering"))
    assert "in orde" not in client.get("/console/webhooks").text
    deliverer: Deliverer = deliverer_for(runtime)
    try:
        receiver = Receiver(free_port(), answers=[410])
        with receiving(receiver):
            made = client.post(
                "/v1/subscriptions",
                json={"url": receiver.url, "events": ["signal.created"]},
                headers=wijkteam,
            )
            assert made.status_code == 201
            client.post("/v1/signals", json=SIGNAL, headers=kinderwerk)
            deliverer.drain()
    finally:
        deliverer.close()
    page = client.get("/console/webhooks")
    assert page.status_code == 200
    assert "1 van 1 webhooks" in page.text and "uitgeschakeld" in page.text
    assert "Wijkteam-Noord" in page.text and "HTTP 410" in page.text
    log = client.get(f"/console/webhooks/{made.json()['id']}")
    assert log.status_code == 200 and "mislukt" in log.text and "signal.created" in log.text
    assert person_events(runtime, world, "delivery.list")[0]["resource_id"] == made.json()["id"]
