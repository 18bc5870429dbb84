"""/metrics: to callers on this machine only, or with WIJKDEEL_METRICS_TOKEN to those that send
it as a bearer token; everyone else gets the 404 of a path that does not exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from records.db import Database
from tests.conftest import settings_for_tests
from wijkdeel.runtime import build_runtime

TOKEN = "scrape-7f3a9c1e0b2d4f6a8c"
PROMETHEUS = "text/plain; version="


def get(
    db: Database, tmp_path: Path, peer: str, headers: dict[str, str] | None = None, token: str = ""
) -> tuple[int, str, str]:
    runtime = build_runtime(settings_for_tests(tmp_path / "var", metrics_token=token), db=db)
    with TestClient(create_app(runtime), client=(peer, 41000)) as client:
        response = client.get("/metrics", headers=headers or {})
        nowhere = client.get("/nothing-here", headers=headers or {})
    if response.status_code == 404:
        # Indistinguishable from a path that does not exist, apart from the request id.
        assert response.headers["content-type"] == nowhere.headers["content-type"]
        assert response.json() == nowhere.json()
    return response.status_code, response.headers["content-type"], response.text


@pytest.mark.parametrize("peer", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_a_loopback_caller_reads_the_metrics(db: Database, tmp_path: Path, peer: str) -> None:
    status, media, text = get(db, tmp_path, peer)
    assert status == 200 and media.startswith(PROMETHEUS)
    assert "wijkdeel_http_requests_total" in text


@pytest.mark.parametrize(
    "peer",
    ["203.0.113.9", "10.0.0.5", "192.168.1.20", "::ffff:10.0.0.1", "2001:db8::1", "testclient"],
)
def test_anyone_else_gets_a_404(db: Database, tmp_path: Path, peer: str) -> None:
    assert get(db, tmp_path, peer)[0] == 404


@pytest.mark.parametrize(
    "header",
    [
        {"x-forwarded-for": "127.0.0.1"},
        {"forwarded": "for=127.0.0.1"},
        {"x-real-ip": "127.0.0.1"},
        {"x-forwarded-host": "wijkdeel.example.nl"},
    ],
)
def test_a_request_through_a_proxy_is_not_local(
    db: Database, tmp_path: Path, header: dict[str, str]
) -> None:
    """A reverse proxy on the same machine connects over loopback for callers from anywhere."""
    assert get(db, tmp_path, "127.0.0.1", header)[0] == 404


@pytest.mark.parametrize(
    ("peer", "header", "status"),
    [
        ("203.0.113.9", {"authorization": f"Bearer {TOKEN}"}, 200),
        ("203.0.113.9", {"authorization": f"bearer {TOKEN}"}, 200),
        ("10.0.0.5", {"authorization": f"Bearer {TOKEN}", "x-forwarded-for": "1.2.3.4"}, 200),
        ("127.0.0.1", {}, 404),
        ("127.0.0.1", {"authorization": f"Bearer {TOKEN}x"}, 404),
        ("203.0.113.9", {"authorization": f"Bearer {TOKEN[:-1]}"}, 404),
        ("203.0.113.9", {"authorization": f"Basic {TOKEN}"}, 404),
        ("203.0.113.9", {"authorization": "Bearer "}, 404),
        ("203.0.113.9", {"x-metrics-token": TOKEN}, 404),
    ],
)
def test_with_a_token_only_its_bearers_read_the_metrics(
    db: Database, tmp_path: Path, peer: str, header: dict[str, str], status: int
) -> None:
    assert get(db, tmp_path, peer, header, token=TOKEN)[0] == status


def _late_wakeups(text: str) -> float:
    """Wake-ups of the event loop later than 0.25 s, from the lag histogram."""
    values = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and line[0] != "#")
    late = float(values["wijkdeel_event_loop_lag_seconds_count"])
    return late - float(values['wijkdeel_event_loop_lag_seconds_bucket{le="0.25"}'])


def test_the_event_loop_reports_how_late_it_woke(db: Database, tmp_path: Path) -> None:
    runtime = build_runtime(settings_for_tests(tmp_path / "var"), db=db)
    with TestClient(create_app(runtime), client=("127.0.0.1", 41000)) as client:
        before = _late_wakeups(client.get("/metrics").text)
        client.portal.call(_block_the_loop)  # type: ignore[union-attr]
        text = client.get("/metrics").text
    assert _late_wakeups(text) > before
    stall = next(line for line in text.splitlines() if line.startswith("wijkdeel_event_loop_st"))
    assert float(stall.split()[-1]) >= 0.25


async def _block_the_loop() -> None:
    import asyncio
    import time

    await asyncio.sleep(0.15)  # the watcher is asleep now; what follows keeps it from waking
    time.sleep(0.4)
    await asyncio.sleep(0.15)
