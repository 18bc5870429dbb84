"""The `wijkdeel` command, run as a user runs it: a subprocess, from another directory."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import MASTER_KEY

WIJKDEEL = str(Path(sys.executable).parent / "wijkdeel")


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd),
        "WIJKDEEL_MASTER_KEY": MASTER_KEY,
        "WIJKDEEL_SECRET_HASH_MEMORY_KIB": "64",
        "WIJKDEEL_SECRET_HASH_TIME_COST": "1",
        **(env or {}),
    }
    return subprocess.run(
        [WIJKDEEL, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


def test_migrate_bootstrap_verify_from_any_directory(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    result = run(tmp_path, "bootstrap", "--partner", "gemeente-noord", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)  # stdout holds only the JSON
    assert answer["partner"] == "gemeente-noord" and answer["clientSecret"].startswith("wds_")
    assert answer["clientSecret"] not in result.stderr
    verified = run(tmp_path, "audit", "verify")
    assert verified.returncode == 0 and json.loads(verified.stdout)["valid"] is True
    kid = run(tmp_path, "keys", "rotate-signing")
    assert kid.returncode == 0 and kid.stdout.strip()
    with sqlite3.connect(tmp_path / "var" / "wijkdeel.db") as conn:
        conn.execute("UPDATE audit_events SET action = 'nothing' WHERE seq = 1")
    # Seq 1 lies before the checkpoint the first verify left: the default walk reaches it.
    broken = run(tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert json.loads(broken.stdout) == {
        "valid": False,
        "mode": "full",
        "checkedFrom": 0,
        "firstInvalidSeq": 1,
        "reason": "altered_event",
    }
    routine = run(tmp_path, "audit", "verify", "--incremental")
    assert routine.returncode == 0
    assert json.loads(routine.stdout)["mode"] == "incremental"


def test_commands_refuse_an_unmigrated_database(tmp_path: Path) -> None:
    result = run(tmp_path, "bootstrap", "--json")
    assert result.returncode == 2 and "wijkdeel migrate" in result.stderr
    assert result.stdout == ""


def test_production_without_master_key_stops_with_one_line(tmp_path: Path) -> None:
    run(tmp_path, "migrate")
    result = run(
        tmp_path,
        "serve",
        env={
            "WIJKDEEL_ENV": "production",
            "WIJKDEEL_MASTER_KEY": "",
            "WIJKDEEL_ISSUER": "https://wijkdeel.example.nl",
        },
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "wijkdeel: WIJKDEEL_MASTER_KEY is required in production"
    ]
    http = run(
        tmp_path, "serve", env={"WIJKDEEL_ENV": "production", "WIJKDEEL_ISSUER": "http://x.example"}
    )
    assert http.returncode == 2 and "https://" in http.stderr
    zero = run(
        tmp_path,
        "serve",
        env={
            "WIJKDEEL_ENV": "production",
            "WIJKDEEL_MASTER_KEY": "A" * 43 + "=",
            "WIJKDEEL_ISSUER": "https://wijkdeel.example.nl",
        },
    )
    assert zero.returncode == 2
    assert [line.split(" (")[0] for line in zero.stderr.strip().splitlines()] == [
        "wijkdeel: WIJKDEEL_MASTER_KEY is weak"
    ]


def test_bad_partner_slug_is_refused(tmp_path: Path) -> None:
    run(tmp_path, "migrate")
    result = run(tmp_path, "bootstrap", "--partner", "Gemeente Noord", "--json")
    assert result.returncode == 2 and result.stdout == ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_and_issues_tokens(tmp_path: Path) -> None:
    run(tmp_path, "migrate")
    creds = json.loads(run(tmp_path, "bootstrap", "--json").stdout)
    port = _free_port()
    env = {
        **os.environ,
        "WIJKDEEL_MASTER_KEY": MASTER_KEY,
        "WIJKDEEL_ISSUER": f"http://127.0.0.1:{port}",
        "WIJKDEEL_SECRET_HASH_MEMORY_KIB": "64",
        "WIJKDEEL_SECRET_HASH_TIME_COST": "1",
    }
    server = subprocess.Popen(
        [WIJKDEEL, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        answer = httpx.post(
            f"{base}/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(creds["clientId"], creds["clientSecret"]),
        )
        assert answer.status_code == 200
        me = httpx.get(
            f"{base}/v1/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}
        )
        assert me.json()["role"] == "admin"
        assert httpx.get(f"{base}/metrics").status_code == 200  # from this machine
        proxied = httpx.get(f"{base}/metrics", headers={"x-forwarded-for": "127.0.0.1"})
        assert proxied.status_code == 404
        time.sleep(1.2)  # the in-process sealer chains the events within about a second
        assert json.loads(run(tmp_path, "audit", "verify").stdout)["unsealed"] == 0
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_agreements_import_and_export_round_trip(tmp_path: Path) -> None:
    import yaml

    from tests.factories import example_agreement

    run(tmp_path, "migrate")
    db = sqlite3.connect(tmp_path / "var" / "wijkdeel.db")
    for partner, kind in [
        ("kinderwerk-noord", "kinderwerk"),
        ("obs-de-linde", "school"),
        ("wijkteam-noord", "wijkteam"),
    ]:
        db.execute(
            "INSERT INTO partners (id, name, kind, status, created_at, updated_at) "
            "VALUES (?, ?, ?, 'active', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            (partner, partner, kind),
        )
    db.commit()
    db.close()
    source = tmp_path / "convenant-noord.yaml"
    source.write_text(yaml.safe_dump(example_agreement(), sort_keys=False))
    created = run(tmp_path, "agreements", "import", str(source))
    assert created.returncode == 0 and "version 1" in created.stdout
    unchanged = run(tmp_path, "agreements", "import", str(source))
    assert "unchanged" in unchanged.stdout
    exported = run(tmp_path, "agreements", "export", "convenant-noord")
    assert yaml.safe_load(exported.stdout) == example_agreement()
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(example_agreement(status="suspended")))
    assert "version 2" in run(tmp_path, "agreements", "import", str(changed)).stdout
    first = json.loads(
        run(
            tmp_path,
            "agreements",
            "export",
            "convenant-noord",
            "--version",
            "1",
            "--format",
            "json",
        ).stdout
    )
    assert first["status"] == "active"
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        yaml.safe_dump(example_agreement(id="convenant-twee", parties=["kinderwerk-noord"]))
    )
    refused = run(tmp_path, "agreements", "import", str(broken))
    assert refused.returncode == 2 and "rules[0].recipient" in refused.stderr
    assert run(tmp_path, "agreements", "export", "convenant-twee").returncode == 2
    verified = json.loads(run(tmp_path, "audit", "verify").stdout)
    assert verified["valid"] and verified["count"] == 2


def test_demo_walks_the_story_and_seeds_idempotently(tmp_path: Path) -> None:
    run(tmp_path, "migrate")
    walked = run(tmp_path, "demo")
    assert walked.returncode == 0, walked.stderr
    out = walked.stdout
    assert "→ 201" in out and '"reasons": ["consent_required"]' in out
    assert '"reasons": ["consent_withdrawn"]' in out and "→ 410" in out
    assert '"valid": true' in out and "111222333" not in out
    credentials = tmp_path / "var" / "demo-credentials.json"
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    first = json.loads(credentials.read_text())
    again = run(tmp_path, "demo", "--seed-only")
    assert again.returncode == 0 and json.loads(credentials.read_text()) == first
