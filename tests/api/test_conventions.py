"""HTTP conventions every route keeps (API.md, "Conventions")."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import settings_for_tests
from tests.factories import audit_events, bearer, bootstrap_admin, token
from wijkdeel import __version__
from wijkdeel.runtime import Runtime, build_runtime


def test_every_response_carries_version_and_request_id(
    client: TestClient, admin_token: str
) -> None:
    for response in [
        client.get("/health"),
        client.get("/v1/me", headers=bearer(admin_token)),
        client.get("/v1/me"),
        client.get("/v1/nothing-here"),
        client.post("/v1/oauth/token", data={}),
    ]:
        assert response.headers["api-version"] == __version__
        assert response.headers["x-request-id"]
    echoed = client.get("/health", headers={"x-request-id": "trace-42.a_b:c"})
    assert echoed.headers["x-request-id"] == "trace-42.a_b:c"
    replaced = client.get("/health", headers={"x-request-id": "<script>"})
    assert replaced.headers["x-request-id"] != "<script>"


def test_request_id_is_in_the_audit_event(
    client: TestClient, admin_token: str, runtime: Runtime
) -> None:
    client.get("/v1/me", headers={**bearer(admin_token), "x-request-id": "support-ticket-7"})
    assert audit_events(runtime, request_id="support-ticket-7")[0]["action"] == "me.read"


def test_trailing_slash_and_unknown_paths_are_404_problems(
    client: TestClient, admin_token: str
) -> None:
    for path in ["/v1/partners/", "/v1/me/", "/v1/nope", "/nope", "/v1"]:
        response = client.get(path, headers=bearer(admin_token))
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"


def test_wrong_method_is_a_405_problem(client: TestClient, admin_token: str) -> None:
    response = client.put("/v1/me", headers=bearer(admin_token))
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_bodies_over_one_mebibyte_are_413(client: TestClient, admin_token: str) -> None:
    big = b'{"id": "' + b"a" * (1024 * 1024) + b'"}'
    declared = client.post(
        "/v1/partners",
        content=big,
        headers={**bearer(admin_token), "content-type": "application/json"},
    )
    assert declared.status_code == 413 and declared.json()["code"] == "payload_too_large"

    def chunks():  # no Content-Length: the limit is counted while reading
        for _ in range(20):
            yield b"x" * (64 * 1024)

    streamed = client.post(
        "/v1/partners",
        content=chunks(),
        headers={**bearer(admin_token), "content-type": "application/json"},
    )
    assert streamed.status_code == 413


def test_rate_limit_answers_429_with_retry_after(runtime: Runtime, tmp_path) -> None:
    limited = build_runtime(
        settings_for_tests(tmp_path / "var", rate_limit=0.5, rate_burst=3),
        db=runtime.db,
        clock=runtime.clock,
    )
    with TestClient(create_app(limited)) as client:
        admin_token = token(client, bootstrap_admin(limited))
        statuses = [client.get("/v1/me", headers=bearer(admin_token)).status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
        refused = client.get("/v1/me", headers=bearer(admin_token))
        assert refused.json()["code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) >= 1
    assert audit_events(limited, action="me.read", reason="rate_limited")


def test_openapi_document(client: TestClient) -> None:
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    document = response.json()
    assert document["info"]["contact"]["email"] and document["servers"][0]["url"].endswith("/v1")
    assert "/partners" in document["paths"] and "/oauth/token" in document["paths"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code, answer in operation["responses"].items():
                if code.startswith("2"):
                    assert "API-Version" in answer.get("headers", {}), (path, method, code)
                if code[0] in "45":
                    assert "application/problem+json" in answer["content"], (path, method, code)
            if method in {"post", "put", "patch"}:
                assert "400" in operation["responses"], (path, method)
            assert operation.get("x-audit-action"), (path, method)
    assert client.get("/docs").status_code == 200


def test_operation_ids_are_lower_camel_case_and_unique(client: TestClient) -> None:
    from api.openapi import OPERATION_IDS

    operations = [
        (path, method, operation)
        for path, item in client.get("/v1/openapi.json").json()["paths"].items()
        for method, operation in item.items()
    ]
    ids = {(path, method): operation["operationId"] for path, method, operation in operations}
    assert all(re.fullmatch(r"[a-z][a-zA-Z0-9]*", value) for value in ids.values()), ids
    assert len(set(ids.values())) == len(ids)
    assert ids[("/signals", "get")] == "listSignals"
    assert ids[("/signals", "post")] == "createSignal"
    assert ids[("/partners/{id}/clients/{clientId}", "delete")] == "revokeClient"
    assert ids[("/oauth/token", "post")] == "getToken"
    # Every override names a handler that exists: a renamed handler must not go unnoticed.
    assert set(OPERATION_IDS.values()) <= set(ids.values())


def test_swagger_can_fetch_a_token_by_client_credentials(client: TestClient) -> None:
    document = client.get("/v1/openapi.json").json()
    flow = document["components"]["securitySchemes"]["OAuth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "http://testserver/v1/oauth/token"
    assert {"signals:read", "admin", "audit:read"} <= set(flow["scopes"])
    secured = [
        operation["security"]
        for item in document["paths"].values()
        for operation in item.values()
        if "security" in operation
    ]
    assert len(secured) > 30
    assert all(security == [{"HTTPBearer": []}, {"OAuth2": []}] for security in secured)


def test_health_ready_metrics(client: TestClient, admin_token: str, runtime: Runtime) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready"}
    client.get("/v1/me", headers=bearer(admin_token))
    client.get("/v1/openapi.json")
    client.get("/v1/signals/sg_does_not_exist", headers=bearer(admin_token))
    local = TestClient(create_app(runtime), client=("127.0.0.1", 50000))
    metrics = local.get("/metrics")
    assert metrics.status_code == 200
    assert 'wijkdeel_http_requests_total{method="GET",route="/v1/me",status="200"}' in metrics.text
    assert 'route="/v1/openapi.json",status="200"' in metrics.text
    assert 'route="/v1/signals/{id}"' in metrics.text
    assert "/v1/v1/" not in metrics.text and "sg_does_not_exist" not in metrics.text


def test_validation_errors_never_echo_values(client: TestClient, admin_token: str) -> None:
    response = client.post(
        "/v1/partners",
        json={"id": "Sam de Vries 111222333", "name": ["Sam de Vries"], "kind": "111222333"},
        headers=bearer(admin_token),
    )
    assert response.status_code == 422
    assert "111222333" not in response.text and "Sam" not in response.text
    assert {p["name"] for p in response.json()["invalidParams"]} == {"id", "name", "kind"}
