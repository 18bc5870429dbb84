"""`wijkdeel keys`: rotation without downtime."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from audit.events import record
from auth.keys import create_signing_key
from records.keyring import KeyringStore
from wijkdeel.cli.common import command_group, open_runtime, operator_event
from wijkdeel.rotation import Progress as Report
from wijkdeel.rotation import rewrap, rotate_master

keys_app = command_group("Key rotation without downtime.")


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


@contextmanager
def _progress() -> Iterator[Report]:
    """A bar on a terminal; without one (a log, a pipe), a line now and then."""
    console = Console(stderr=True)
    if console.is_terminal:
        columns = (TextColumn("rewrapping"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("rewrap", total=None)
            yield lambda done, total: bar.update(task, completed=done, total=total)
        return
    last = 0.0

    def report(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last >= 5 or done == total:
            last = time.monotonic()
            print(f"rewrapping {done}/{total}", file=sys.stderr, flush=True)

    yield report


@keys_app.command("rewrap")
def rewrap_keys(
    batch: int = typer.Option(500, min=1, max=10_000, help="data keys per transaction"),
) -> None:
    """Re-wrap every data key to the newest master key version (resumable, in batches).

    Right after `rotate-master` it then waits until every running process must have seen the
    new version (they re-read the key list every few seconds), and makes a last pass for keys
    they wrapped under the old one meanwhile."""
    waited_from: float | None = None

    def waiting(seconds: float, version: int) -> None:
        nonlocal waited_from
        waited_from = time.monotonic()
        typer.echo(
            f"waiting {seconds:.0f} s until every running wijkdeel process has seen master key "
            f"version {version} (they re-read it every {KeyringStore.REFRESH_SECONDS:.0f} s), "
            "then a last pass for keys they wrapped meanwhile",
            err=True,
        )

    with open_runtime() as runtime:
        started = time.monotonic()
        with _progress() as report:
            done = rewrap(
                runtime.db,
                runtime.keyrings,
                batch=batch,
                progress=report,
                waiting=waiting,
                now=runtime.now,
            )
        finished = time.monotonic()
        version = runtime.keyrings.get().current_version
        with runtime.db.session() as session:
            event = operator_event(runtime, "key.rewrap", "master_key", str(version))
            event.reason = f"rewrapped:{done}"
            record(session, event, "allow")
    # The rate of the rewrapping itself: the wait for other processes is not work done.
    working = max((waited_from or finished) - started, 1e-6)
    waited = finished - waited_from if waited_from else 0.0
    summary = f"rewrapped {done} key(s) to master key version {version} in {working:.2f} s"
    summary += f" ({done / working:,.0f}/s)"
    if waited_from:
        summary += f", then waited {waited:.1f} s for other processes"
    typer.echo(summary)
