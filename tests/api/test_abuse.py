"""What an attacker who reads the code can send cheaply must cost the service little: random
clients at the token endpoint, someone else's client id, junk tokens, over-long or hostile text,
a forged X-Forwarded-For; and the rate limits hold across processes."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from api.ratelimit import MemoryLimiter
from records.db import Database
from tests.conftest import settings_for_tests
from tests.factories import (
    audit_events,
    bearer,
    bootstrap_admin,
    counted_refusals,
    make_neighbourhood,
    token,
)
from tests.live import serving
from wijkdeel.runtime import Runtime, build_runtime

TOKEN_URL = "/v1/oauth/token"


def _runtime(db: Database, tmp_path: Path, **settings: Any) -> Runtime:
    runtime = build_runtime(settings_for_tests(tmp_path / "var", **settings), db=db)
    runtime.bootstrap()
    return runtime


def test_buckets_are_evicted_least_recently_used_first() -> None:
    limiter = MemoryLimiter(rate=0.001, burst=2, max_keys=100)
    assert limiter.take("victim") is None and limiter.take("victim") is None
    assert limiter.take("victim") is not None  # limited
    for index in range(99):
        limiter.take(f"noise-{index}")
    assert limiter.take("victim") is not None  # still limited: it was used last
    for index in range(1000):
        limiter.take(f"flood-{index}")
    assert len(limiter._buckets) == 100  # memory in bounds


def test_a_claimed_client_id_cannot_lock_its_owner_out(db: Database, tmp_path: Path) -> None:
    """Token requests are limited per source address before any client is known, and per
    verified client after: someone naming a victim's client id spends their own budget."""
    runtime = _runtime(
        db, tmp_path, token_source_rate=0.01, token_source_burst=5, trusted_proxies="127.0.0.1"
    )
    app = create_app(runtime)
    with TestClient(app) as setup:
        world = make_neighbourhood(setup, token(setup, bootstrap_admin(runtime)))
    victim = world.kinderwerk
    with serving(app, trusted_proxies="127.0.0.1") as base, httpx.Client(base_url=base) as http:
        attacker = {"X-Forwarded-For": "203.0.113.66"}
        statuses = Counter(
            http.post(
                TOKEN_URL,
                data={"grant_type": "client_credentials", "client_id": victim.client_id},
                auth=(victim.client_id, "wds_guessed"),
                headers=attacker,
            ).status_code
            for _ in range(12)
        )
        assert statuses == Counter({401: 5, 429: 7})
        for _ in range(4):
            own = http.post(
                TOKEN_URL,
                data={"grant_type": "client_credentials", "purpose": "signalering"},
                auth=victim.basic(),
                headers={"X-Forwarded-For": "198.51.100.7"},
            )
            assert own.status_code == 200, own.text


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(db: Database, tmp_path: Path) -> None:
    runtime = _runtime(db, tmp_path)
    app = create_app(runtime)
    with TestClient(app) as setup:
        admin = token(setup, bootstrap_admin(runtime))
    with serving(app) as base, httpx.Client(base_url=base) as http:
        forged = {**bearer(admin), "X-Forwarded-For": "203.0.113.9"}
        assert http.get("/v1/me", headers=forged).status_code == 200
        over_long = {**bearer(admin), "X-Forwarded-For": "9" * 5000}
        assert http.get("/v1/me", headers=over_long).status_code == 200
    reads = audit_events(runtime, action="me.read")
    assert [event["ip"] for event in reads] == ["127.0.0.1", "127.0.0.1"]


def test_junk_tokens_are_counted_not_logged_one_by_one(
    client: TestClient, runtime: Runtime
) -> None:
    before = len(audit_events(runtime))
    for index in range(40):
        response = client.get("/v1/me", headers=bearer(f"junk.{index}.token"))
        assert response.status_code == 401
    assert len(audit_events(runtime)) == before  # nothing yet: the minute is not over
    [counted] = counted_refusals(client, runtime, action="me.read")
    assert counted["count"] == 40 and counted["reason"] == "invalid_token"
    assert counted["outcome"] == "deny" and counted["client_id"] is None


def test_unknown_kids_do_not_reload_keys_each_time(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    reloads: list[int] = []
    original = runtime.signing_keys.reload

    def counting() -> Any:
        reloads.append(1)
        return original()

    monkeypatch.setattr(runtime.signing_keys, "reload", counting)
    from jose import jwt as jose_jwt

    from tests.factories import ec_key

    pem, _ = ec_key()
    for _ in range(30):
        forged = jose_jwt.encode(
            {"sub": "x"}, pem, algorithm="ES256", headers={"kid": uuid.uuid4().hex}
        )
        assert client.get("/v1/me", headers=bearer(forged)).status_code == 401
    assert len(reloads) <= 1


@pytest.mark.parametrize(
    "purpose", ["x" * 65, "signalering 111222333", '=HYPERLINK("http://x")', "a" * 800_000]
)
def test_caller_text_never_reaches_the_chain(
    client: TestClient, admin_token: str, runtime: Runtime, purpose: str
) -> None:
    world = make_neighbourhood(client, admin_token)
    response = client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "purpose": purpose},
        auth=world.kinderwerk.basic(),
    )
    assert response.status_code in (400, 413) and "111222333" not in response.text
    if response.status_code == 400:
        assert response.json()["error"] == "invalid_scope"
    with runtime.db.engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM audit_events")).all())
    assert "111222333" not in dump and "HYPERLINK" not in dump and "xxxxxxxx" not in dump
    if response.status_code == 400:
        refused = audit_events(runtime, action="token.issue")[-1]
        assert refused["outcome"] == "deny" and refused["purpose"] is None


@pytest.mark.parametrize("redis", [False, True], ids=["census", "redis"])
def test_rate_limits_hold_across_processes(db: Database, tmp_path: Path, redis: bool) -> None:
    """Two applications on one database stand in for two `serve` processes: together they
    allow a client no more than its limit."""
    url = ""
    if redis:
        url = f"redis://127.0.0.1:6379/{uuid.uuid4().int % 15 + 1}"
        try:
            import redis as redis_client

            redis_client.Redis.from_url(url, socket_connect_timeout=2).ping()
        except Exception as error:
            pytest.skip(f"Redis is unreachable: {type(error).__name__}")
    settings: dict[str, Any] = {"rate_limit": 0.01, "rate_burst": 6, "redis_url": url}
    first_runtime = _runtime(db, tmp_path, **settings)
    second_runtime = _runtime(db, tmp_path, **settings)
    with (
        TestClient(create_app(first_runtime)) as first,
        TestClient(create_app(second_runtime)) as second,
    ):
        first.app.state.census.beat()  # the second process started after the first's beat
        admin = token(first, bootstrap_admin(first_runtime))
        statuses = Counter(
            (first if index % 2 else second).get("/v1/me", headers=bearer(admin)).status_code
            for index in range(20)
        )
    assert statuses[200] <= 6 and statuses[429] >= 14
