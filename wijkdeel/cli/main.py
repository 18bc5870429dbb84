"""The `wijkdeel` command: migrate, bootstrap, serve, worker, keys, audit, people."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated

import typer

from audit import chain
from audit.events import record
from auth.secrets import new_secret
from records import migrate as migrations
from records import partners
from records.db import Database
from records.models import Partner
from wijkdeel.cli.agreements import agreements_app
from wijkdeel.cli.audit import audit_app, verification_json
from wijkdeel.cli.common import configure_logging, fail, open_runtime, operator_event
from wijkdeel.cli.keys import keys_app
from wijkdeel.cli.people import people_app
from wijkdeel.settings import ConfigurationError, get_settings

app = typer.Typer(
    name="wijkdeel",
    help="Lawful sharing of care signals between neighbourhood partners.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(agreements_app, name="agreements")
app.add_typer(people_app, name="people")


@app.callback()
def _root() -> None:
    configure_logging()


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema."""
    try:
        settings = get_settings()
        db = Database(settings.effective_database_url)
    except (ConfigurationError, ValueError) as error:
        raise fail(str(error).splitlines()[0]) from None
    try:
        migrations.upgrade(db)
        typer.echo(f"database at revision {migrations.current_revision(db)}", err=True)
    finally:
        db.dispose()
    with open_runtime() as runtime:
        runtime.bootstrap()  # the first keys, once the tables exist


@app.command()
def bootstrap(
    partner: Annotated[
        str, typer.Option(help="partner id (kind gemeente), created if missing")
    ] = "gemeente",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON (the only output)")] = False,
) -> None:
    """Create (if missing) the municipality's partner and a new admin client with a secret."""
    from policies.vocabulary import is_slug

    if not is_slug(partner):
        raise fail("--partner must be a slug: 2 to 64 of a-z, 0-9 and -")
    secret = new_secret()
    with open_runtime() as runtime, runtime.db.session() as session:
        now = runtime.now()
        if session.get(Partner, partner) is None:
            partners.create_partner(session, id=partner, name=partner, kind="gemeente", now=now)
            record(session, operator_event(runtime, "partner.create", "partner", partner), "allow")
        client = partners.create_client(
            session,
            partner_id=partner,
            role="admin",
            auth_method="client_secret_basic",
            secret_hash=runtime.hasher.hash(secret),
            jwks=None,
            now=now,
        )
        record(session, operator_event(runtime, "client.create", "client", client.id), "allow")
        client_id = client.id
    answer = {"partner": partner, "clientId": client_id, "clientSecret": secret}
    if as_json:
        typer.echo(json.dumps(answer))
    else:
        typer.echo(f"partner:       {partner}\nclient id:     {client_id}\nclient secret: {secret}")
        typer.echo("The secret is shown once; keep it somewhere safe.", err=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="no background work in this process")
    ] = False,
) -> None:
    """Serve the API (with the background worker unless --no-worker)."""
    import uvicorn

    from api.app import create_app

    with open_runtime() as runtime:
        application = create_app(runtime, run_worker=not no_worker)
        uvicorn.run(
            application,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            # X-Forwarded-For names the caller only when the peer is a proxy the operator
            # trusts; from anyone else it is ignored (the audit log's `ip` is the socket's).
            proxy_headers=bool(runtime.settings.trusted_proxies),
            forwarded_allow_ips=runtime.settings.trusted_proxies or "",
            server_header=False,
        )


@app.command()
def worker() -> None:
    """Run the background work alone (beside one or more `serve --no-worker`)."""
    from wijkdeel.worker import BackgroundWorker

    with open_runtime() as runtime:
        typer.echo("worker running; Ctrl-C stops it", err=True)
        with contextlib.suppress(KeyboardInterrupt):
            BackgroundWorker(runtime).run_forever()


@app.command()
def demo(
    seed_only: Annotated[
        bool, typer.Option("--seed-only", help="create the demo neighbourhood, do not walk")
    ] = False,
) -> None:
    """Seed a demo neighbourhood and walk through the whole story, printing each step."""
    from audit.chain import seal_all
    from wijkdeel.demo import credentials_path, seed, seed_people, sign_in_help, walk

    with open_runtime() as runtime:
        people = seed_people(runtime)
        if seed_only:
            seed(runtime)
        else:
            walk(runtime, typer.echo)
            seal_all(runtime.db)
            typer.echo(f"\naudit chain: {json.dumps(verification_json(chain.verify(runtime.db)))}")
        typer.echo(
            f"demo credentials (client id and secret per partner): {credentials_path(runtime)}",
            err=seed_only,
        )
        if people:
            typer.echo(sign_in_help(runtime, people), err=seed_only)


@app.command()
def purge() -> None:
    """Erase every signal past its retention now (for cron; the worker does this too)."""
    from wijkdeel.worker import sweep_all

    with open_runtime() as runtime:
        erased = sweep_all(runtime)
    typer.echo(f"erased {erased} signal(s) past their retention")


def main() -> None:
    app()
