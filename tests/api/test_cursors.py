"""Every list that takes `?cursor=` refuses a forged or garbled cursor with 400 problem+json in
the documented shape, and never hands its value to the database (where it was a 500)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.schemas.common import Problem
from tests.api.test_signals import Tokens, send
from tests.factories import Neighbourhood, bearer, make_client, make_neighbourhood, token

BSN = "111222333"


def forge(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


FORGED = {
    "not base64": "not a cursor!",
    "base64 of junk": base64.urlsafe_b64encode(b"\xff\xfe junk").decode(),
    "a json list": forge(["after", "x"]),
    "no after": forge({"before": "x"}),
    "more than after": forge({"after": "x", "limit": 5}),
    "an object": forge({"after": {"$gt": ""}}),
    "a list": forge({"after": [1, 2]}),
    "null": forge({"after": None}),
    "a boolean": forge({"after": True}),
    "a float": forge({"after": 1.5}),
    "a NUL": forge({"after": "abc\u0000def"}),
    "quotes": forge({"after": "x' OR '1'='1"}),
    "too long": forge({"after": "a" * 300}),
    "empty": forge({"after": ""}),
    "negative": forge({"after": -1}),
    "beyond bigint": forge({"after": 2**63}),
    "beyond 64 bits": forge({"after": 2**70}),
}
# Each list's key is of one kind: a position of the other kind is forged too.
WRONG_KIND = {"id": forge({"after": 5}), "seq": forge({"after": "5"})}


@dataclass(frozen=True)
class ListRoute:
    method: str
    path: str
    role: str
    key: str = "id"
    body: dict[str, Any] | None = None
    accept: str = "application/json"


@pytest.fixture
def setting(client: TestClient, admin_token: str) -> tuple[dict[str, dict[str, str]], str]:
    world: Neighbourhood = make_neighbourhood(client, admin_token)
    tokens = Tokens(client, world)
    auditor = make_client(client, admin_token, partner="gemeente", role="auditor")
    headers = {
        "admin": bearer(admin_token),
        "wijkteam": tokens.wijkteam,
        "kinderwerk": tokens.kinderwerk,
        "auditor": bearer(token(client, auditor)),
    }
    send(client, tokens.kinderwerk)
    subscription = client.post(
        "/v1/subscriptions",
        json={"url": "http://127.0.0.1:9/hook", "events": ["signal.created"]},
        headers=tokens.wijkteam,
    )
    assert subscription.status_code == 201, subscription.text
    return headers, subscription.json()["id"]


def routes(
    subscription: str,
    partner: str = "wijkteam-noord",
    agreement: str = "convenant-noord",
    version: str = "1",
) -> list[ListRoute]:
    return [
        ListRoute("GET", "/v1/partners", "admin"),
        ListRoute("GET", f"/v1/partners/{partner}/clients", "admin"),
        ListRoute("GET", "/v1/signals", "wijkteam"),
        ListRoute("GET", "/v1/signals", "kinderwerk"),
        ListRoute("GET", "/v1/matches", "wijkteam"),
        ListRoute("GET", "/v1/audit/events", "auditor", "seq"),
        ListRoute("GET", "/v1/audit/events", "auditor", "seq", accept="text/csv"),
        ListRoute("GET", "/v1/audit/events", "auditor", "seq", accept="application/x-ndjson"),
        ListRoute("POST", "/v1/audit/subject-report", "auditor", "seq", body={"bsn": BSN}),
        ListRoute(
            "POST",
            "/v1/audit/subject-report",
            "auditor",
            "seq",
            body={"bsn": BSN},
            accept="text/csv",
        ),
        ListRoute("GET", f"/v1/subscriptions/{subscription}/deliveries", "wijkteam"),
        ListRoute("GET", f"/v1/agreements/{agreement}/versions/{version}/acceptances", "admin"),
        ListRoute("POST", "/v1/subject-access", "kinderwerk", body={"bsn": BSN}),
        ListRoute("POST", "/v1/subject-access", "auditor", body={"bsn": BSN}, accept="text/html"),
    ]


def test_a_forged_cursor_is_a_400_on_every_list(
    client: TestClient, setting: tuple[dict[str, dict[str, str]], str]
) -> None:
    headers, subscription = setting
    # Every route that takes a cursor is in the table below: a new list cannot slip past.
    document = client.get("/v1/openapi.json").json()
    with_cursor = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if any(p.get("name") == "cursor" for p in operation.get("parameters", []))
    }
    assert with_cursor == {
        (route.method, route.path.removeprefix("/v1"))
        for route in routes("{id}", "{id}", "{id}", "{n}")
    }
    for forged in [*FORGED, "of the wrong kind"]:
        for route in routes(subscription):
            cursor = FORGED[forged] if forged in FORGED else WRONG_KIND[route.key]
            response = client.request(
                route.method,
                route.path,
                params={"cursor": cursor},
                json=route.body,
                headers={**headers[route.role], "accept": route.accept},
            )
            where = f"{forged}: {route.method} {route.path} ({route.accept})"
            assert response.status_code == 400, (where, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = Problem.model_validate(response.json())
            assert problem.code == "invalid_cursor" and problem.status == 400, where
            assert problem.invalidParams is not None, where
            assert [p.model_dump(by_alias=True) for p in problem.invalidParams] == [
                {
                    "in": "query",
                    "name": "cursor",
                    "code": "invalid_cursor",
                    "reason": "pass the nextCursor of the previous page unchanged",
                }
            ], where
            assert "\\u0000" not in response.text and "OR '1'" not in response.text, where
