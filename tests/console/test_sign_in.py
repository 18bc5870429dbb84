"""Local sign-in (password and TOTP) through the console's forms: audited under the person,
limited in attempts, never telling which part was wrong."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import col, select

from core.clock import FrozenClock
from records.models import AuditEvent, PersonSession
from tests.console.conftest import attempt, form_token, sign_in
from tests.factories import counted_refusals
from tests.people.factories import TestPerson, make_person
from wijkdeel.runtime import Runtime

REFUSED = "Aanmelden is niet gelukt"


def events(runtime: Runtime, action: str = "person.sign_in") -> list[AuditEvent]:
    with runtime.db.read_session() as session:
        return list(
            session.exec(
                select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.pk))
            ).all()
        )


def test_sign_in_with_password_and_code(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime, username="anna", role="admin", name="Anna de Vries")
    answer = attempt(client, anna, clock, next_path="/console/people")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/people"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # local development over plain HTTP
    page = client.get("/console")
    assert page.status_code == 200 and "Anna de Vries" in page.text
    [event] = events(runtime)
    assert (event.outcome, event.actor_person, event.role) == ("allow", anna.id, "admin")
    assert event.reason == "local" and event.request_id


def test_a_wrong_password_or_code_is_refused_alike(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime)
    wrong_password = attempt(client, anna, clock, password="not the password")
    wrong_code = attempt(
        client, anna, clock, code="000000" if anna.code(clock) != "000000" else "1"
    )
    for answer in (wrong_password, wrong_code):
        assert answer.status_code == 401 and REFUSED in answer.text
    assert "wijkdeel-session" not in client.cookies
    # The page says the same, the log says which, under the person's name.
    assert [(e.outcome, e.actor_person, e.reason) for e in events(runtime)] == [
        ("deny", anna.id, "bad_password"),
        ("deny", anna.id, "bad_code"),
    ]


def test_a_code_is_good_once(client: TestClient, runtime: Runtime, clock: FrozenClock) -> None:
    anna = make_person(runtime)
    sign_in(client, anna, clock)
    client.cookies.clear()
    again = attempt(client, anna, clock)
    assert again.status_code == 401
    clock.advance(seconds=30)
    assert attempt(client, anna, clock).status_code == 303


def test_an_account_locks_after_five_failures_and_unlocks_later(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime)
    for _ in range(5):
        assert attempt(client, anna, clock, password="guess").status_code == 401
    locked = attempt(client, anna, clock)  # the right password, too late
    assert locked.status_code == 429 and "Te veel mislukte pogingen" in locked.text
    for _ in range(10):
        assert attempt(client, anna, clock).status_code == 429
    refused = events(runtime)
    assert len(refused) == 5  # attempts refused while locked are counted, not logged one by one
    assert refused[-1].reason == "bad_password,locked"
    clock.advance(minutes=15)
    assert attempt(client, anna, clock).status_code == 303
    last = events(runtime)[-1]
    assert (last.outcome, last.count) == ("allow", 11)


def test_unknown_names_lock_the_same_way_and_barely_grow_the_log(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime)
    nobody = TestPerson("x", "nobody", "admin", "pw", anna.totp_secret)
    for person in (nobody, anna):
        for _ in range(5):
            attempt(client, person, clock, password="guess")
        assert attempt(client, person, clock).status_code == 429
    # An account that does not exist names nobody: its refusals are counted per source and
    # minute, and only the first of its window and the one that locked it at that.
    unknown = counted_refusals(client, runtime, action="person.sign_in")
    assert [(e["reason"], e["count"]) for e in unknown] == [
        ("unknown_account", 1),
        ("unknown_account,locked", 1),
    ]


def test_an_address_locks_after_many_names(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime)
    for i in range(20):
        attempt(client, TestPerson("x", f"name-{i}", "admin", "pw", anna.totp_secret), clock)
    # The address is locked now: even the right credentials of another name wait.
    assert attempt(client, anna, clock).status_code == 429
    unknown = counted_refusals(client, runtime, action="person.sign_in")
    assert [e["reason"] for e in unknown] == ["unknown_account", "unknown_account,locked"]


def test_sign_in_rotates_the_session_and_ends_the_one_before(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    attacker = make_person(runtime, username="mallory", role="policymaker")
    victim = make_person(runtime, username="anna", role="admin")
    planted = sign_in(client, attacker, clock)
    # The victim's browser opened the sign-in form; then the attacker planted their own
    # session cookie in it, and the victim signs in.
    client.cookies.clear()
    page = client.get("/console/sign-in")
    client.cookies.set("wijkdeel-session", planted, domain="testserver.local")
    answer = client.post(
        "/console/sign-in",
        data={
            "csrf": form_token(page),
            "username": "anna",
            "password": victim.password,
            "code": victim.code(clock),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    mine = client.cookies.get("wijkdeel-session")
    assert mine and mine != planted
    client.cookies.clear()
    client.cookies.set("wijkdeel-session", planted, domain="testserver.local")
    assert client.get("/console", follow_redirects=False).status_code == 303
    with runtime.db.read_session() as session:
        stored = {row.token_hash for row in session.exec(select(PersonSession)).all()}
    assert mine not in stored and planted not in stored  # only hashes are kept


def test_a_session_id_the_server_never_issued_is_ignored(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime)
    client.cookies.set("wijkdeel-session", "chosen-by-an-attacker", domain="testserver.local")
    sign_in(client, anna, clock)
    assert client.cookies.get("wijkdeel-session") != "chosen-by-an-attacker"


def test_the_sign_in_form_needs_its_token(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime)
    client.get("/console/sign-in")
    data = {"username": "anna", "password": anna.password, "code": anna.code(clock)}
    assert client.post("/console/sign-in", data=data).status_code == 403
    assert client.post("/console/sign-in", data=data | {"csrf": "0" * 64}).status_code == 403
    page = client.get("/console/sign-in")
    other_site = client.post(
        "/console/sign-in",
        data=data | {"csrf": form_token(page)},
        headers={"Origin": "http://evil.example"},
    )
    assert other_site.status_code == 403
    assert events(runtime) == []  # refused before any account was looked at


def test_return_paths_stay_on_the_console(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    for evil in (
        "//evil.example",
        "https://evil.example/console",
        "/console/../v1",
        "/\\evil.example",
        "/console//evil.example",
        "/console?x=1",
        "javascript:alert(1)",
    ):
        page = client.get("/console/sign-in", params={"next": evil})
        assert 'name="next" value="/console"' in page.text, evil
    anna = make_person(runtime)
    answer = attempt(client, anna, clock, next_path="//evil.example")
    assert answer.headers["location"] == "/console"


def test_long_and_odd_input_is_refused_plainly(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime)
    for password, code in (("x" * 100_000, "123456"), ("", ""), ("\x00", "١٢٣٤٥٦")):
        answer = attempt(client, anna, clock, password=password, code=code)
        assert answer.status_code in (401, 429)
    page = client.get("/console/sign-in")
    answer = client.post(
        "/console/sign-in",
        data={"csrf": form_token(page), "username": "<script>" * 50},
    )
    assert answer.status_code in (401, 429) and "<script>" not in answer.text


def test_local_accounts_can_be_switched_off(runtime: Runtime, clock: FrozenClock) -> None:
    from api.app import create_app
    from console import security

    runtime.settings = runtime.settings.model_copy(update={"local_accounts": False})
    anna = make_person(runtime)
    with TestClient(create_app(runtime)) as client:
        page = client.get("/console/sign-in")
        assert 'name="password"' not in page.text
        pre = client.cookies["wijkdeel-pre"]
        answer = client.post(
            "/console/sign-in",
            data={
                "csrf": security.pre_csrf(security.csrf_secret(runtime), pre),
                "username": "anna",
                "password": anna.password,
                "code": anna.code(clock),
            },
        )
        assert answer.status_code == 403 and "uitgeschakeld" in answer.text
    assert events(runtime) == []


def test_a_disabled_person_is_refused(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    from people import accounts

    anna = make_person(runtime)
    with runtime.db.session() as session:
        accounts.set_status(session, accounts.get_person(session, anna.id), "disabled", now=clock())
    assert attempt(client, anna, clock).status_code == 401
    assert events(runtime)[-1].reason == "disabled"
