"""A neighbourhood for the console's pages: partners, clients and an agreement made through
the API, a signal about one child read by the wijkteam, and a person per role signed in."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi.testclient import TestClient

from core.clock import FrozenClock
from tests.console.conftest import form_token, sign_in
from tests.factories import Neighbourhood, bearer, bootstrap_admin, make_neighbourhood, token
from tests.people.factories import TestPerson, make_person
from wijkdeel.runtime import Runtime

BSN = "111222333"
SIGNAL = {
    "subject": {"bsn": BSN, "name": "Sam de Vries", "birthDate": "2017-03-02"},
    "category": "opvoeding",
    "urgency": "normal",
    "summary": "Vaak zonder ontbijt naar de club",
    "details": "Sinds september",
    "contact": {"name": "Petra Jansen", "phone": "06-12345678"},
}
ROLES = ("admin", "auditor", "policymaker")


@dataclass
class World:
    neighbourhood: Neighbourhood
    admin_token: str
    signal_id: str
    people: dict[str, TestPerson]


def make_world(client: TestClient, runtime: Runtime, *, signal: bool = True) -> World:
    admin_token = token(client, bootstrap_admin(runtime))
    hood = make_neighbourhood(client, admin_token)
    signal_id = ""
    if signal:
        sender = bearer(token(client, hood.kinderwerk, purpose="signalering"))
        answer = client.post("/v1/signals", json=SIGNAL, headers=sender)
        assert answer.status_code == 201, answer.text
        signal_id = answer.json()["id"]
        reader = bearer(token(client, hood.wijkteam, purpose="signalering"))
        assert client.get(f"/v1/signals/{signal_id}", headers=reader).status_code == 200
    people = {
        role: make_person(runtime, username=f"p-{role}", role=role, name=f"{role.title()} Persoon")
        for role in ROLES
    }
    return World(hood, admin_token, signal_id, people)


def as_role(client: TestClient, world: World, role: str, clock: FrozenClock) -> None:
    client.cookies.clear()
    sign_in(client, world.people[role], clock)


def post_form(
    client: TestClient, page: str, action: str, data: dict[str, str], **kwargs: object
) -> httpx.Response:
    """Open `page`, take its CSRF token, and post `data` to `action` as the browser would."""
    token_value = form_token(client.get(page))
    return client.post(action, data={"csrf": token_value, **data}, **kwargs)  # type: ignore[arg-type]
