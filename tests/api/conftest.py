from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from tests.factories import Credentials, bootstrap_admin, token
from wijkdeel.runtime import Runtime


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def admin(runtime: Runtime) -> Credentials:
    return bootstrap_admin(runtime)


@pytest.fixture
def admin_token(client: TestClient, admin: Credentials) -> str:
    return token(client, admin)
