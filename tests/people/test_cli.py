"""`wijkdeel people`, run as an operator runs it: provisioning, roles, links, one-time
credentials, each change an operator event in the audit log."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pyotp
import pytest

from tests.test_cli import run


@pytest.mark.slow
def test_people_commands_provision_and_are_audited(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    added = run(
        tmp_path,
        "people",
        "add",
        "a.jansen",
        "--name",
        "Anna Jansen",
        "--role",
        "admin",
        "--local",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    anna = json.loads(added.stdout)
    assert anna["id"].startswith("ps_") and anna["role"] == "admin" and anna["local"] is True
    assert pyotp.TOTP(anna["totpSecret"]).now().isdigit()
    assert anna["totpUri"].startswith("otpauth://totp/wijkdeel:a.jansen?secret=")
    assert len(anna["oneTimePassword"]) >= 20

    assert (
        run(tmp_path, "people", "add", "a.jansen", "--name", "X", "--role", "admin").returncode == 2
    )
    bad_role = run(tmp_path, "people", "add", "b.bakker", "--name", "B", "--role", "boss")
    assert bad_role.returncode == 2 and "admin, auditor, policymaker" in bad_role.stderr
    bad_name = run(tmp_path, "people", "add", "Not Valid!", "--name", "B", "--role", "auditor")
    assert bad_name.returncode == 2

    oidc = run(
        tmp_path,
        "people",
        "add",
        "b.bakker",
        "--name",
        "Bram Bakker",
        "--role",
        "auditor",
        "--oidc-subject",
        "248289761001",
        "--oidc-issuer",
        "https://idp.example.nl",
        "--json",
    )
    assert oidc.returncode == 0, oidc.stderr
    assert json.loads(oidc.stdout)["oidc"] == {
        "issuer": "https://idp.example.nl",
        "subject": "248289761001",
    }
    taken = run(
        tmp_path,
        "people",
        "link-oidc",
        "a.jansen",
        "--subject",
        "248289761001",
        "--issuer",
        "https://idp.example.nl",
    )
    assert taken.returncode == 2 and "another person" in taken.stderr

    assert run(tmp_path, "people", "set-role", "b.bakker", "policymaker").returncode == 0
    assert run(tmp_path, "people", "disable", anna["id"]).returncode == 0
    reset = run(tmp_path, "people", "reset-password", "a.jansen", "--json")
    assert json.loads(reset.stdout)["totpSecret"] != anna["totpSecret"]
    listed = json.loads(run(tmp_path, "people", "list", "--json").stdout)
    assert [(p["username"], p["role"], p["status"]) for p in listed] == [
        ("a.jansen", "admin", "disabled"),
        ("b.bakker", "policymaker", "active"),
    ]
    code = run(tmp_path, "people", "code", "a.jansen")
    assert code.stdout.strip() == pyotp.TOTP(json.loads(reset.stdout)["totpSecret"]).now() or (
        code.stdout.strip().isdigit()  # the step may have turned between the two
    )
    production = run(
        tmp_path,
        "people",
        "code",
        "a.jansen",
        env={"WIJKDEEL_ENV": "production", "WIJKDEEL_ISSUER": "https://x.example"},
    )
    assert production.returncode == 2

    with sqlite3.connect(tmp_path / "var" / "wijkdeel.db") as conn:
        stored = conn.execute("SELECT password_hash, totp_secret FROM people").fetchall()
        events = conn.execute(
            "SELECT action, role, reason FROM audit_events WHERE resource_type = 'person' "
            "ORDER BY pk"
        ).fetchall()
    for password_hash, sealed in stored:
        assert password_hash is None or password_hash.startswith("$argon2id$")
        assert sealed is None or anna["totpSecret"].encode() not in sealed
    assert [e[0] for e in events] == [
        "person.create",
        "person.create",
        "person.set_role",
        "person.disable",
        "person.reset_credentials",
        "person.list",
    ]
    assert {(e[1], e[2]) for e in events} == {("operator", "cli")}


@pytest.mark.slow
def test_the_demo_seeds_one_person_per_role(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    seeded = run(tmp_path, "demo", "--seed-only")
    assert seeded.returncode == 0, seeded.stderr
    for username in ("beheerder", "auditor", "beleid"):
        assert username in seeded.stderr
    assert "otpauth://totp/wijkdeel:beheerder" in seeded.stderr
    people = json.loads((tmp_path / "var" / "demo-people.json").read_text())
    assert {p["role"] for p in people.values()} == {"admin", "auditor", "policymaker"}
    again = run(tmp_path, "demo", "--seed-only")  # idempotent: same people, same passwords
    assert again.returncode == 0
    assert json.loads((tmp_path / "var" / "demo-people.json").read_text()) == people
    listed = json.loads(run(tmp_path, "people", "list", "--json").stdout)
    assert len(listed) == 3
