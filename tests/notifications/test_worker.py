"""The delivery worker against real processes: the SSRF guard at both moments, delivery within
seconds from `serve`'s own worker, a SIGKILL mid-batch, and two workers on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.clock import system_clock
from notifications import subscriptions
from notifications.outbox import emit
from records import partners
from records.db import Database
from records.models import Delivery, Subscription
from tests.api.test_signals import Tokens, send, signal_body
from tests.conftest import MASTER_KEY, settings_for_tests
from tests.factories import bootstrap_admin, make_neighbourhood, token
from tests.receiver import Receiver, Trickler, free_port, receiving, trickling
from wijkdeel.runtime import Runtime, build_runtime
from wijkdeel.worker import BackgroundWorker, deliverer_for

WIJKDEEL = str(Path(sys.executable).parent / "wijkdeel")


class StubResolver:
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers

    def resolve(self, host: str, port: int) -> list[str]:
        return self.answers.get(host) or [host]


@pytest.fixture
def guarded(db: Database, tmp_path: Path) -> Runtime:
    settings = settings_for_tests(tmp_path / "var", webhook_allow_private=False)
    runtime = build_runtime(settings, db=db)
    runtime.resolver = StubResolver(
        {"hooks.wijkteam.example": ["93.184.215.14"], "sneaky.example": ["127.0.0.1"]}
    )
    return runtime


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "https://127.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "https://169.254.169.254/",
        "https://[::1]/hook",
        "https://10.0.0.1/hook",
        "https://sneaky.example/hook",
        "http://hooks.wijkteam.example/hook",
    ],
)
def test_private_targets_are_refused_at_subscription(guarded: Runtime, url: str) -> None:
    with TestClient(create_app(guarded)) as client:
        world = make_neighbourhood(client, token(client, bootstrap_admin(guarded)))
        headers = Tokens(client, world).wijkteam
        refused = client.post(
            "/v1/subscriptions", json={"url": url, "events": ["signal.created"]}, headers=headers
        )
        assert refused.status_code == 422, url
        assert refused.json()["code"] == "webhook_target_refused"
        assert "127.0.0.1" not in refused.text and "169.254" not in refused.text
        ok = client.post(
            "/v1/subscriptions",
            headers=headers,
            json={"url": "https://hooks.wijkteam.example/hook", "events": ["signal.created"]},
        )
        assert ok.status_code == 201


def test_a_name_rebound_to_loopback_is_refused_at_delivery(guarded: Runtime) -> None:
    receiver = Receiver(free_port())
    with receiving(receiver), TestClient(create_app(guarded)) as client:
        world = make_neighbourhood(client, token(client, bootstrap_admin(guarded)))
        tokens = Tokens(client, world)
        url = f"https://hooks.wijkteam.example:{receiver.port}/hook"
        created = client.post(
            "/v1/subscriptions",
            json={"url": url, "events": ["signal.created"]},
            headers=tokens.wijkteam,
        )
        assert created.status_code == 201
        guarded.resolver.answers["hooks.wijkteam.example"] = ["127.0.0.1"]  # type: ignore[attr-defined]
        client.post("/v1/signals", json=signal_body(), headers=tokens.kinderwerk)
        worker = deliverer_for(guarded)
        try:
            # At least one attempt (on a slow machine the 0.2 s retry may fall due too).
            assert worker.drain() >= 1
        finally:
            worker.close()
        items = client.get(
            f"/v1/subscriptions/{created.json()['id']}/deliveries", headers=tokens.wijkteam
        ).json()["items"]
    assert receiver.received == []
    assert items[0]["lastError"] == "address_not_allowed" and items[0]["status"] == "pending"


def test_serve_delivers_within_seconds(db: Database, tmp_path: Path) -> None:
    """The worker `serve` runs beside the API, on the real clock."""
    runtime = build_runtime(
        settings_for_tests(tmp_path / "var", delivery_interval=0.1), db=db, clock=system_clock
    )
    receiver = Receiver(free_port())
    with receiving(receiver), TestClient(create_app(runtime, run_worker=True)) as client:
        tokens = Tokens(client, make_neighbourhood(client, token(client, bootstrap_admin(runtime))))
        client.post(
            "/v1/subscriptions",
            json={"url": receiver.url, "events": ["signal.created"]},
            headers=tokens.wijkteam,
        )
        sent = time.monotonic()
        client.post("/v1/signals", json=signal_body(), headers=tokens.kinderwerk)
        receiver.wait_for(1, timeout=15)
        assert receiver.received, "no delivery within 15 s"
        assert receiver.received[0].at - sent < 5.0


def test_a_slow_receiver_does_not_delay_another_partners_delivery(
    db: Database, tmp_path: Path
) -> None:
    """The wijkteam's receiver trickles its headers a byte at a time; the kinderwerk's answers
    at once. Six deliveries to the slow one wait when the kinderwerk's event is made: it is
    still delivered while the slow ones hang, and each of those is cut off at the deadline."""
    settings = settings_for_tests(
        tmp_path / "var",
        webhook_timeout=3.0,
        webhook_lease=10.0,
        webhook_concurrency=4,
        webhook_partner_concurrency=2,
        delivery_interval=0.05,
    )
    runtime = build_runtime(settings, db=db, clock=system_clock)
    slow, fast = Trickler(interval=0.3), Receiver(free_port())
    with trickling(slow), receiving(fast), TestClient(create_app(runtime)) as client:
        tokens = Tokens(client, make_neighbourhood(client, token(client, bootstrap_admin(runtime))))
        hooks = {
            "wijkteam": (tokens.wijkteam, slow.url, "signal.created"),
            "kinderwerk": (tokens.kinderwerk, fast.url, "signal.updated"),
        }
        ids = {}
        for name, (headers, url, event) in hooks.items():
            answer = client.post(
                "/v1/subscriptions", json={"url": url, "events": [event]}, headers=headers
            )
            assert answer.status_code == 201, answer.text
            ids[name] = answer.json()["id"]
        sent = [send(client, tokens.kinderwerk) for _ in range(6)]
        worker = BackgroundWorker(runtime)
        worker.start()
        try:
            slow.wait_for(2)  # the wijkteam's sends hang in their slots
            path = f"/v1/signals/{sent[0]['id']}"
            answer = client.patch(path, json={"status": "acknowledged"}, headers=tokens.wijkteam)
            assert answer.status_code == 200, answer.text
            fast.wait_for(1, timeout=30)
            slow.wait_for(4, timeout=30)  # the next ones are claimed as slots come free
        finally:
            worker.stop()
        deliveries = {
            name: client.get(
                f"/v1/subscriptions/{ids[name]}/deliveries", headers=hooks[name][0]
            ).json()["items"]
            for name in hooks
        }
    [delivered] = fast.received
    assert json.loads(delivered.body)["type"] == "signal.updated"
    cut = [c.closed_at for c in slow.connections if c.closed_at is not None]
    # Delivered before the first slow attempt had even reached its deadline.
    assert cut and delivered.at < min(cut)
    # Each slow attempt was cut off, long before its trickle would have ended (144 s).
    assert all(0 < c.sent < len(slow.trickle) for c in slow.connections)
    assert all(c - a.accepted_at < 20 for c, a in zip(cut, slow.connections, strict=False))
    assert [d["status"] for d in deliveries["kinderwerk"]] == ["delivered"]
    tried = [d for d in deliveries["wijkteam"] if d["attempts"]]
    assert len(tried) >= 4 and {d["lastError"] for d in tried} == {"timeout"}
    assert {d["status"] for d in tried} == {"pending"}  # to be retried later


def _seed_events(db: Database, count: int, url: str, var_dir: Path) -> set[str]:
    """A partner, a subscription and `count` events, straight into the database."""
    runtime = build_runtime(settings_for_tests(var_dir), db=db)
    runtime.bootstrap()
    now = datetime.now(UTC)
    keyring = runtime.keyrings.get()
    with db.session() as session:
        partners.create_partner(session, id="wijkteam-noord", name="W", kind="wijkteam", now=now)
        subscriptions.create(
            session,
            partner="wijkteam-noord",
            client_id="cl_x",
            url=url,
            events=["signal.created"],
            keyring=keyring,
            now=now,
            limit=1,
        )
        ids = {
            emit(
                session,
                type="signal.created",
                partner="wijkteam-noord",
                now=now,
                max_attempts=5,
                data={"signalId": str(i)},
            ).id
            for i in range(count)
        }
    return ids


def _worker(db: Database, tmp_path: Path, **env: str) -> subprocess.Popen[bytes]:
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "WIJKDEEL_MASTER_KEY": MASTER_KEY,
        "WIJKDEEL_DATABASE_URL": db.url.render_as_string(hide_password=False),
        "WIJKDEEL_WEBHOOK_ALLOW_PRIVATE": "1",
        "WIJKDEEL_WEBHOOK_SCHEDULE": "0,0.2,0.2,0.2,0.2",
        "WIJKDEEL_DELIVERY_INTERVAL": "0.1",
        **env,
    }
    return subprocess.Popen(
        [WIJKDEEL, "worker"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _all_delivered(db: Database, timeout: float) -> bool:
    from sqlalchemy import func, select

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.read_session() as session:
            left = session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.status != "delivered")
            )
        if left == 0:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing(db: Database, tmp_path: Path) -> None:
    receiver = Receiver(free_port(), delay=0.05)
    with receiving(receiver):
        expected = _seed_events(db, 200, receiver.url, tmp_path)
        first = _worker(db, tmp_path, WIJKDEEL_WEBHOOK_LEASE="2", WIJKDEEL_WEBHOOK_TIMEOUT="1")
        receiver.wait_for(10, timeout=90)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert 0 < len(set(receiver.ids())) < len(expected)  # killed in the middle
        second = _worker(db, tmp_path, WIJKDEEL_WEBHOOK_LEASE="2", WIJKDEEL_WEBHOOK_TIMEOUT="1")
        try:
            assert _all_delivered(db, timeout=180)
        finally:
            second.terminate()
            second.wait(timeout=20)
    assert set(receiver.ids()) == expected  # none lost; a repeat keeps its webhook-id


@pytest.mark.slow
@pytest.mark.postgresql_only
def test_two_workers_deliver_a_thousand_events_without_overlap(
    db: Database, tmp_path: Path
) -> None:
    receiver = Receiver(free_port())
    with receiving(receiver):
        expected = _seed_events(db, 1000, receiver.url, tmp_path)
        workers = [_worker(db, tmp_path) for _ in range(2)]
        try:
            assert _all_delivered(db, timeout=300)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=20)
    counts = Counter(receiver.ids())
    assert set(counts) == expected
    assert receiver.overlaps == [] and max(counts.values()) == 1


def test_background_worker_stops_cleanly(runtime: Runtime) -> None:
    worker = BackgroundWorker(runtime)
    worker.start()
    worker.stop()
    assert all(not t.is_alive() for t in worker._threads)
    assert Subscription.__tablename__ == "subscriptions"
