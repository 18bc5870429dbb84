"""The `wijkdeel` command: migrate, bootstrap, serve, worker, keys, audit, people."""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from audit import chain
from audit.events import record
from auth.secrets import new_secret
from records import migrate as migrations
from records import partners
from records.models import Partner
from wijkdeel import installation
from wijkdeel.cli.agreements import agreements_app
from wijkdeel.cli.audit import audit_app, verification_json
from wijkdeel.cli.common import (
    configure_logging,
    fail,
    load_settings,
    open_runtime,
    operator_event,
)
from wijkdeel.cli.keys import keys_app
from wijkdeel.cli.partners import clients_app, partners_app
from wijkdeel.cli.people import people_app
from wijkdeel.settings import ConfigurationError

log = logging.getLogger("wijkdeel")

app = typer.Typer(
    name="wijkdeel",
    help="Lawful sharing of care signals between neighbourhood partners. Works on the "
    "installation that WIJKDEEL_DATABASE_URL and WIJKDEEL_VAR_DIR name (default: ./var).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(partners_app, name="partners")
app.add_typer(clients_app, name="clients")
app.add_typer(agreements_app, name="agreements")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(people_app, name="people")


@app.callback()
def _root() -> None:
    configure_logging()


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema (creating the SQLite file, and in development
    the master key, of a new installation)."""
    settings = load_settings()
    try:
        db = installation.open_database(settings, create=True)
    except ConfigurationError as error:
        raise fail(str(error)) from None
    try:
        try:
            migrations.upgrade(db)
        except DBAPIError as error:
            raise fail(installation.unreachable(db, error)) from None
        try:
            installation.root_key(settings, db, create=True)
            keyed = True
        except ConfigurationError as error:
            # The schema is current; the process that serves it will need the right key.
            typer.echo(f"wijkdeel: warning: {error}", err=True)
            keyed = False
        where = db.url.render_as_string(hide_password=True)
        typer.echo(f"{where} at revision {migrations.current_revision(db)}", err=True)
    finally:
        db.dispose()
    if keyed:
        with open_runtime(settings) as runtime:
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
    with open_runtime(create_key=True) as runtime, runtime.db.session() as session:
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
    host: Annotated[
        str, typer.Option(envvar="WIJKDEEL_HOST", help="address to listen on")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(envvar="WIJKDEEL_PORT", min=1, max=65535, help="port to listen on")
    ] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            envvar="WIJKDEEL_WORKERS",
            min=1,
            max=64,
            help="API processes sharing the port (more than 1 needs PostgreSQL); background "
            "work still runs once, in the supervising process",
        ),
    ] = 1,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="no background work (run `wijkdeel worker`)")
    ] = False,
) -> None:
    """Serve the API (with the background worker unless --no-worker).

    Without WIJKDEEL_ISSUER (development only) the issuer is the address served on, so token
    `iss`/`aud`, the metadata and the OpenAPI servers entry name the port clients reach."""
    from wijkdeel.serving import Plan
    from wijkdeel.serving import serve as run_server

    settings = load_settings().served_at(host, port)
    plan = Plan(host=host, port=port, processes=workers, background=not no_worker)
    with open_runtime(settings) as runtime:
        try:
            run_server(settings, plan, runtime)
        except ConfigurationError as error:
            raise fail(str(error)) from None


@app.command()
def worker() -> None:
    """Run the background work alone (beside one or more `serve --no-worker`)."""
    from wijkdeel.worker import BackgroundWorker

    with open_runtime() as runtime:
        where = runtime.db.url.render_as_string(hide_password=True)
        log.info(
            "wijkdeel worker running",
            extra={"database": runtime.db.dialect, "databaseLocation": where},
        )
        with contextlib.suppress(KeyboardInterrupt):
            BackgroundWorker(runtime).run_forever()
        log.info("wijkdeel worker stopped")


@app.command()
def demo(
    seed_only: Annotated[
        bool, typer.Option("--seed-only", help="create the demo neighbourhood, do not walk")
    ] = False,
    covenant: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="the agreement to seed (default: examples/convenant-noord.yaml of the source)",
        ),
    ] = None,
) -> None:
    """Seed a demo neighbourhood and walk through the whole story, printing each step."""
    from audit.chain import seal_all
    from wijkdeel.demo import COVENANT, credentials_path, seed, seed_people, sign_in_help, walk

    document = _read_covenant(covenant or COVENANT)
    with open_runtime(create_key=True) as runtime:
        people = seed_people(runtime)
        if seed_only:
            seed(runtime, document)
        else:
            walk(runtime, document, typer.echo)
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


def _read_covenant(path: Path) -> dict[str, object]:
    from wijkdeel.cli.agreements import read_agreement

    if not path.exists():
        raise fail(f"the demo agreement {path} is not here; pass --covenant FILE")
    return read_agreement(path)


def main() -> None:
    app()
