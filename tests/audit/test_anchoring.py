"""`wijkdeel audit`: incremental and full verification, signed checkpoint lines kept outside
the system, and the key that signs them - run as an operator runs them, on both databases."""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jose import jws
from sqlalchemy import select, text, update

from audit import anchoring, chain
from audit.chain import CHAIN_COLUMNS, GENESIS, event_hash, events, seal_all
from audit.events import AuditDraft, record
from records.db import Database
from records.models import AuditKey
from tests.factories import ec_key
from tests.test_cli import run
from wijkdeel.runtime import Runtime
from wijkdeel.settings import Settings


def cli(db: Database, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    url = db.url.render_as_string(hide_password=False)
    return run(cwd, *args, env={"WIJKDEEL_DATABASE_URL": url})


def append(db: Database, count: int) -> None:
    for index in range(count):
        with db.session() as session:
            draft = AuditDraft(
                action="signal.read", at=datetime.now(UTC), client_id="cl_test", partner="p1"
            )
            draft.resource_id = str(index)
            record(session, draft, "allow")
    seal_all(db)


def checkpoint(db: Database, cwd: Path) -> str:
    made = cli(db, cwd, "audit", "checkpoint")
    assert made.returncode == 0, made.stderr
    line = made.stdout.strip()
    assert made.stdout.count("\n") == 1 and line.count(".") == 2
    assert "anchored seq" in made.stderr
    return line


def claims(line: str) -> dict[str, Any]:
    payload = line.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def stored_hash(db: Database, seq: int) -> str:
    with db.engine.connect() as conn:
        return str(conn.execute(select(events.c.hash).where(events.c.seq == seq)).scalar())


def refused(result: subprocess.CompletedProcess[str], reason: str) -> bool:
    lines = result.stderr.strip().splitlines()
    return result.returncode == 2 and result.stdout == "" and len(lines) == 1 and reason in lines[0]


def test_a_checkpoint_line_is_checked_anywhere_and_proves_the_log_intact(
    db: Database, tmp_path: Path
) -> None:
    append(db, 10)
    line = checkpoint(db, tmp_path)
    anchored = claims(line)
    assert set(anchored) == {"iss", "iat", "seq", "hash", "at"}
    assert anchored["hash"] == stored_hash(db, anchored["seq"]) and anchored["seq"] >= 10

    # Outside the system: the public key and any JOSE library are enough.
    jwks = json.loads(cli(db, tmp_path, "audit", "public-key").stdout)
    assert len(jwks["keys"]) == 1 and "d" not in jwks["keys"][0]
    assert json.loads(jws.verify(line, jwks["keys"][0], algorithms=["ES256"])) == anchored
    header = jws.get_unverified_header(line)
    assert header["typ"] == "audit-checkpoint+jwt" and header["kid"] == jwks["keys"][0]["kid"]

    append(db, 5)  # the log goes on
    held = cli(db, tmp_path, "audit", "verify", "--since-checkpoint", line)
    assert held.returncode == 0, held.stderr
    answer = json.loads(held.stdout)
    assert answer["valid"] and answer["checkedFrom"] == 0 and answer["count"] > anchored["seq"]
    assert answer["checkpoint"]["seq"] == anchored["seq"]
    copy = tmp_path / "audit-key.json"
    copy.write_text(json.dumps(jwks))
    own_key = cli(
        db, tmp_path, "audit", "verify", "--since-checkpoint", line, "--public-key", str(copy)
    )
    assert own_key.returncode == 0, own_key.stderr


def rechain(db: Database, *, change_seq: int) -> None:
    """What someone with write access to the database could do: edit an event, recompute every
    hash after it so the chain is consistent again, and drop the checkpoints kept inside."""
    with db.engine.begin() as conn:
        conn.execute(update(events).where(events.c.seq == change_seq).values(partner="nobody"))
        rows = conn.execute(
            select(*[events.c[name] for name in CHAIN_COLUMNS]).order_by(events.c.seq)
        ).all()
        prev = GENESIS
        link = CHAIN_COLUMNS.index("prev_hash")
        for row in rows:
            values = (*row[:link], prev, *row[link + 1 :])
            conn.execute(update(events).where(events.c.seq == row[0]).values(prev_hash=prev))
            prev = event_hash(values)
            conn.execute(update(events).where(events.c.seq == row[0]).values(hash=prev))
        conn.execute(text("DELETE FROM audit_checkpoints"))


def test_a_rewritten_log_fails_against_a_line_kept_outside(db: Database, tmp_path: Path) -> None:
    append(db, 10)
    line = checkpoint(db, tmp_path)
    append(db, 3)
    rechain(db, change_seq=4)
    internal = cli(db, tmp_path, "audit", "verify")
    assert internal.returncode == 0  # consistent in itself: only the outside line can tell
    against = cli(db, tmp_path, "audit", "verify", "--since-checkpoint", line)
    assert against.returncode == 1
    assert json.loads(against.stdout) == {
        "valid": False,
        "mode": "full",
        "checkedFrom": 0,
        "firstInvalidSeq": claims(line)["seq"],
        "reason": "checkpoint_mismatch",
    }


def test_a_log_cut_short_fails_against_its_line(db: Database, tmp_path: Path) -> None:
    append(db, 10)
    line = checkpoint(db, tmp_path)
    seal_all(db)  # the events the checkpoint itself left, so they are cut off too
    with db.engine.begin() as conn:
        conn.execute(events.delete().where(events.c.seq >= 8))
        conn.execute(text("DELETE FROM audit_checkpoints"))
    cut = cli(db, tmp_path, "audit", "verify", "--since-checkpoint", line)
    assert cut.returncode == 1
    assert json.loads(cut.stdout) == {
        "valid": False,
        "mode": "full",
        "checkedFrom": 0,
        "firstInvalidSeq": 8,
        "reason": "missing_event",
    }


def test_forged_edited_and_foreign_lines_are_refused(db: Database, tmp_path: Path) -> None:
    append(db, 5)
    line = checkpoint(db, tmp_path)
    header, payload, signature = line.split(".")
    kid = jws.get_unverified_header(line)["kid"]
    forged_claims = {**claims(line), "hash": "f" * 64}
    foreign_pem, foreign_public = ec_key()
    foreign = jws.sign(
        forged_claims,
        foreign_pem,
        algorithm="ES256",
        headers={"kid": kid, "typ": "audit-checkpoint+jwt"},
    )
    unknown = jws.sign(
        claims(line),
        foreign_pem,
        algorithm="ES256",
        headers={"kid": "k", "typ": "audit-checkpoint+jwt"},
    )
    unsigned = f"{b64({'alg': 'none', 'typ': 'audit-checkpoint+jwt', 'kid': kid})}.{payload}."
    for bad, reason in [
        (f"{header}.{b64(forged_claims)}.{signature}", "invalid_signature"),
        (foreign, "invalid_signature"),
        (unknown, "unknown_key"),
        (unsigned, "malformed"),
        (f"{header}.{payload}", "malformed"),
        ("not a checkpoint", "malformed"),
    ]:
        result = cli(db, tmp_path, "audit", "verify", "--since-checkpoint", bad)
        assert refused(result, reason), (reason, result.returncode, result.stderr)

    stranger = tmp_path / "stranger.json"
    stranger.write_text(json.dumps({"keys": [{**foreign_public, "kid": kid}]}))
    result = cli(
        db, tmp_path, "audit", "verify", "--since-checkpoint", line, "--public-key", str(stranger)
    )
    assert refused(result, "invalid_signature")
    assert cli(db, tmp_path, "audit", "verify", "--public-key", str(stranger)).returncode == 2


def test_a_key_swapped_in_the_database_verifies_nothing(db: Database, tmp_path: Path) -> None:
    """The public half is derived from the sealed private half, never read from its column."""
    append(db, 5)
    line = checkpoint(db, tmp_path)
    kid = jws.get_unverified_header(line)["kid"]
    attacker_pem, attacker_public = ec_key()
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_keys SET public_jwk = :jwk"),
            {"jwk": json.dumps({**attacker_public, "kid": kid})},
        )
    forged = jws.sign(
        {**claims(line), "hash": "e" * 64},
        attacker_pem,
        algorithm="ES256",
        headers={"kid": kid, "typ": "audit-checkpoint+jwt"},
    )
    assert refused(
        cli(db, tmp_path, "audit", "verify", "--since-checkpoint", forged), "invalid_signature"
    )
    assert cli(db, tmp_path, "audit", "verify", "--since-checkpoint", line).returncode == 0


def test_rotated_keys_keep_old_lines_verifiable(db: Database, tmp_path: Path) -> None:
    append(db, 3)
    first = checkpoint(db, tmp_path)
    rotated = cli(db, tmp_path, "audit", "rotate-key")
    assert rotated.returncode == 0
    second = checkpoint(db, tmp_path)
    kids = [jws.get_unverified_header(line)["kid"] for line in (first, second)]
    assert kids[1] == rotated.stdout.strip() and kids[0] != kids[1]
    jwks = json.loads(cli(db, tmp_path, "audit", "public-key").stdout)
    assert [key["kid"] for key in jwks["keys"]] == [kids[1], kids[0]]
    for line in (first, second):
        assert cli(db, tmp_path, "audit", "verify", "--since-checkpoint", line).returncode == 0
    with db.engine.connect() as conn:
        actions = [row[0] for row in conn.execute(text("SELECT action FROM audit_events"))]
    assert {"key.create_audit", "audit.rotate_key", "audit.checkpoint"} <= set(actions)


def test_verify_is_full_unless_incremental(db: Database, tmp_path: Path) -> None:
    append(db, 10)
    first = json.loads(cli(db, tmp_path, "audit", "verify").stdout)
    # The command's start created the first keys: three events more.
    assert first["valid"] and first["mode"] == "full" and first["checkedFrom"] == 0
    assert first["count"] == 13
    append(db, 4)
    second = json.loads(cli(db, tmp_path, "audit", "verify", "--incremental").stdout)
    assert second["mode"] == "incremental" and second["checkedFrom"] == 13
    assert second["count"] == 17
    with db.engine.begin() as conn:  # before the newest checkpoint
        conn.execute(update(events).where(events.c.seq == 3).values(action="nothing"))
    full = cli(db, tmp_path, "audit", "verify")
    assert full.returncode == 1
    assert json.loads(full.stdout) == {
        "valid": False,
        "mode": "full",
        "checkedFrom": 0,
        "firstInvalidSeq": 3,
        "reason": "altered_event",
    }
    assert cli(db, tmp_path, "audit", "verify", "--full").returncode == 1  # the old flag
    routine = cli(db, tmp_path, "audit", "verify", "--incremental")
    assert routine.returncode == 0  # it cannot see before its checkpoint, and says so
    assert json.loads(routine.stdout)["mode"] == "incremental"
    # Nothing is signed over a chain that a full walk finds broken.
    refused = cli(db, tmp_path, "audit", "checkpoint")
    assert refused.returncode == 1 and refused.stdout == ""
    both = cli(db, tmp_path, "audit", "verify", "--incremental", "--full")
    assert both.returncode == 2 and both.stdout == ""


def test_checkpoint_refuses_a_chain_broken_after_its_last_line(
    db: Database, tmp_path: Path
) -> None:
    append(db, 10)
    anchored = claims(checkpoint(db, tmp_path))["seq"]
    append(db, 3)
    with db.engine.begin() as conn:
        conn.execute(update(events).where(events.c.seq == anchored + 2).values(action="x"))
    broken = cli(db, tmp_path, "audit", "checkpoint")
    assert broken.returncode == 1 and broken.stdout == ""


@pytest.mark.parametrize("tamper", ["column", "delete", "reorder"])
def test_full_verify_names_the_first_changed_event(
    db: Database, tmp_path: Path, tamper: str
) -> None:
    append(db, 12)
    with db.engine.begin() as conn:
        if tamper == "column":
            conn.execute(update(events).where(events.c.seq == 6).values(client_id="cl_other"))
        elif tamper == "delete":
            conn.execute(events.delete().where(events.c.seq == 6))
        else:
            conn.execute(update(events).where(events.c.seq == 6).values(seq=-6))
            conn.execute(update(events).where(events.c.seq == 7).values(seq=6))
            conn.execute(update(events).where(events.c.seq == -6).values(seq=7))
    result = cli(db, tmp_path, "audit", "verify")
    assert result.returncode == 1
    assert json.loads(result.stdout)["firstInvalidSeq"] == 6


def test_rewrap_moves_the_audit_key_to_the_new_master_key(
    runtime: Runtime, settings: Settings
) -> None:
    from wijkdeel.rotation import pending, rewrap, rotate_master

    runtime.bootstrap()  # the keys exist before a write transaction holds SQLite's writer
    append(runtime.db, 3)
    head = chain.verify(runtime.db).head
    assert head is not None
    with runtime.db.session() as session:
        line = anchoring.sign_head(
            session, runtime.keyrings, head, issuer="http://testserver", now=runtime.now()
        )
    with runtime.db.session() as session:
        version = rotate_master(session, settings.root_key(), runtime.now())
    runtime.keyrings.reload()
    assert pending(runtime.db, version) >= 2  # the token signing key and the audit key
    runtime.clock.advance(seconds=30)  # type: ignore[attr-defined]
    rewrap(runtime.db, runtime.keyrings, batch=10, now=runtime.clock)
    with runtime.db.read_session() as session:
        assert {key.key_version for key in session.scalars(select(AuditKey))} == {version}
        keys = anchoring.verifiers(session, runtime.keyrings)
    assert anchoring.read_line(line, keys).head == head
