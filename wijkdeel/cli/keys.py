"""`wijkdeel keys`: rotation without downtime."""

from __future__ import annotations

import typer

from audit.events import record
from auth.keys import create_signing_key
from wijkdeel.cli.common import open_runtime, operator_event

keys_app = typer.Typer(help="Key rotation without downtime.", no_args_is_help=True)


@keys_app.command("rotate-signing")
def rotate_signing() -> None:
    """Add a new token signing key; the previous one stays in JWKS until its tokens expire."""
    with open_runtime() as runtime, runtime.db.session() as session:
        kid = create_signing_key(session, runtime.keyrings.get(), runtime.now())
        record(session, operator_event(runtime, "key.rotate_signing", "signing_key", kid), "allow")
    typer.echo(kid)
