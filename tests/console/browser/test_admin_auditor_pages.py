"""The administrator's and the auditor's pages in a real browser: each main page is used as a
person would, checked with axe-core (WCAG 2.1 AA), and photographed for the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import BrowserContext, Page, expect

from api.app import create_app
from core.clock import FrozenClock
from tests.console.browser.conftest import (
    LiveServer,
    Watched,
    accessible,
    screenshot,
    sign_in_locally,
    watch,
)
from tests.console.world import BSN, World, make_world
from wijkdeel.runtime import Runtime


@pytest.fixture
def world(runtime: Runtime) -> Iterator[World]:
    with TestClient(create_app(runtime), base_url="http://testserver") as api:
        yield make_world(api, runtime)


def clean(watched: Watched) -> None:
    """Nothing from elsewhere, no script error, no policy violation; the only console messages
    allowed are the browser's notes that a refused form or page came with its 4xx status."""
    assert watched.foreign == [], watched.foreign
    refused = "Failed to load resource: the server responded with a status of 4"
    assert [error for error in watched.errors if not error.startswith(refused)] == []


def checked(page: Page, name: str | None = None) -> None:
    accessible(page)
    if name:
        screenshot(page, name)


def test_the_administrator_works_through_partners_agreements_decisions_and_webhooks(
    context: BrowserContext, live: LiveServer, world: World, clock: FrozenClock
) -> None:
    watched = watch(context, live.url)
    page = watched.page
    sign_in_locally(page, world.people["admin"], clock)
    nav = page.get_by_role("navigation", name="Hoofdmenu")

    nav.get_by_role("link", name="Partners").click()
    expect(page.get_by_role("heading", name="Partners", level=1)).to_be_visible()
    page.get_by_label("Naam", exact=True).fill("Jongerenwerk Zuid")
    page.get_by_label("Id", exact=True).fill("Jongerenwerk Zuid")  # not a slug
    page.get_by_label("Soort organisatie").select_option("jongerenwerk")
    page.get_by_role("button", name="Partner aanmaken").click()
    expect(page.get_by_role("alert")).to_contain_text("kleine letters")
    expect(page.get_by_label("Id", exact=True)).to_have_attribute("aria-invalid", "true")
    checked(page)
    page.get_by_label("Id", exact=True).fill("jongerenwerk-zuid")
    page.get_by_role("button", name="Partner aanmaken").click()
    expect(page.get_by_role("heading", name="Jongerenwerk Zuid", level=1)).to_be_visible()
    page.get_by_label("Aanmelden met").select_option("client_secret_basic")
    page.get_by_role("button", name="Koppeling registreren").click()
    expect(page.get_by_role("heading", name="Koppeling geregistreerd")).to_be_visible()
    expect(page.locator(".secret")).to_be_visible()
    checked(page, "partner-client")
    nav.get_by_role("link", name="Partners").click()
    checked(page, "partners")

    nav.get_by_role("link", name="Convenanten").click()
    expect(page.get_by_role("table").first).to_contain_text("Wijkteam-Noord")
    checked(page, "agreements")
    page.get_by_role("link", name="Convenant zorgsignalen Noord").click()
    page.get_by_role("link", name="Nieuwe versie schrijven").click()
    retention = page.get_by_label("Bewaartermijn in dagen").first
    retention.fill("9999")
    page.get_by_role("button", name="Versie 2 opslaan").click()
    expect(page.get_by_role("alert")).to_contain_text("Regel 1, bewaartermijn")
    expect(page.get_by_label("Bewaartermijn in dagen").first).to_have_attribute(
        "aria-invalid", "true"
    )
    checked(page, "agreement-form-error")
    page.get_by_label("Bewaartermijn in dagen").first.fill("200")
    page.get_by_role("button", name="Versie 2 opslaan").click()
    expect(page.get_by_role("status")).to_have_text("De nieuwe versie is opgeslagen.")
    checked(page, "agreement")
    page.get_by_role("button", name="Vergelijken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verschil tussen versie 1 en 2")
    expect(page.get_by_role("table")).to_contain_text("200 dagen")
    checked(page, "agreement-diff")

    nav.get_by_role("link", name="Beslissing testen").click()
    page.get_by_label("Afzender").select_option("kinderwerk-noord")
    page.get_by_label("Ontvanger").select_option("obs-de-linde")
    page.get_by_label("Doel").fill("afstemming")
    page.get_by_label("Categorie").fill("school")
    page.get_by_label("BSN van een kind (niet verplicht)").fill(BSN)
    page.get_by_role("button", name="Beslissen").click()
    expect(page.get_by_role("heading", name="Geweigerd")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("toestemming nodig")
    assert BSN not in page.url and BSN not in page.content()
    checked(page, "decisions")

    nav.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    checked(page)

    page.goto("/console/audit")
    expect(page.get_by_role("heading", name="Geen toegang")).to_be_visible()
    checked(page)
    clean(watched)


def test_the_auditor_searches_verifies_and_reports_on_a_child(
    context: BrowserContext, live: LiveServer, world: World, clock: FrozenClock
) -> None:
    watched = watch(context, live.url)
    page = watched.page
    sign_in_locally(page, world.people["auditor"], clock)
    nav = page.get_by_role("navigation", name="Hoofdmenu")

    nav.get_by_role("link", name="Auditlog").click()
    expect(page.get_by_role("table")).to_contain_text("signaal ingezien")
    checked(page, "audit-log")
    page.get_by_label("Handeling").fill("Signaal gelezen")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_role("alert")).to_contain_text("signal.read")
    expect(page.get_by_label("Handeling")).to_have_attribute("aria-invalid", "true")
    checked(page)
    page.get_by_label("Handeling").fill("")
    page.get_by_label("Partner", exact=True).select_option("wijkteam-noord")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_role("table")).to_contain_text("Wijkteam-Noord (partner)")
    page.get_by_role("link", name="Gebeurtenis").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Gebeurtenis")
    checked(page, "audit-event")

    nav.get_by_role("link", name="Ketencontrole").click()
    page.get_by_role("button", name="Hele keten controleren").click()
    expect(page.get_by_role("heading", name="De keten is in orde")).to_be_visible()
    checked(page, "audit-verify")
    with page.expect_download() as download:
        page.get_by_role("button", name="Keten controleren en controlepunt downloaden").click()
    line = Path(download.value.path()).read_text().strip()
    page.get_by_label("Controlepuntregel").fill(line)
    page.get_by_role("button", name="Controlepunt controleren").click()
    expect(page.get_by_role("status")).to_contain_text("staat nog ongewijzigd in het log")
    checked(page, "audit-checkpoint")

    nav.get_by_role("link", name="Overzicht per kind").click()
    page.get_by_label("BSN van het kind").fill("123456789")
    page.get_by_role("button", name="Overzicht tonen").click()
    expect(page.get_by_role("alert")).to_contain_text("elfproef")
    checked(page)
    page.get_by_label("BSN van het kind").fill(BSN)
    page.get_by_role("button", name="Overzicht tonen").click()
    expect(page.get_by_role("heading", name="Overzicht van een kind")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("Wijkteam-Noord")
    assert BSN not in page.url and BSN not in page.content()
    checked(page, "subject-report")
    clean(watched)
