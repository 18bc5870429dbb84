"""`wijkdeel keys`: rotation without downtime."""

from __future__ import annotations

import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from audit.events import record
from auth.keys import create_signing_key
from wijkdeel.cli.common import open_runtime, operator_event
from wijkdeel.rotation import rewrap, rotate_master

keys_app = typer.Typer(help="Key rotation without downtime.", no_args_is_help=True)


@keys_app.command("rotate-signing")
def rotate_signing() -> None:
    """Add a new token signing key; the previous one stays in JWKS until its tokens expire."""
    with open_runtime() as runtime, runtime.db.session() as session:
        kid = create_signing_key(session, runtime.keyrings.get(), runtime.now())
        record(session, operator_event(runtime, "key.rotate_signing", "signing_key", kid), "allow")
    typer.echo(kid)


@keys_app.command("rotate-master")
def rotate_master_key() -> None:
    """Add a master key version; new data keys are wrapped under it. Run `rewrap` next."""
    with open_runtime() as runtime, runtime.db.session() as session:
        version = rotate_master(session, runtime.settings.root_key(), runtime.now())
        record(
            session,
            operator_event(runtime, "key.rotate_master", "master_key", str(version)),
            "allow",
        )
    typer.echo(f"master key version {version} is current; run `wijkdeel keys rewrap`")


@keys_app.command("rewrap")
def rewrap_keys(
    batch: int = typer.Option(500, min=1, max=10_000, help="data keys per transaction"),
) -> None:
    """Re-wrap every data key to the newest master key version (resumable, in batches)."""
    with open_runtime() as runtime:
        started = time.monotonic()
        columns = (TextColumn("rewrapping"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task("rewrap", total=None)

            def report(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            done = rewrap(
                runtime.db, runtime.keyrings, batch=batch, progress=report, now=runtime.now
            )
        seconds = max(time.monotonic() - started, 1e-6)
        version = runtime.keyrings.get().current_version
        with runtime.db.session() as session:
            event = operator_event(runtime, "key.rewrap", "master_key", str(version))
            event.reason = f"rewrapped:{done}"
            record(session, event, "allow")
    typer.echo(f"rewrapped {done} key(s) to master key version {version} ({done / seconds:,.0f}/s)")
