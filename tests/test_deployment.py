"""Deployment files: compose.yaml (PostgreSQL, a one-shot migration, two API processes and a
worker) and the Dockerfile's health check."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "compose.yaml"


def _compose_command() -> list[str] | None:
    """`docker compose` (v2) or `docker-compose` (v1), whichever this machine has."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_accepts_the_file() -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}  # noqa: S108
    refused = subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=REPO,
    )
    assert refused.returncode != 0 and "WIJKDEEL_MASTER_KEY" in refused.stderr
    accepted = subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "WIJKDEEL_MASTER_KEY": "c2VjcmV0"},
        cwd=REPO,
    )
    assert accepted.returncode == 0, accepted.stderr


def _services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def test_one_database_one_migration_two_api_processes_one_worker() -> None:
    services = _services()
    wijkdeel = {name: s for name, s in services.items() if s.get("image") == "wijkdeel:latest"}
    commands = sorted(tuple(s["command"]) for s in wijkdeel.values())
    assert commands == [
        ("migrate",),
        ("serve", "--no-worker"),
        ("serve", "--no-worker"),
        ("worker",),
    ]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name, service in wijkdeel.items():
        environment = service["environment"]
        # One database and one root key for every process, or the keys do not open.
        assert environment["WIJKDEEL_MASTER_KEY"].startswith("${WIJKDEEL_MASTER_KEY:?")
        assert "@db:5432/wijkdeel" in environment["WIJKDEEL_DATABASE_URL"]
        if name != "migrate":
            assert service["depends_on"]["migrate"]["condition"] == (
                "service_completed_successfully"
            )
    proxy = services["proxy"]["command"]
    assert proxy.count("--to") == 2 and {"api-1:8000", "api-2:8000"} <= set(proxy)


def _healthcheck_code() -> str:
    dockerfile = (REPO / "Dockerfile").read_text()
    command = dockerfile.split("HEALTHCHECK", 1)[1].split("CMD", 1)[1].splitlines()[0]
    argv = json.loads(command)
    assert argv[:2] == ["python", "-c"]
    return str(argv[2])


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_dockerfile_health_check_asks_the_configured_port() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with socket.socket() as spare:
            spare.bind(("127.0.0.1", 0))
            closed = spare.getsockname()[1]
        code = _healthcheck_code()

        def check(env_port: int) -> int:
            env = {"PATH": os.environ["PATH"], "WIJKDEEL_PORT": str(env_port)}
            return subprocess.run(
                [sys.executable, "-c", code], env=env, timeout=30, capture_output=True
            ).returncode

        assert check(port) == 0
        assert check(closed) != 0
    finally:
        server.shutdown()
        server.server_close()
