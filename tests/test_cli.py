"""The `wijkdeel` command, run as a user runs it: a subprocess, from another directory."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import MASTER_KEY, POSTGRES_ADMIN_URL, REQUIRE_POSTGRES
from tests.factories import Credentials, ec_key, oauth_client

WIJKDEEL = str(Path(sys.executable).parent / "wijkdeel")
COVENANT = str(Path(__file__).resolve().parents[1] / "examples" / "convenant-noord.yaml")


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd),
        "WIJKDEEL_MASTER_KEY": MASTER_KEY,
        "WIJKDEEL_SECRET_HASH_MEMORY_KIB": "64",
        "WIJKDEEL_SECRET_HASH_TIME_COST": "1",
        # A work tree tested with the shared environment imports its own code.
        **{name: os.environ[name] for name in ("PYTHONPATH",) if name in os.environ},
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
    # The three first keys that `migrate` created, and the two imported versions.
    assert verified["valid"] and verified["count"] == 5


def test_demo_walks_the_story_and_seeds_idempotently(tmp_path: Path) -> None:
    run(tmp_path, "migrate")
    walked = run(tmp_path, "demo")
    assert walked.returncode == 0, walked.stderr
    out = walked.stdout
    assert "→ 201" in out and '"reasons": ["consent_required"]' in out
    assert '"reasons": ["consent_withdrawn"]' in out and "→ 410" in out
    assert '"valid": true' in out and "111222333" not in out
    # Issue 14's story: the agreement's coordinator hands regie over to the school.
    assert '"coordinator": {"partner": "wijkteam-noord"' in out
    assert '"handover": {"to": "obs-de-linde"' in out
    assert out.rstrip().count('"coordinator": {"partner": "obs-de-linde"') == 1
    credentials = tmp_path / "var" / "demo-credentials.json"
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    first = json.loads(credentials.read_text())
    again = run(tmp_path, "demo", "--seed-only")
    assert again.returncode == 0 and json.loads(credentials.read_text()) == first


def test_verify_acceptances_finds_a_forged_statement(tmp_path: Path) -> None:
    run(tmp_path, "migrate")
    assert run(tmp_path, "demo", "--seed-only").returncode == 0
    good = run(tmp_path, "agreements", "verify-acceptances")
    assert good.returncode == 0, good.stdout + good.stderr
    assert (
        # Both demo agreements: three parties to convenant-noord, two to convenant-zorgoverleg.
        "checked 5 acceptances (5 client)" in good.stdout and "all acceptances hold" in good.stdout
    )
    with sqlite3.connect(tmp_path / "var" / "wijkdeel.db") as conn:
        # The wijkteam's statement stored as the school's: signed, but not by the school's key.
        conn.execute(
            "UPDATE agreement_acceptances SET signature = (SELECT signature FROM "
            "agreement_acceptances WHERE partner_id = 'wijkteam-noord'"
            " AND agreement_id = 'convenant-noord') "
            "WHERE partner_id = 'obs-de-linde' AND agreement_id = 'convenant-noord'"
        )
    bad = run(tmp_path, "agreements", "verify-acceptances", "--json")
    assert bad.returncode == 1
    answer = json.loads(bad.stdout)
    assert answer["valid"] is False and answer["checked"] == 5
    assert [(f["partner"], f["problem"]) for f in answer["findings"]] == [
        ("obs-de-linde", "forged_signature")
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A scratch PostgreSQL database of this test's own (not yet migrated)."""
    name = f"wijkdeel_cli_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL is unreachable", pytrace=False)
        pytest.skip("PostgreSQL is unreachable")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("wijkdeel: ")
    return lines[0]


def test_from_another_directory_a_command_refuses_and_creates_nothing(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "installation", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    no_key = {"WIJKDEEL_MASTER_KEY": ""}
    assert run(home, "migrate", env=no_key).returncode == 0
    key = (home / "var" / "master.key").read_text()

    for command in (["agreements", "import", COVENANT], ["partners", "list"]):
        refused = run(elsewhere, *command, env=no_key)
        line = _one_line(refused)
        assert "no wijkdeel installation" in line and str(elsewhere / "var") in line
        assert "WIJKDEEL_VAR_DIR" in line
    assert list(elsewhere.iterdir()) == []  # no database, no var/, no key

    found = run(
        elsewhere, "partners", "list", env={**no_key, "WIJKDEEL_VAR_DIR": str(home / "var")}
    )
    assert found.returncode == 0, found.stderr
    (home / "var" / "master.key").unlink()
    keyless = run(
        elsewhere, "partners", "list", env={**no_key, "WIJKDEEL_VAR_DIR": str(home / "var")}
    )
    assert "no master key" in _one_line(keyless)
    assert not (home / "var" / "master.key").exists()
    # Even migrate does not make a new key for a database whose keys another key wraps.
    (home / "var" / "master.key").write_text(key)
    assert run(home, "keys", "rotate-signing", env=no_key).returncode == 0
    (home / "var" / "master.key").unlink()
    migrated = run(home, "migrate", env=no_key)
    assert migrated.returncode == 0 and "no master key" in migrated.stderr
    assert not (home / "var" / "master.key").exists()
    wrong = run(home, "partners", "list")  # run() passes another installation's key
    assert "does not open this database's keys" in _one_line(wrong)


def test_a_missing_or_unreachable_postgresql_database_is_one_line(
    tmp_path: Path, postgres_url: str
) -> None:
    missing = postgres_url.rsplit("/", 1)[0] + "/wijkdeel_no_such_database"
    for command in (["migrate"], ["partners", "list"], ["serve"]):
        line = _one_line(run(tmp_path, *command, env={"WIJKDEEL_DATABASE_URL": missing}))
        assert "wijkdeel_no_such_database does not exist" in line and "createdb" in line
    unreachable = f"postgresql+psycopg://postgres:hunter2@127.0.0.1:{_free_port()}/wijkdeel"
    line = _one_line(run(tmp_path, "audit", "verify", env={"WIJKDEEL_DATABASE_URL": unreachable}))
    assert "cannot use the database" in line and "refused" in line.lower()
    assert "hunter2" not in line
    unmigrated = _one_line(
        run(tmp_path, "partners", "list", env={"WIJKDEEL_DATABASE_URL": postgres_url})
    )
    assert "wijkdeel migrate" in unmigrated
    assert list(tmp_path.iterdir()) == []


def test_help_shows_flags_as_flags() -> None:
    import typer

    from wijkdeel.cli import app

    root = typer.main.get_command(app)

    def help_of(*path: str) -> str:
        command: Any = root
        context = command.context_class(command, info_name="wijkdeel")
        for name in path:
            command = command.get_command(context, name)
            assert command is not None, name
            context = command.context_class(command, info_name=name, parent=context)
        return str(command.get_help(context))

    for path in (["bootstrap"], ["serve"], ["audit", "verify"], ["clients", "create"]):
        assert "<bool>" not in help_of(*path), path
    assert re.search(r"^\s+--json\s+print JSON", help_of("bootstrap"), re.M)
    assert re.search(r"^\s+--no-worker\s+no background work", help_of("serve"), re.M)


def _events(path: Path, action: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as conn:
        return list(
            conn.execute(
                "SELECT resource_id, role, outcome FROM audit_events WHERE action = ?", (action,)
            )
        )


def test_partners_and_clients_from_the_command_line(tmp_path: Path) -> None:
    run(tmp_path, "migrate")
    database = tmp_path / "var" / "wijkdeel.db"
    created = run(
        tmp_path,
        "partners",
        "create",
        "wijkteam-noord",
        "--name",
        "Wijkteam Noord",
        "--kind",
        "wijkteam",
    )
    assert created.returncode == 0, created.stderr
    assert (
        run(
            tmp_path,
            "partners",
            "create",
            "wijkteam-noord",
            "--name",
            "Again",
            "--kind",
            "wijkteam",
        ).returncode
        == 2
    )
    bad = run(tmp_path, "partners", "create", "Wijkteam Zuid", "--name", "Z", "--kind", "bakery")
    assert bad.returncode == 2 and "id" in bad.stderr and "kind" in bad.stderr
    assert run(tmp_path, "partners", "suspend", "wijkteam-noord").returncode == 0
    assert "already suspended" in run(tmp_path, "partners", "suspend", "wijkteam-noord").stdout
    listed = json.loads(run(tmp_path, "partners", "list", "--json").stdout)
    assert listed == [
        {
            "id": "wijkteam-noord",
            "name": "Wijkteam Noord",
            "kind": "wijkteam",
            "status": "suspended",
        }
    ]
    assert run(tmp_path, "partners", "reactivate", "wijkteam-noord").returncode == 0
    assert run(tmp_path, "partners", "suspend", "nobody-here").returncode == 2

    secret = json.loads(
        run(tmp_path, "clients", "create", "wijkteam-noord", "--secret", "--json").stdout
    )
    assert secret["authMethod"] == "client_secret_basic" and secret["clientSecret"].startswith(
        "wds_"
    )
    _, public = ec_key()
    jwk = tmp_path / "wijkteam.jwk.json"
    jwk.write_text(json.dumps({**public, "kid": "k1"}))
    keyed = run(
        tmp_path, "clients", "create", "wijkteam-noord", "--jwk", str(jwk), "--role", "auditor"
    )
    assert keyed.returncode == 0, keyed.stderr
    jwk.write_text(json.dumps({**public, "d": public["x"]}))
    private = run(tmp_path, "clients", "create", "wijkteam-noord", "--jwk", str(jwk))
    assert private.returncode == 2 and "d" in private.stderr
    assert run(tmp_path, "clients", "create", "wijkteam-noord").returncode == 2
    assert (
        run(
            tmp_path, "clients", "create", "wijkteam-noord", "--secret", "--role", "root"
        ).returncode
        == 2
    )
    clients = json.loads(run(tmp_path, "clients", "list", "wijkteam-noord", "--json").stdout)
    assert sorted((c["role"], c["authMethod"]) for c in clients) == [
        ("auditor", "private_key_jwt"),
        ("partner", "client_secret_basic"),
    ]
    assert all("clientSecret" not in c for c in clients)
    revoked = run(tmp_path, "clients", "revoke", secret["clientId"])
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert "already revoked" in run(tmp_path, "clients", "revoke", secret["clientId"]).stdout
    assert run(tmp_path, "clients", "revoke", "cl_nobody").returncode == 2

    assert _events(database, "partner.create") == [("wijkteam-noord", "operator", "allow")]
    assert len(_events(database, "partner.update")) == 2
    assert len(_events(database, "client.create")) == 2
    assert _events(database, "client.revoke") == [(secret["clientId"], "operator", "allow")]
    with sqlite3.connect(database) as conn:
        status = conn.execute("SELECT status FROM clients WHERE id = ?", (secret["clientId"],))
        assert status.fetchone() == ("revoked",)
    assert json.loads(run(tmp_path, "audit", "verify", "--full").stdout)["valid"] is True


def _wait_until_up(base: str, server: subprocess.Popen[str]) -> None:
    for _ in range(200):
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server did not come up")


def _serve(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd),
        "WIJKDEEL_MASTER_KEY": MASTER_KEY,
        "WIJKDEEL_SECRET_HASH_MEMORY_KIB": "64",
        "WIJKDEEL_SECRET_HASH_TIME_COST": "1",
        **(env or {}),
    }
    return subprocess.Popen(
        [WIJKDEEL, "serve", *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_serve_on_another_port_gives_authlib_a_token_with_its_defaults(tmp_path: Path) -> None:
    """No WIJKDEEL_ISSUER: the issuer is the address served on, and Authlib's private_key_jwt
    (assertions an hour ahead, aud = the URL it calls) and client_secret_basic work as is."""
    run(tmp_path, "migrate")
    admin = json.loads(run(tmp_path, "bootstrap", "--json").stdout)
    pem, public = ec_key()
    (tmp_path / "admin.jwk").write_text(json.dumps({**public, "kid": "k1"}))
    keyed = json.loads(
        run(
            tmp_path,
            "clients",
            "create",
            "gemeente",
            "--role",
            "admin",
            "--jwk",
            "admin.jwk",
            "--json",
        ).stdout
    )
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(tmp_path, "--port", str(port))
    try:
        _wait_until_up(base, server)
        metadata = httpx.get(f"{base}/.well-known/oauth-authorization-server").json()
        assert metadata["issuer"] == base
        assert httpx.get(f"{base}/v1/openapi.json").json()["servers"][0]["url"] == f"{base}/v1"
        for creds in (
            Credentials(keyed["clientId"], "gemeente", "admin", private_pem=pem, kid="k1"),
            Credentials(admin["clientId"], "gemeente", "admin", secret=admin["clientSecret"]),
        ):
            with oauth_client(creds) as oauth:
                answer = oauth.fetch_token(
                    metadata["token_endpoint"], grant_type="client_credentials"
                )
                me = oauth.get(f"{base}/v1/me")
            assert me.status_code == 200 and me.json()["clientId"] == creds.client_id
            claims = _claims(answer["access_token"])
            assert claims["iss"] == base and claims["aud"] == f"{base}/v1"
        time.sleep(1.2)  # the in-process sealer chains the events within about a second
        assert json.loads(run(tmp_path, "audit", "verify").stdout)["unsealed"] == 0
    finally:
        server.terminate()
        _, log = server.communicate(timeout=10)
    started = next(line for line in log.splitlines() if "wijkdeel listening" in line)
    for part in (f"address={base}", "database=sqlite", "worker=on", "environment=development"):
        assert part in started, started
    access = [
        line for line in log.splitlines() if "wijkdeel.access" in line and "route=/v1/me" in line
    ]
    assert len(access) == 2 and f"clientId={keyed['clientId']}" in access[0]
    assert "status=200" in access[0] and "requestId=" in access[0]
    assert log.rstrip().splitlines()[-1].endswith(f"wijkdeel stopped address={base}")


def _claims(access_token: str) -> dict[str, object]:
    from jose import jwt as jose_jwt

    return dict(jose_jwt.get_unverified_claims(access_token))


def test_several_processes_need_postgresql(tmp_path: Path) -> None:
    run(tmp_path, "migrate")
    assert "needs PostgreSQL" in _one_line(run(tmp_path, "serve", "--workers", "2"))


@pytest.mark.slow
def test_serve_with_two_processes_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    env = {"WIJKDEEL_DATABASE_URL": postgres_url, "WIJKDEEL_LOG_FORMAT": "json"}
    assert run(tmp_path, "migrate", env=env).returncode == 0
    admin = json.loads(run(tmp_path, "bootstrap", "--json", env=env).stdout)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(tmp_path, "--port", str(port), "--workers", "2", env=env)
    try:
        _wait_until_up(base, server)
        creds = Credentials(admin["clientId"], "gemeente", "admin", secret=admin["clientSecret"])
        with oauth_client(creds) as oauth:
            oauth.fetch_token(f"{base}/v1/oauth/token", grant_type="client_credentials")
            assert all(oauth.get(f"{base}/v1/me").status_code == 200 for _ in range(10))
    finally:
        server.terminate()
        _, log = server.communicate(timeout=20)
    lines = [json.loads(line) for line in log.splitlines()]
    started = next(line for line in lines if line["message"] == "wijkdeel listening")
    assert started["processes"] == 2 and started["database"] == "postgresql"
    assert "secret" not in json.dumps(started) and started["issuer"] == base
    assert sum(1 for line in lines if line.get("route") == "/v1/me") == 10
    assert lines[-1]["message"] == "wijkdeel stopped"


@pytest.mark.slow
def test_rewrap_without_a_terminal_says_what_it_waits_for(tmp_path: Path) -> None:
    run(tmp_path, "migrate")
    assert run(tmp_path, "keys", "rotate-signing").returncode == 0
    assert run(tmp_path, "audit", "rotate-key").returncode == 0
    assert "version 2" in run(tmp_path, "keys", "rotate-master").stdout
    # As if the rotation had happened a few seconds later: starting `rewrap` can take longer
    # on a busy machine than the ~11 s it waits for after a rotation.
    with sqlite3.connect(tmp_path / "var" / "wijkdeel.db") as conn:
        (created,) = conn.execute("SELECT created_at FROM master_keys WHERE version = 2").fetchone()
        later = datetime.fromisoformat(created) + timedelta(seconds=6)
        conn.execute(
            "UPDATE master_keys SET created_at = ? WHERE version = 2",
            (later.strftime("%Y-%m-%d %H:%M:%S.%f"),),
        )
    rewrapped = run(tmp_path, "keys", "rewrap")
    assert rewrapped.returncode == 0, rewrapped.stderr
    assert "━" not in rewrapped.stderr and "\x1b" not in rewrapped.stderr  # no bar, no escapes
    assert re.search(r"^rewrapping \d+/\d+$", rewrapped.stderr, re.M)
    assert re.search(
        r"waiting \d+ s until every running wijkdeel process has seen master key version 2",
        rewrapped.stderr,
    )
    summary = re.fullmatch(
        r"rewrapped (\d+) key\(s\) to master key version 2 in ([\d.]+) s \(([\d,]+)/s\), "
        r"then waited ([\d.]+) s for other processes\n",
        rewrapped.stdout,
    )
    assert summary, rewrapped.stdout
    done, working, rate, waited = summary.groups()
    assert int(done) >= 2 and float(waited) > 1
    # The rate is that of the rewrapping: the wait for other processes is not counted.
    assert int(rate.replace(",", "")) + 1 >= 0.9 * int(done) / (float(working) + 0.005)
