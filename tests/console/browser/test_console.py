"""The console in a real browser: each way of signing in, the pages of each role, and the
protections a browser must see working. Every page is checked with axe-core (WCAG 2.1 AA)."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, expect

from core.clock import FrozenClock
from tests.console.browser.conftest import (
    LiveServer,
    Provider,
    accessible,
    screenshot,
    sign_in_locally,
    watch,
)
from tests.factories import counted_refusals
from tests.people.factories import make_person
from wijkdeel.runtime import Runtime


@pytest.mark.all_backends
def test_each_role_signs_in_with_password_and_code(
    context: BrowserContext, live: LiveServer, runtime: Runtime, clock: FrozenClock
) -> None:
    people = [
        make_person(runtime, username="beheerder", role="admin", name="Anna Beheer"),
        make_person(runtime, username="auditor", role="auditor", name="Bram Controle"),
        make_person(runtime, username="beleid", role="policymaker", name="Carla Cijfers"),
    ]
    watched = watch(context, live.url)
    page = watched.page
    page.goto("/console")
    expect(page).to_have_url(f"{live.url}/console/sign-in?next=%2Fconsole")
    expect(page.get_by_role("heading", name="Aanmelden", level=1)).to_be_visible()
    accessible(page)
    screenshot(page, "sign-in")
    for person in people:
        sign_in_locally(page, person, clock)
        expect(page).to_have_url(f"{live.url}/console")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
        accessible(page)
        screenshot(page, f"start-{person.role}")
        page.get_by_role("link", name="Mijn account").click()
        expect(page.locator(".facts")).to_contain_text(person.username)
        accessible(page)
        if person.role == "admin":
            screenshot(page, "account")
            page.get_by_role("navigation").get_by_role("link", name="Personen").click()
            expect(page.get_by_role("table")).to_contain_text("Carla Cijfers")
            accessible(page)
            screenshot(page, "people")
        page.get_by_role("button", name="Afmelden").click()
        expect(page.get_by_role("status")).to_have_text("U bent afgemeld.")
        accessible(page)
    watched.clean()


@pytest.mark.all_backends
def test_sign_in_with_openid_connect(
    context: BrowserContext,
    live: LiveServer,
    runtime: Runtime,
    clock: FrozenClock,
    oidc_provider: Provider,
) -> None:
    anna = make_person(
        runtime,
        username="anna",
        role="auditor",
        name="Anna OIDC",
        local=False,
        oidc=(oidc_provider.issuer, "anna"),
    )
    # (Not watched for foreign requests: the provider's own login page asks for web fonts.)
    page = context.new_page()
    page.goto("/console/people")
    page.get_by_role("link", name="Inloggen via de gemeente").click()
    expect(page).to_have_url(re.compile("^" + re.escape(oidc_provider.issuer)))
    page.locator("input[name=login]").fill("anna")
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()
    # Back at wijkdeel, signed in; the auditor may not open the page she asked for.
    expect(page.get_by_role("heading", name="Geen toegang")).to_be_visible()
    page.get_by_role("link", name="Naar de startpagina").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom, Anna OIDC")
    page.get_by_role("link", name="Mijn account").click()
    expect(page.get_by_text("het account van uw organisatie")).to_be_visible()
    from sqlmodel import select

    from records.models import AuditEvent

    with runtime.db.read_session() as session:
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "person.sign_in", AuditEvent.outcome == "allow"
            )
        ).one()
    assert (event.actor_person, event.role, event.reason) == (anna.id, "auditor", "oidc")


def test_an_unknown_person_at_the_provider_is_refused(
    context: BrowserContext, live: LiveServer, oidc_provider: Provider
) -> None:
    page = context.new_page()
    page.goto("/console/sign-in")
    page.get_by_role("link", name="Inloggen via de gemeente").click()
    page.locator("input[name=login]").fill("onbekend")
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()
    expect(page.get_by_role("heading", name="Geen toegang")).to_be_visible()
    expect(page.locator("code")).to_have_text("onbekend")  # the `sub` to pass on to an admin
    accessible(page)
    screenshot(page, "oidc-unknown-person")


def test_an_expired_id_token_is_refused(
    context: BrowserContext,
    live: LiveServer,
    runtime: Runtime,
    clock: FrozenClock,
    oidc_provider: Provider,
) -> None:
    make_person(runtime, username="anna", local=False, oidc=(oidc_provider.issuer, "anna"))
    # wijkdeel's clock runs two hours ahead of the provider's: the ID token (valid one hour)
    # has expired by the time it arrives, while the sign-in flow itself is fresh.
    clock.advance(hours=2)
    page = context.new_page()
    page.goto("/console/sign-in")
    page.get_by_role("link", name="Inloggen via de gemeente").click()
    page.locator("input[name=login]").fill("anna")
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("Aanmelden via uw organisatie is niet gelukt")
    assert "wijkdeel-session" not in {c["name"] for c in context.cookies()}
    from sqlmodel import select

    from records.models import AuditEvent

    with runtime.db.read_session() as session:
        named = session.exec(select(AuditEvent).where(AuditEvent.action == "person.sign_in")).all()
    assert named == []  # an ID token that does not verify names nobody: counted instead
    [counted] = counted_refusals(None, runtime, action="person.sign_in")
    assert (counted["outcome"], counted["reason"], counted["count"]) == (
        "deny",
        "id_token_expired_token",
        1,
    )


@pytest.mark.all_backends
def test_the_session_ends_when_idle(
    context: BrowserContext, live: LiveServer, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime)
    page = context.new_page()
    sign_in_locally(page, anna, clock)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
    clock.advance(minutes=14)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
    clock.advance(minutes=15)
    page.reload()
    expect(page.get_by_role("heading", name="Aanmelden", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Uw sessie is beëindigd. Meld u opnieuw aan.")
    accessible(page)


@pytest.mark.all_backends
def test_a_signed_out_session_cannot_be_replayed(
    browser: object,
    context: BrowserContext,
    live: LiveServer,
    runtime: Runtime,
    clock: FrozenClock,
) -> None:
    anna = make_person(runtime)
    page = context.new_page()
    sign_in_locally(page, anna, clock)
    stolen = context.cookies()
    assert any(c["name"] == "wijkdeel-session" and c["httpOnly"] for c in stolen)
    page.get_by_role("button", name="Afmelden").click()
    expect(page.get_by_role("status")).to_have_text("U bent afgemeld.")
    other = browser.new_context(base_url=live.url)  # type: ignore[attr-defined]
    other.add_cookies(stolen)
    replay = other.new_page()
    replay.goto("/console")
    expect(replay.get_by_role("heading", name="Aanmelden", level=1)).to_be_visible()
    other.close()


def test_a_page_not_for_the_role_gives_403(
    context: BrowserContext, live: LiveServer, runtime: Runtime, clock: FrozenClock
) -> None:
    carla = make_person(runtime, username="beleid", role="policymaker", name="Carla Cijfers")
    page = context.new_page()
    sign_in_locally(page, carla, clock)
    expect(page.get_by_role("navigation")).not_to_contain_text("Personen")
    response = page.goto("/console/people")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Geen toegang")).to_be_visible()
    accessible(page)
    screenshot(page, "forbidden")
    missing = page.goto("/console/does-not-exist")
    assert missing is not None and missing.status == 404
    accessible(page)


@pytest.fixture
def other_site(live: LiveServer) -> Iterator[str]:
    """A page on another site (localhost is another site than 127.0.0.1) whose form posts to
    wijkdeel's sign-out, as a cross-site request forgery would."""
    target = {"action": f"{live.url}/console/sign-out"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (
                f'<form method="post" action="{target["action"]}">'
                '<input type="hidden" name="csrf" value="guess">'
                '<button type="submit">Win a prize</button></form>'
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_forged_forms_are_refused(
    context: BrowserContext,
    live: LiveServer,
    runtime: Runtime,
    clock: FrozenClock,
    other_site: str,
) -> None:
    anna = make_person(runtime)
    page = context.new_page()
    sign_in_locally(page, anna, clock)
    # The form without its token.
    page.evaluate("document.querySelector('input[name=csrf]').remove()")
    page.get_by_role("button", name="Afmelden").click()
    expect(page.get_by_role("heading", name="Formulier geweigerd")).to_be_visible()
    accessible(page)
    # A form on another site.
    evil = context.new_page()
    evil.goto(other_site)
    evil.get_by_role("button", name="Win a prize").click()
    evil.wait_for_load_state()
    assert "Welkom" not in evil.content()
    page.goto("/console")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")  # still signed in


def test_a_one_time_password_is_replaced_in_a_form_that_explains_itself(
    context: BrowserContext, live: LiveServer, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime, username="anna", name="Anna de Vries", must_change=True)
    page = context.new_page()
    sign_in_locally(page, anna, clock)
    expect(page).to_have_url(f"{live.url}/console/password")
    expect(page.get_by_role("status")).to_contain_text("eenmalig wachtwoord")
    accessible(page)
    page.get_by_label("Huidig wachtwoord").fill(anna.password)
    page.get_by_label("Nieuw wachtwoord").fill("te kort")
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill("te kort")
    page.get_by_role("button", name="Wachtwoord opslaan").click()
    new = page.get_by_label("Nieuw wachtwoord")
    expect(new).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Kies een wachtwoord van 12")
    accessible(page)
    screenshot(page, "password-errors")
    page.get_by_label("Huidig wachtwoord").fill(anna.password)
    new.fill("een zin van vier woorden")
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill("een zin van vier woorden")
    page.get_by_role("button", name="Wachtwoord opslaan").click()
    expect(page.get_by_role("status")).to_have_text("Uw wachtwoord is gewijzigd.")


def test_the_api_docs_load_everything_from_wijkdeel(
    context: BrowserContext, live: LiveServer
) -> None:
    watched = watch(context, live.url)
    page = watched.page
    page.goto("/docs")
    expect(page.get_by_role("heading", name=re.compile("^wijkdeel"))).to_be_visible()
    operation = page.locator(".opblock-summary-control").first
    operation.click()  # an operation opens, rendered by Swagger UI's scripts
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    accessible(page)  # with console/static/console/docs.css darkening Swagger UI's colours
    screenshot(page, "docs", full_page=False)
    watched.clean()  # no CDN, and not one Content-Security-Policy violation
