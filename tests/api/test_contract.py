"""The OpenAPI document is the contract: schemathesis generates requests from it for every
operation, as every role, and the answers must match it - no server error, every status
documented, every body in its documented schema.

In-process (ASGI), with a fixed seed and a bounded number of examples per operation, on both
databases. The world (partners, an agreement, a signal, a consent) is made once per module, so
generated ids sometimes hit real things."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from records.db import Database
from tests.api.test_consents import consent_body
from tests.api.test_signals import signal_body
from tests.conftest import empty, settings_for_tests
from tests.factories import (
    accept_token,
    acceptor,
    bearer,
    bootstrap_admin,
    make_client,
    make_neighbourhood,
    token,
)
from wijkdeel.runtime import build_runtime

ROLES = ("partner", "admin", "auditor", "acceptor", "policymaker")
EXAMPLES = 8
# What the contract promises: no server error; every status, content type, header and body as
# documented. (Not that every schema-valid body is accepted: an elfproef or a rule of an
# agreement cannot be written as JSON Schema, so such refusals are documented 4xx answers.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def world(
    database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FastAPI, dict[str, dict[str, str]]]]:
    empty(database)
    runtime = build_runtime(
        settings_for_tests(tmp_path_factory.mktemp("contract") / "var"), db=database
    )
    app = create_app(runtime)
    with TestClient(app) as client:
        admin = token(client, bootstrap_admin(runtime))
        hood = make_neighbourhood(client, admin)
        auditor = make_client(client, admin, partner="gemeente", role="auditor")
        policymaker = make_client(client, admin, partner="gemeente", role="policymaker")
        kinderwerk = bearer(token(client, hood.kinderwerk, purpose="afstemming"))
        assert client.post("/v1/consents", json=consent_body(), headers=kinderwerk).is_success
        body = signal_body(category="school", details=None)
        assert client.post("/v1/signals", json=body, headers=kinderwerk).is_success
        tokens = {
            "partner": kinderwerk,
            "admin": bearer(admin),
            "auditor": bearer(token(client, auditor)),
            # A party's signing client, with the one scope that decides on agreements.
            "acceptor": accept_token(client, acceptor(client, admin, "obs-de-linde")),
            "policymaker": bearer(token(client, policymaker)),
        }
        yield app, tokens


@pytest.mark.slow
def test_every_answer_keeps_the_contract(
    world: tuple[FastAPI, dict[str, dict[str, str]]],
) -> None:
    app, tokens = world
    api = schemathesis.openapi.from_asgi("/v1/openapi.json", app)
    failures: dict[str, str] = {}
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def keeps(case: schemathesis.Case) -> None:
            for role in ROLES:
                case.call_and_validate(headers=tokens[role], checks=CHECKS)

        try:
            keeps()
        except (AssertionError, FailureGroup) as failure:  # every operation is tried
            failures[operation.label] = str(failure)[:2000]
    assert operations > 30
    assert failures == {}, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
