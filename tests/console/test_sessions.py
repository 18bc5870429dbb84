"""Sessions: idle timeout and lifetime on the injected clock, sign-out that ends them
server-side, CSRF on every form, the 403 page, and the headers every page carries."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from api.app import create_app
from core.clock import FrozenClock
from people import accounts
from records.models import AuditEvent
from tests.conftest import settings_for_tests
from tests.console.conftest import attempt, form_token, sign_in
from tests.people.factories import make_person
from wijkdeel.runtime import Runtime, build_runtime


def audit(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.db.read_session() as session:
        return list(
            session.exec(
                select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.pk))
            ).all()
        )


def signed_in(client: TestClient) -> bool:
    return client.get("/console", follow_redirects=False).status_code == 200


def test_a_session_ends_after_15_idle_minutes(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    sign_in(client, make_person(runtime), clock)
    clock.advance(minutes=14, seconds=59)
    assert signed_in(client)  # and the idle clock starts again
    clock.advance(minutes=14, seconds=59)
    assert signed_in(client)
    clock.advance(minutes=15)
    answer = client.get("/console/people", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=%2Fconsole%2Fpeople&m=ended"
    clock.advance(seconds=-60)  # the session stays over, even if the clock were set back
    assert not signed_in(client)


def test_a_session_ends_after_8_hours_however_busy(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    sign_in(client, make_person(runtime), clock)
    for _ in range(47):
        clock.advance(minutes=10)
        assert signed_in(client)
    clock.advance(minutes=10)  # 8 hours since sign-in
    assert not signed_in(client)


def test_sign_out_ends_the_session_and_its_cookie_cannot_be_replayed(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime)
    cookie = sign_in(client, anna, clock)
    page = client.get("/console")
    answer = client.post(
        "/console/sign-out", data={"csrf": form_token(page)}, follow_redirects=False
    )
    assert (
        answer.status_code == 303 and answer.headers["location"] == "/console/sign-in?m=signed_out"
    )
    assert (
        'wijkdeel-session=""' in answer.headers["set-cookie"]
        or "Max-Age=0" in answer.headers["set-cookie"]
    )
    client.cookies.clear()
    client.cookies.set("wijkdeel-session", cookie, domain="testserver.local")
    assert not signed_in(client)
    [event] = audit(runtime, "person.sign_out")
    assert (event.outcome, event.actor_person, event.role) == ("allow", anna.id, "admin")


def test_forms_need_the_token_of_their_own_session(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    sign_in(client, make_person(runtime, username="anna"), clock)
    mine = form_token(client.get("/console"))
    other = TestClient(client.app)
    clock.advance(seconds=30)
    sign_in(other, make_person(runtime, username="bram"), clock)
    theirs = form_token(other.get("/console"))
    for data in ({}, {"csrf": ""}, {"csrf": "x" * 64}, {"csrf": theirs}):
        answer = client.post("/console/sign-out", data=data, follow_redirects=False)
        assert answer.status_code == 403 and "Formulier geweigerd" in answer.text
    from_elsewhere = client.post(
        "/console/sign-out",
        data={"csrf": mine},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert from_elsewhere.status_code == 403
    assert signed_in(client)  # nothing was done
    assert audit(runtime, "person.sign_out") == []


def test_a_page_not_for_the_role_is_403_and_audited(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    carla = make_person(runtime, username="carla", role="policymaker")
    sign_in(client, carla, clock)
    answer = client.get("/console/people")
    assert answer.status_code == 403 and "Geen toegang" in answer.text
    assert 'href="/console/people"' not in answer.text  # not in the navigation either
    [event] = audit(runtime, "console.open")
    assert (event.outcome, event.actor_person, event.role, event.resource_id) == (
        "deny",
        carla.id,
        "policymaker",
        "people",
    )


def test_the_people_page_is_for_administrators_and_audited(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime, username="anna", role="admin", name="Anna de Vries")
    make_person(
        runtime,
        username="bram",
        role="auditor",
        name="Bram Jansen",
        local=False,
        oidc=("https://idp.example", "sub-bram"),
    )
    sign_in(client, anna, clock)
    page = client.get("/console/people")
    assert page.status_code == 200
    assert "Bram Jansen" in page.text and "organisatie" in page.text and "auditor" in page.text
    [event] = audit(runtime, "person.list")
    assert (event.actor_person, event.role, event.count) == (anna.id, "admin", 2)


def test_every_page_carries_a_strict_policy(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    sign_in(client, make_person(runtime), clock)
    for path in (
        "/console/sign-in",
        "/console",
        "/console/people",
        "/console/account",
        "/console/password",
        "/console/nothing-here",
    ):
        answer = client.get(path)
        policy = answer.headers["content-security-policy"]
        assert "unsafe-inline" not in policy and "http" not in policy, path
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert '<html lang="nl">' in answer.text
        # Nothing is loaded from anywhere else, and no inline script or style.
        assert not re.search(r'(src|href)="(https?:)?//', answer.text), path
        assert "<script" not in answer.text and "style=" not in answer.text
    assert client.get("/console/nothing-here").status_code == 404
    css = client.get("/static/console/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_the_api_docs_are_served_from_here(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/static/") for s in sources)
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert "<script>" not in page.text  # only <script src=...>


def test_the_api_docs_can_be_switched_off(db, tmp_path, clock: FrozenClock) -> None:  # type: ignore[no-untyped-def]
    runtime = build_runtime(settings_for_tests(tmp_path, docs=False), db=db, clock=clock)
    with TestClient(create_app(runtime)) as client:
        assert client.get("/docs").status_code == 404


def test_a_one_time_password_must_be_replaced_first(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime, must_change=True)
    elsewhere = TestClient(client.app)
    sign_in(elsewhere, anna, clock)
    clock.advance(seconds=30)
    answer = attempt(client, anna, clock)
    assert answer.headers["location"] == "/console/password"
    assert client.get("/console/people", follow_redirects=False).headers["location"] == (
        "/console/password"
    )
    page = client.get("/console/password")
    token = form_token(page)
    short = client.post(
        "/console/password",
        data={"csrf": token, "current": anna.password, "new": "short", "repeat": "short"},
    )
    assert short.status_code == 422 and 'aria-invalid="true"' in short.text
    mismatch = client.post(
        "/console/password",
        data={
            "csrf": token,
            "current": anna.password,
            "new": "a long new passphrase",
            "repeat": "another",
        },
    )
    assert mismatch.status_code == 422 and "niet gelijk" in mismatch.text
    wrong = client.post(
        "/console/password",
        data={
            "csrf": token,
            "current": "not it",
            "new": "a long new passphrase",
            "repeat": "a long new passphrase",
        },
    )
    assert wrong.status_code == 422 and "klopt niet" in wrong.text
    done = client.post(
        "/console/password",
        data={
            "csrf": token,
            "current": anna.password,
            "new": "a long new passphrase",
            "repeat": "a long new passphrase",
        },
        follow_redirects=False,
    )
    assert (
        done.status_code == 303
        and done.headers["location"] == "/console/account?m=password_changed"
    )
    assert signed_in(client)
    assert not signed_in(elsewhere)  # a password change ends the other sessions
    changes = audit(runtime, "person.password_change")
    assert [(e.outcome, e.actor_person) for e in changes] == [("deny", anna.id), ("allow", anna.id)]
    client.cookies.clear()
    clock.advance(seconds=30)
    assert attempt(client, anna, clock, password="a long new passphrase").status_code == 303


@pytest.mark.parametrize("change", ["disable", "set_role", "reset"])
def test_an_operator_change_ends_the_persons_sessions(
    change: str, client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime)
    sign_in(client, anna, clock)
    keyring = runtime.keyrings.get()
    with runtime.db.session() as session:
        person = accounts.get_person(session, anna.id)
        if change == "disable":
            accounts.set_status(session, person, "disabled", now=clock())
        elif change == "set_role":
            accounts.set_role(session, person, "auditor", now=clock())
        else:
            accounts.set_local_credentials(
                session,
                person,
                password="x",
                password_hash="x",
                must_change=True,
                keyring=keyring,
                now=clock(),
            )
    assert not signed_in(client)


def test_cookies_are_secure_outside_development(db, tmp_path, clock: FrozenClock) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for_tests(
        tmp_path,
        env="production",
        issuer="https://wijkdeel.example.nl",
        secret_hash_memory_kib=65536,
        secret_hash_time_cost=3,
        webhook_allow_private=False,
    )
    runtime = build_runtime(settings, db=db, clock=clock)
    runtime.bootstrap()
    anna = make_person(runtime)
    with TestClient(create_app(runtime), base_url="https://wijkdeel.example.nl") as client:
        page = client.get("/console/sign-in")
        assert "__Host-wijkdeel-pre=" in page.headers["set-cookie"]
        assert "Secure" in page.headers["set-cookie"]
        assert page.headers["strict-transport-security"].startswith("max-age=")
        answer = client.post(
            "/console/sign-in",
            data={
                "csrf": form_token(page),
                "username": anna.username,
                "password": anna.password,
                "code": anna.code(clock),
            },
            follow_redirects=False,
        )
        session_cookie = [c for c in answer.headers.get_list("set-cookie") if "session" in c]
        assert session_cookie and session_cookie[0].startswith("__Host-wijkdeel-session=")
        assert "Secure" in session_cookie[0] and "HttpOnly" in session_cookie[0]
