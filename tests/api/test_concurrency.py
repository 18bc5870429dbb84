"""Many concurrent clients against a real server, on SQLite and PostgreSQL.

A bounded mixed workload - sends, status changes, consent-based reads, consent records,
subscriptions whose target resolves slowly, token requests, audit listings - from many clients
at once. Every request must answer its expected status and none a 5xx. The database waits are
set short enough that a deadlock (a request holding a connection while it waits for something
only another waiting request can give) would surface as 503s and fail the test, instead of
merely slowing it down; no timing is asserted.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from api.app import create_app
from records.db import Database
from tests.api.test_consents import consent_body
from tests.api.test_signals import signal_body
from tests.conftest import settings_for_tests
from tests.factories import Credentials, bearer, bootstrap_admin, make_neighbourhood, token
from tests.live import serving
from wijkdeel.runtime import Runtime, build_runtime

CLIENTS = 24
ROUNDS = 4  # each client runs every kind of request this many times


class SlowResolver:
    """DNS that takes its time: the subscription must not hold a connection meanwhile."""

    def resolve(self, host: str, port: int) -> list[str]:
        time.sleep(0.3)
        return ["127.0.0.1"]


def _runtime(db: Database, tmp_path: Path) -> Runtime:
    settings = settings_for_tests(
        tmp_path / "var",
        # Short enough to turn a deadlock into failures, long enough for honest queueing on a
        # loaded two-core machine.
        db_wait=10.0,
        db_lock_timeout=10.0,
        db_statement_timeout=20.0,
        db_pool_size=6,
        sqlite_readers=4,
    )
    runtime = build_runtime(settings, db=db)
    runtime.resolver = SlowResolver()
    return runtime


def test_a_mixed_workload_from_many_clients_answers_every_request(
    db: Database, tmp_path: Path
) -> None:
    runtime = _runtime(db, tmp_path)
    app = create_app(runtime)
    with TestClient(app, base_url="http://testserver") as setup:
        admin = bootstrap_admin(runtime)
        world = make_neighbourhood(setup, token(setup, admin))
        auditor = _auditor(setup, world.admin_token)
        headers = {
            "kinderwerk": bearer(token(setup, world.kinderwerk, purpose="signalering")),
            "kinderwerk_afstemming": bearer(token(setup, world.kinderwerk, purpose="afstemming")),
            "wijkteam": bearer(token(setup, world.wijkteam, purpose="signalering")),
            "school": bearer(token(setup, world.school, purpose="afstemming")),
            "auditor": bearer(token(setup, auditor)),
        }
        assert (
            setup.post(
                "/v1/consents", json=consent_body(), headers=headers["kinderwerk_afstemming"]
            ).status_code
            == 201
        )
        for_wijkteam = [
            setup.post("/v1/signals", json=signal_body(), headers=headers["kinderwerk"]).json()
            for _ in range(CLIENTS)
        ]
        for_school = setup.post(
            "/v1/signals",
            json=signal_body(category="school", details=None),
            headers=headers["kinderwerk_afstemming"],
        ).json()

    outcomes: Counter[tuple[str, int]] = Counter()
    unexpected: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    with serving(app) as base:

        def client_loop(index: int) -> None:
            rng = random.Random(index)
            signal_id = for_wijkteam[index]["id"]
            steps: list[tuple[str, Callable[[httpx.Client], httpx.Response], set[int]]] = [
                (
                    "send",
                    lambda http: http.post(
                        "/v1/signals", json=signal_body(), headers=headers["kinderwerk"]
                    ),
                    {201},
                ),
                (
                    "status",
                    lambda http: http.patch(
                        f"/v1/signals/{signal_id}",
                        json={"status": "acknowledged"},
                        headers=headers["wijkteam"],
                    ),
                    {200},
                ),
                (
                    "consent-read",
                    lambda http: http.get(
                        f"/v1/signals/{for_school['id']}", headers=headers["school"]
                    ),
                    {200},
                ),
                (
                    "consent",
                    lambda http: http.post(
                        "/v1/consents",
                        json=consent_body(),
                        headers=headers["kinderwerk_afstemming"],
                    ),
                    {201},
                ),
                (
                    "subscribe",
                    lambda http: http.post(
                        "/v1/subscriptions",
                        json={"url": "https://hooks.example/in", "events": ["signal.created"]},
                        headers=headers["wijkteam"],
                    ),
                    # The cap per partner is reached soon: refused cleanly, never a 5xx.
                    {201, 409},
                ),
                ("token", lambda http: _token(http, world.kinderwerk), {200}),
                (
                    "audit",
                    lambda http: http.get(
                        "/v1/audit/events", params={"limit": 20}, headers=headers["auditor"]
                    ),
                    {200},
                ),
            ]
            with httpx.Client(base_url=base, timeout=120) as http:
                for _ in range(ROUNDS):
                    rng.shuffle(steps)
                    for name, call, expected in steps:
                        response = call(http)
                        with lock:
                            outcomes[(name, response.status_code)] += 1
                            if response.status_code not in expected:
                                unexpected.append((name, response.status_code, response.text))

        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(client_loop, range(CLIENTS)))

        # The service is still answering at once, and nothing waits to be written.
        assert httpx.get(f"{base}/health", timeout=5).status_code == 200
    assert unexpected == [], (unexpected[:5], outcomes)
    assert sum(outcomes.values()) == CLIENTS * ROUNDS * 7


def _auditor(client: TestClient, admin_token: str) -> Credentials:
    from tests.factories import make_client

    return make_client(client, admin_token, partner="gemeente", role="auditor")


def _token(http: httpx.Client, creds: Credentials) -> httpx.Response:
    return http.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials", "purpose": "signalering"},
        auth=creds.basic(),
    )


def _statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def test_one_partner_reading_with_forty_clients_starves_nobody(
    db: Database, tmp_path: Path
) -> None:
    """The outside review's second stall: 40 concurrent consent-based reads by one partner,
    while another client asks for a token and reads /v1/me."""
    runtime = _runtime(db, tmp_path)
    app = create_app(runtime)
    with TestClient(app, base_url="http://testserver") as setup:
        admin = bootstrap_admin(runtime)
        world = make_neighbourhood(setup, token(setup, admin))
        kinderwerk = bearer(token(setup, world.kinderwerk, purpose="afstemming"))
        school = bearer(token(setup, world.school, purpose="afstemming"))
        assert (
            setup.post("/v1/consents", json=consent_body(), headers=kinderwerk).status_code == 201
        )
        signal = setup.post(
            "/v1/signals", json=signal_body(category="school", details=None), headers=kinderwerk
        ).json()
    with serving(app) as base:

        def read(_: int) -> list[httpx.Response]:
            with httpx.Client(base_url=base, timeout=120) as http:
                return [http.get(f"/v1/signals/{signal['id']}", headers=school) for _ in range(5)]

        def other() -> list[httpx.Response]:
            with httpx.Client(base_url=base, timeout=120) as http:
                answer = _token(http, world.wijkteam)
                me = http.get("/v1/me", headers=bearer(answer.json()["access_token"]))
                return [answer, me]

        with ThreadPoolExecutor(41) as pool:
            readers = [pool.submit(read, i) for i in range(40)]
            unrelated = pool.submit(other)
            responses = [r for future in readers for r in future.result()]
            assert _statuses(unrelated.result()) == Counter({200: 2})
    assert _statuses(responses) == Counter({200: 200})
