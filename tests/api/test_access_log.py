"""The access log: one line per request that says what an operator needs and nothing personal."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from tests.api.test_signals import BSN, DETAILS, NAME, SUMMARY, signal_body
from tests.factories import Neighbourhood, bearer, make_neighbourhood, token
from wijkdeel import logs


def _access(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "wijkdeel.access"]


def _every_line(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the service logged (not the test's HTTP client), as text and as the JSON
    lines an operator's collector gets."""
    text, json_lines = logs.TextFormatter(), logs.json_formatter()
    return "\n".join(
        f"{text.format(record)}\n{json_lines.format(record)}"
        for record in caplog.records
        if not record.name.startswith("httpx")
    )


@pytest.fixture
def world(client: TestClient, admin_token: str) -> Neighbourhood:
    return make_neighbourhood(client, admin_token)


def test_a_request_with_a_bsn_in_its_body_logs_no_personal_data(
    client: TestClient, world: Neighbourhood, caplog: pytest.LogCaptureFixture
) -> None:
    headers = bearer(token(client, world.kinderwerk, purpose="signalering"))
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    created = client.post(
        "/v1/signals", json=signal_body(), headers={**headers, "X-Request-ID": "req-bsn-1"}
    )
    assert created.status_code == 201
    signal_id = created.json()["id"]
    refused = client.post(
        "/v1/signals",
        json=signal_body(subject={"bsn": BSN, "name": NAME}, extra=BSN),
        headers=headers,
    )
    assert refused.status_code == 422
    read = client.get(f"/v1/signals/{signal_id}", headers=headers)
    assert read.status_code == 200

    lines = _access(caplog)
    assert [(r.method, r.route, r.status) for r in lines] == [  # type: ignore[attr-defined]
        ("POST", "/v1/signals", 201),
        ("POST", "/v1/signals", 422),
        ("GET", "/v1/signals/{id}", 200),
    ]
    first = lines[0]
    assert first.requestId == "req-bsn-1"  # type: ignore[attr-defined]
    assert first.clientId == world.kinderwerk.client_id  # type: ignore[attr-defined]
    assert isinstance(first.durationMs, float)  # type: ignore[attr-defined]
    logged = _every_line(caplog)
    for value in (BSN, NAME, SUMMARY, DETAILS, "Petra Jansen", "06-12345678", signal_id):
        assert value not in logged, value
    record = json.loads(logs.json_formatter().format(first))
    assert record["route"] == "/v1/signals" and record["clientId"] == world.kinderwerk.client_id
    assert record["level"] == "INFO" and record["logger"] == "wijkdeel.access"


def test_the_token_endpoint_logs_its_client_and_unknown_paths_no_path(
    client: TestClient, world: Neighbourhood, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token(client, world.wijkteam, purpose="signalering")
    client.get(f"/v1/nothing/{BSN}")
    client.request("BREW", "/v1/signals")
    lines = [(r.method, r.route, r.status, r.clientId) for r in _access(caplog)]  # type: ignore[attr-defined]
    assert lines == [
        ("POST", "/v1/oauth/token", 200, world.wijkteam.client_id),
        ("GET", "unmatched", 404, None),
        ("OTHER", "/v1/signals", 405, None),
    ]
    assert BSN not in _every_line(caplog)
