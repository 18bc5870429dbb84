from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from core.clock import FrozenClock
from tests.people.factories import TestPerson
from wijkdeel.runtime import Runtime

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def form_token(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "the page has no CSRF field"
    return found.group(1)


def attempt(
    client: TestClient,
    person: TestPerson,
    clock: FrozenClock,
    *,
    password: str | None = None,
    code: str | None = None,
    next_path: str = "/console",
) -> httpx.Response:
    page = client.get("/console/sign-in")
    return client.post(
        "/console/sign-in",
        data={
            "csrf": form_token(page),
            "username": person.username,
            "password": person.password if password is None else password,
            "code": person.code(clock) if code is None else code,
            "next": next_path,
        },
        follow_redirects=False,
    )


def sign_in(client: TestClient, person: TestPerson, clock: FrozenClock) -> str:
    """Sign in and return the session cookie's value."""
    answer = attempt(client, person, clock)
    assert answer.status_code == 303, answer.text
    cookie = client.cookies.get("wijkdeel-session")
    assert cookie
    return cookie
