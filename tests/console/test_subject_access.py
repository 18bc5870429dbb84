"""The access report from the console: a BSN typed into a form (POST, CSRF) by an administrator
or auditor gives the report the API gives, audited under the person."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from core.clock import FrozenClock
from tests.api.test_signals import BSN, NAME, SUMMARY, Tokens, send
from tests.console.conftest import form_token, sign_in
from tests.factories import (
    audit_events,
    audit_ref,
    bearer,
    bootstrap_admin,
    make_client,
    make_neighbourhood,
    token,
)
from tests.people.factories import TestPerson, make_person
from wijkdeel.runtime import Runtime

PATH = "/console/subject-access"
REPORT = re.compile(r'<div class="ar" lang="nl">.*</div>\s*</section>', re.S)


@pytest.fixture
def tokens(client: TestClient, runtime: Runtime) -> Tokens:
    admin = token(client, bootstrap_admin(runtime))
    world = make_neighbourhood(client, admin)
    tokens = Tokens(client, world)
    sent = send(client, tokens.kinderwerk)
    assert client.get(f"/v1/signals/{sent['id']}", headers=tokens.wijkteam).is_success
    assert client.get(f"/v1/signals/{sent['id']}", headers=tokens.school).status_code == 404
    return tokens


def ask(client: TestClient, bsn: str = BSN, csrf: str | None = None) -> str:
    page = client.get(PATH)
    assert page.status_code == 200
    answer = client.post(PATH, data={"csrf": csrf or form_token(page), "bsn": bsn})
    return answer.text if answer.status_code == 200 else f"{answer.status_code}"


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_a_person_gets_the_report_the_api_gives(
    client: TestClient, runtime: Runtime, clock: FrozenClock, tokens: Tokens, role: str
) -> None:
    person: TestPerson = make_person(runtime, role=role)
    sign_in(client, person, clock)
    start = client.get("/console").text
    assert f'href="{PATH}"' in start and "Inzage voor ouders" in start

    page = client.get(PATH)
    assert page.status_code == 200 and 'name="bsn"' in page.text
    answer = client.post(PATH, data={"csrf": form_token(page), "bsn": BSN})
    assert answer.status_code == 200
    policy = answer.headers["content-security-policy"]
    assert "script-src" not in policy and re.search(r"style-src 'self' 'sha256-", policy)
    html = answer.text
    assert "Wat er in wijkdeel over uw kind is vastgelegd" in html
    assert "Heeft het signaal bekeken" in html and "Geweigerd" in html
    assert "<script" not in html and "style=" not in html
    # Everything about the child, nothing of its content and not the BSN.
    for personal in (BSN, NAME, SUMMARY, "Petra Jansen"):
        assert personal not in html

    # The same report as the API's for an auditor, word for word (the clock stands still).
    auditor = make_client(client, tokens.world.admin_token, partner="gemeente", role="auditor")
    api = client.post(
        "/v1/subject-access",
        json={"bsn": BSN},
        headers={**bearer(token(client, auditor)), "accept": "text/html"},
    )
    console_report = REPORT.search(html)
    api_report = re.search(r'<div class="ar" lang="nl">.*</div>', api.text, re.S)
    assert console_report and api_report
    assert console_report.group(0).removesuffix("</section>").strip() == api_report.group(0)

    [event] = audit_events(runtime, action="subject.access", actor_person=person.id)
    assert (event["outcome"], event["role"], event["reason"]) == ("allow", role, "console")
    assert event["subject_ref"] == audit_ref(runtime, BSN) and event["count"] == 1
    assert BSN not in repr(audit_events(runtime))


def test_a_bad_bsn_is_refused_without_echo_and_audited(
    client: TestClient, runtime: Runtime, clock: FrozenClock, tokens: Tokens
) -> None:
    person = make_person(runtime, role="auditor")
    sign_in(client, person, clock)
    page = client.get(PATH)
    for bsn in ("111222334", "12345", "", "<b>x</b>"):
        answer = client.post(PATH, data={"csrf": form_token(page), "bsn": bsn})
        assert answer.status_code == 422, bsn
        assert "Vul een geldig burgerservicenummer in" in answer.text
        assert 'aria-invalid="true"' in answer.text
        assert "111222334" not in answer.text and "<b>x" not in answer.text
    refused = audit_events(runtime, action="subject.access", actor_person=person.id)
    assert len(refused) == 4 and {e["outcome"] for e in refused} == {"deny"}


def test_an_unknown_child_gives_an_empty_report(
    client: TestClient, runtime: Runtime, clock: FrozenClock, tokens: Tokens
) -> None:
    sign_in(client, make_person(runtime, role="auditor"), clock)
    assert "Er zijn in wijkdeel geen signalen over uw kind." in ask(client, "100000009")


def test_the_form_needs_its_csrf_token_and_the_right_role(
    client: TestClient, runtime: Runtime, clock: FrozenClock, tokens: Tokens
) -> None:
    sign_in(client, make_person(runtime, role="auditor"), clock)
    forged = client.post(PATH, data={"csrf": "x" * 43, "bsn": BSN})
    assert forged.status_code == 403 and "Formulier geweigerd" in forged.text
    assert audit_events(runtime, action="subject.access") == []
    client.cookies.clear()
    sign_in(client, make_person(runtime, username="piet", role="policymaker"), clock)
    assert client.get(PATH).status_code == 403
    assert f'href="{PATH}"' not in client.get("/console").text
    client.cookies.clear()
    assert client.get(PATH, follow_redirects=False).status_code == 303
