"""Capacity: every statement and lock wait is bounded, and a full service answers 503 with
Retry-After after a short wait instead of hanging - never a stall of other requests."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from audit.events import AuditDraft
from core.errors import Unavailable
from records.db import Capacity, Database
from signals import reading
from tests.api.test_signals import Tokens, send
from tests.conftest import settings_for_tests
from tests.factories import bootstrap_admin, make_neighbourhood, run_async, token
from tests.live import serving
from wijkdeel.runtime import build_runtime
from wijkdeel.unit import Tx


def test_postgresql_bounds_every_statement_and_lock_wait(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("PostgreSQL settings")
    db = Database(
        database.url.render_as_string(hide_password=False),
        capacity=Capacity(statement_timeout=7.0, lock_timeout=2.0),
    )
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "7s"
            assert conn.execute(text("SHOW lock_timeout")).scalar() == "2s"
            with pytest.raises(Exception, match="statement timeout"):
                conn.execute(text("SET LOCAL statement_timeout = 50; SELECT pg_sleep(1)"))
    finally:
        db.dispose()


def test_a_full_write_slot_answers_unavailable_after_the_wait(db: Database, tmp_path: Path) -> None:
    settings = settings_for_tests(tmp_path / "var", db_wait=0.3, db_pool_size=1)
    capacity = Capacity(pool_size=1, sqlite_readers=1)
    own = Database(db.url.render_as_string(hide_password=False), capacity=capacity)
    runtime = build_runtime(settings, db=own)
    runtime.bootstrap()
    started = threading.Event()

    def slow(tx: Tx) -> str:
        started.set()
        time.sleep(1.0)
        return "done"

    async def main() -> tuple[Any, Any]:
        units = runtime.units
        first = asyncio.create_task(
            units.run("write", AuditDraft(action="a", at=runtime.now(), role="system"), slow)
        )
        while not started.is_set():
            await asyncio.sleep(0.01)
        second = units.run(
            "write", AuditDraft(action="b", at=runtime.now(), role="system"), lambda tx: "no"
        )
        outcome = await asyncio.gather(second, return_exceptions=True)
        return await first, outcome[0]

    try:
        first, second = run_async(main)
    finally:
        own.dispose()
    assert first == "done"
    assert isinstance(second, Unavailable) and second.status == 503
    assert second.code == "overloaded" and second.headers["Retry-After"] == "1"


def test_over_http_a_full_service_answers_503_at_once_and_others_go_on(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for_tests(tmp_path / "var", db_wait=0.3, db_pool_size=1, sqlite_readers=1)
    capacity = Capacity(pool_size=1, sqlite_readers=1)
    own = Database(db.url.render_as_string(hide_password=False), capacity=capacity)
    runtime = build_runtime(settings, db=own)
    runtime.bootstrap()
    app = create_app(runtime)
    with TestClient(app) as setup:
        world = make_neighbourhood(setup, token(setup, bootstrap_admin(runtime)))
        tokens = Tokens(setup, world)
        signal = send(setup, tokens.kinderwerk)
    original = reading.read

    def slow_read(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.5)  # one read holds the only read connection for a while
        return original(*args, **kwargs)

    monkeypatch.setattr(reading, "read", slow_read)
    try:
        with serving(app) as base, httpx.Client(base_url=base, timeout=30) as http:
            url = f"/v1/signals/{signal['id']}"
            with ThreadPoolExecutor(3) as pool:
                holding = pool.submit(http.get, url, headers=tokens.wijkteam)
                time.sleep(0.4)
                waiting = pool.submit(http.get, url, headers=tokens.wijkteam)
                health = pool.submit(http.get, "/health")
                refused = waiting.result()
                assert health.result().status_code == 200  # the loop was never blocked
                assert holding.result().status_code == 200
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "overloaded" and refused.headers["retry-after"]
    finally:
        own.dispose()
