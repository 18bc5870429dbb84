"""The access report in a real browser: the console's form and report page, and the API's
printable document, each with axe-core (WCAG 2.1 AA), no CSP violation and nothing fetched
from elsewhere; printed, only the report remains."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import BrowserContext, Route, expect

from api.app import create_app
from core.clock import FrozenClock
from tests.api.test_signals import BSN, SUMMARY, Tokens, send
from tests.conftest import settings_for_tests
from tests.console.browser.conftest import (
    LiveServer,
    accessible,
    screenshot,
    sign_in_locally,
    watch,
)
from tests.factories import bootstrap_admin, make_neighbourhood, token
from tests.people.factories import make_person
from wijkdeel.runtime import Runtime
from wijkdeel.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The suite's usual issuer (no OpenID Provider needed here): the signed assertions the
    factories make, such as acceptances of the agreement, name its token endpoint."""
    return settings_for_tests(tmp_path / "var")


@pytest.fixture
def tokens(runtime: Runtime, live: LiveServer) -> Iterator[Tokens]:
    """API.md's neighbourhood and a signal read by the wijkteam and tried by the school."""
    with TestClient(create_app(runtime), base_url="http://testserver") as client:
        world = make_neighbourhood(client, token(client, bootstrap_admin(runtime)))
        tokens = Tokens(client, world)
        sent = send(client, tokens.kinderwerk)
        assert client.get(f"/v1/signals/{sent['id']}", headers=tokens.wijkteam).is_success
        assert client.get(f"/v1/signals/{sent['id']}", headers=tokens.school).status_code == 404
        yield tokens


def test_an_auditor_makes_the_report_for_a_parent(
    context: BrowserContext, live: LiveServer, runtime: Runtime, clock: FrozenClock, tokens: Tokens
) -> None:
    person = make_person(runtime, username="auditor", role="auditor", name="Bram Controle")
    watched = watch(context, live.url)
    page = watched.page
    sign_in_locally(page, person, clock)
    page.get_by_role("main").get_by_role("link", name="Inzage voor ouders").click()
    expect(page.get_by_role("heading", name="Inzage voor ouders", level=1)).to_be_visible()
    accessible(page)

    field = page.get_by_label("Burgerservicenummer van het kind")
    field.fill("111222334")
    page.get_by_role("button", name="Overzicht maken").click()
    expect(page.get_by_role("alert")).to_contain_text("Vul een geldig burgerservicenummer in")
    expect(field).to_have_attribute("aria-invalid", "true")
    accessible(page)
    # The refusal is a 422, which the browser reports; that one is expected.
    assert watched.errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]
    watched.errors.clear()

    field.fill(BSN)
    page.get_by_role("button", name="Overzicht maken").click()
    report = page.get_by_role("region", name="Overzicht voor de ouder")
    expect(report.get_by_role("heading", level=1)).to_have_text(
        "Wat er in wijkdeel over uw kind is vastgelegd"
    )
    expect(report).to_contain_text("Heeft het signaal bekeken")
    expect(report).to_contain_text("deze organisatie is niet betrokken bij het signaal")
    expect(report).not_to_contain_text(SUMMARY)
    accessible(page)
    screenshot(page, "subject-access")

    # On paper: the report alone, without the console's header, menu and form.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Overzicht maken")).to_be_hidden()
    expect(report.get_by_role("heading", level=1)).to_be_visible()
    page.emulate_media(media="screen")
    watched.clean()


def test_the_printable_page_of_the_api(
    context: BrowserContext, live: LiveServer, runtime: Runtime, tokens: Tokens
) -> None:
    answer = context.request.post(
        f"{live.url}/v1/subject-access",
        data={"bsn": BSN},
        headers={**tokens.kinderwerk, "accept": "text/html"},
    )
    assert answer.ok
    # Opened as the partner's system would hand it on: the document with its own headers.
    headers = {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": answer.headers["content-security-policy"],
    }
    watched = watch(context, live.url)
    page = watched.page

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, headers=headers, body=answer.body())

    page.route(f"{live.url}/report-for-parent", fulfil)
    page.goto("/report-for-parent")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Wat Kinderwerk-Noord over uw kind heeft vastgelegd"
    )
    expect(page.get_by_text(SUMMARY)).to_be_visible()
    # The embedded stylesheet applies (its hash is in the policy): headings get their rule.
    border = page.locator("h2").first.evaluate("e => getComputedStyle(e).borderTopStyle")
    assert border == "solid"
    accessible(page)
    page.emulate_media(media="print")
    screenshot(page, "subject-access-document")
    watched.clean()
