"""`wijkdeel audit`: verify the chain, anchor its head outside the system, and the anchor key.

Exit codes: 0 the chain holds, 1 it is broken (or no longer holds an anchored head), 2 the
command could not check (bad arguments, a checkpoint line that is not ours, no database).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlmodel import Session

from audit import anchoring, chain, checkpoints
from audit.anchoring import CheckpointRefused, SignedHead
from audit.events import record
from core.clock import rfc3339
from wijkdeel.cli.common import command_group, fail, open_runtime, operator_event
from wijkdeel.runtime import Runtime

DEFAULT_WORKERS = min(4, os.cpu_count() or 1)

audit_app = command_group("The audit chain: verify it, anchor its head, the anchor key.")


def verification_json(result: chain.Verification) -> dict[str, Any]:
    """The answer of GET /v1/audit/verify, for the same result."""
    covered = {"mode": result.mode, "checkedFrom": result.checked_from}
    if not result.valid:
        return {
            "valid": False,
            **covered,
            "firstInvalidSeq": result.first_invalid_seq,
            "reason": result.reason,
        }
    head = result.head
    return {
        "valid": True,
        **covered,
        "count": result.count,
        "head": {"seq": head.seq, "hash": head.hash, "at": rfc3339(head.at)} if head else None,
        "unsealed": result.unsealed,
    }


@audit_app.command("verify")
def verify(
    incremental: Annotated[
        bool,
        typer.Option(
            "--incremental",
            help="walk only what was sealed since the newest checkpoint (routine monitoring; "
            "misses a change made before it)",
        ),
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", hidden=True, help="the default: walk from the first event")
    ] = False,
    since_checkpoint: Annotated[
        str | None,
        typer.Option(
            "--since-checkpoint",
            metavar="LINE",
            help="a line from `wijkdeel audit checkpoint`: prove the log was not rewritten "
            "since (walks the whole chain)",
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            metavar="FILE",
            help="check the line with this JWK or JWK set (your own copy of "
            "`wijkdeel audit public-key`) instead of the keys in the database",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="processes that share a long walk (default: CPUs, at most 4)"
        ),
    ] = DEFAULT_WORKERS,
) -> None:
    """Verify the whole audit chain (only what is new with --incremental); exit 1 when it is
    broken."""
    if public_key is not None and since_checkpoint is None:
        raise fail("--public-key only applies with --since-checkpoint")
    if incremental and (full or since_checkpoint is not None):
        raise fail("--incremental walks from the newest checkpoint; it cannot also walk it all")
    with open_runtime() as runtime:
        signed = _read_line(runtime, since_checkpoint, public_key) if since_checkpoint else None
        chain.seal_all(runtime.db)
        with runtime.db.session() as session:
            result = checkpoints.verify(
                runtime.db,
                session,
                incremental=incremental,
                anchor=signed.head if signed else None,
                now=runtime.now(),
                workers=workers,
            )
    answer = verification_json(result)
    if signed is not None and result.valid:
        answer["checkpoint"] = {
            "seq": signed.head.seq,
            "hash": signed.head.hash,
            "at": rfc3339(signed.head.at),
            "kid": signed.kid,
        }
    typer.echo(json.dumps(answer))
    if not result.valid:
        raise typer.Exit(1)


def _read_line(runtime: Runtime, line: str, public_key: Path | None) -> SignedHead:
    try:
        if public_key is not None:
            try:
                document = json.loads(public_key.read_text())
            except (OSError, ValueError):
                raise fail(f"cannot read a JWK or JWK set from {public_key}") from None
            keys = anchoring.verifiers_from_jwks(document)
        else:
            _load_keyring(runtime)
            with runtime.db.read_session() as session:
                keys = anchoring.verifiers(session, runtime.keyrings)
        return anchoring.read_line(line, keys)
    except CheckpointRefused as refused:
        raise fail(f"the checkpoint line is refused ({refused.reason})") from None


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Verify, then print the chain's head (seq, hash, time) as one signed line to keep
    outside the system; `verify --since-checkpoint LINE` proves later that it still holds."""
    with open_runtime() as runtime:
        _load_keyring(runtime)
        chain.seal_all(runtime.db)
        with runtime.db.session() as session:
            now = runtime.now()
            # The whole chain: a signed head vouches for everything before it.
            result = checkpoints.verify(runtime.db, session, now=now, workers=DEFAULT_WORKERS)
            if not result.valid:
                typer.echo(json.dumps(verification_json(result)), err=True)
                raise fail("the audit chain is broken; nothing was signed", code=1)
            head = result.head
            if head is None:
                raise fail("the audit chain is empty; there is no head to anchor yet")
            _ensure_key(runtime, session)
            line = anchoring.sign_head(
                session, runtime.keyrings, head, issuer=runtime.settings.issuer, now=now
            )
            record(
                session,
                operator_event(runtime, "audit.checkpoint", "audit", str(head.seq)),
                "allow",
            )
    typer.echo(line)
    typer.echo(f"anchored seq {head.seq}, hash {head.hash}, at {rfc3339(head.at)}", err=True)


@audit_app.command("public-key")
def public_key() -> None:
    """Print the JWK set that verifies checkpoint lines (keep a copy with your lines)."""
    with open_runtime() as runtime:
        _load_keyring(runtime)
        with runtime.db.session() as session:
            _ensure_key(runtime, session)
            keys = anchoring.public_keys(session, runtime.keyrings)
    typer.echo(json.dumps(keys))


@audit_app.command("rotate-key")
def rotate_key() -> None:
    """A new key for checkpoint lines; lines signed with older keys keep verifying."""
    with open_runtime() as runtime:
        _load_keyring(runtime)
        with runtime.db.session() as session:
            kid = anchoring.create_key(session, runtime.keyrings.get(), runtime.now())
            record(session, operator_event(runtime, "audit.rotate_key", "audit_key", kid), "allow")
    typer.echo(kid)


def _load_keyring(runtime: Runtime) -> None:
    """Load the master keys before a write transaction holds SQLite's writer."""
    runtime.keyrings.get()


def _ensure_key(runtime: Runtime, session: Session) -> None:
    kid, created = anchoring.ensure_key(session, runtime.keyrings, runtime.now())
    if created:
        record(session, operator_event(runtime, "audit.create_key", "audit_key", kid), "allow")
