"""`wijkdeel partners` and `wijkdeel clients`: the partner registry for operators, without
curl. Input is checked by the API's own schemas; every change is an operator audit event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import ValidationError
from sqlmodel import Session

from api.schemas.partners import ClientCreate, PartnerCreate
from audit.events import record
from auth.jwks import JwksError, validate_jwks
from auth.secrets import new_secret
from core.errors import DomainError
from records import partners
from records.models import Client, Partner
from records.pages import Page
from wijkdeel.cli.common import command_group, fail, open_runtime, operator_event

partners_app = command_group("The partner registry: organisations that share signals.")
clients_app = command_group(
    "System credentials of partners (admins and auditors are clients of a partner too)."
)

AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]
PartnerId = Annotated[str, typer.Argument(help="the partner's id (a slug)")]


def _invalid(error: ValidationError) -> typer.Exit:
    lines = [
        f"  {'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in error.errors()
    ]
    return fail("refused:\n" + "\n".join(lines))


def _all(fetch: Any) -> list[Any]:
    """Every row of a keyset-paged listing."""
    rows: list[Any] = []
    cursor: str | None = None
    while True:
        page: Page[Any] = fetch(cursor)
        rows.extend(page.items)
        if not page.next_cursor:
            return rows
        cursor = page.next_cursor


def _partner_json(row: Partner) -> dict[str, str]:
    return {"id": row.id, "name": row.name, "kind": row.kind, "status": row.status}


def _client_json(row: Client) -> dict[str, Any]:
    return {
        "clientId": row.id,
        "partner": row.partner_id,
        "role": row.role,
        "authMethod": row.auth_method,
        "status": row.status,
        "createdAt": row.created_at.isoformat(),
        "revokedAt": row.revoked_at.isoformat() if row.revoked_at else None,
    }


@partners_app.command("list")
def list_partners(as_json: AsJson = False) -> None:
    """List every partner: id, kind, status and name."""
    with open_runtime() as runtime, runtime.db.read_session() as session:
        rows = _all(lambda cursor: partners.list_partners(session, cursor=cursor, limit=1000))
    if as_json:
        typer.echo(json.dumps([_partner_json(row) for row in rows], ensure_ascii=False))
        return
    for row in rows:
        typer.echo(f"{row.id:<30} {row.kind:<12} {row.status:<10} {row.name}")


@partners_app.command("create")
def create_partner(
    partner: PartnerId,
    name: Annotated[str, typer.Option(help="the organisation's name")],
    kind: Annotated[str, typer.Option(help="kinderwerk, school, wijkteam, jongerenwerk, …")],
) -> None:
    """Register a partner (then give it a client with `wijkdeel clients create`)."""
    try:
        body = PartnerCreate.model_validate({"id": partner, "name": name, "kind": kind})
    except ValidationError as error:
        raise _invalid(error) from None
    with open_runtime() as runtime, runtime.db.session() as session:
        try:
            partners.create_partner(
                session, id=body.id, name=body.name, kind=body.kind, now=runtime.now()
            )
        except DomainError as error:
            raise fail(error.detail) from None
        record(session, operator_event(runtime, "partner.create", "partner", body.id), "allow")
    typer.echo(f"partner {body.id} created")


def _set_status(partner_id: str, status: Literal["active", "suspended"]) -> None:
    with open_runtime() as runtime, runtime.db.session() as session:
        try:
            current = partners.get_partner(session, partner_id)
        except DomainError as error:
            raise fail(error.detail) from None
        if current.status == status:
            typer.echo(f"partner {partner_id} is already {status}; nothing changed")
            return
        partners.update_partner(session, partner_id, changes={"status": status}, now=runtime.now())
        event = operator_event(runtime, "partner.update", "partner", partner_id)
        event.reason = f"status:{status}"
        record(session, event, "allow")
    typer.echo(f"partner {partner_id} is {status}")


@partners_app.command("suspend")
def suspend_partner(partner: PartnerId) -> None:
    """Suspend a partner: its tokens are refused from the next request on, in every process."""
    _set_status(partner, "suspended")


@partners_app.command("reactivate")
def reactivate_partner(partner: PartnerId) -> None:
    """Make a suspended partner active again."""
    _set_status(partner, "active")


@clients_app.command("list")
def list_clients(partner: PartnerId, as_json: AsJson = False) -> None:
    """List a partner's clients (never a secret)."""
    with open_runtime() as runtime, runtime.db.read_session() as session:
        try:
            rows = _all(
                lambda cursor: partners.list_clients(session, partner, cursor=cursor, limit=1000)
            )
        except DomainError as error:
            raise fail(error.detail) from None
    if as_json:
        typer.echo(json.dumps([_client_json(row) for row in rows]))
        return
    for row in rows:
        typer.echo(f"{row.id:<28} {row.role:<8} {row.auth_method:<20} {row.status}")


def _read_jwks(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise fail(f"cannot read a JWK or JWK set (JSON) from {path}") from None
    jwks = document if isinstance(document, dict) and "keys" in document else {"keys": [document]}
    try:
        return validate_jwks(jwks)
    except JwksError as error:
        raise fail(f"{path}: {error.path} {error}") from None


@clients_app.command("create")
def create_client(
    partner: PartnerId,
    role: Annotated[str, typer.Option(help="partner, admin or auditor")] = "partner",
    jwk: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="the public EC P-256 JWK (or JWK set) for private_key_jwt, the production way",
        ),
    ] = None,
    secret: Annotated[
        bool,
        typer.Option("--secret", help="a client secret instead (client_secret_basic)"),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Register a client for a partner; a secret is printed once and stored only as a hash."""
    if (jwk is None) == (not secret):
        raise fail("give exactly one of --jwk FILE and --secret")
    jwks = _read_jwks(jwk) if jwk is not None else None
    method = "private_key_jwt" if jwks else "client_secret_basic"
    try:
        body = ClientCreate.model_validate({"role": role, "jwks": jwks, "authMethod": method})
    except ValidationError as error:
        raise _invalid(error) from None
    plain = new_secret() if secret else None
    with open_runtime() as runtime, runtime.db.session() as session:
        try:
            client = partners.create_client(
                session,
                partner_id=partner,
                role=body.role,
                auth_method=method,
                secret_hash=runtime.hasher.hash(plain) if plain else None,
                jwks=jwks,
                now=runtime.now(),
            )
        except DomainError as error:
            raise fail(error.detail) from None
        record(session, operator_event(runtime, "client.create", "client", client.id), "allow")
        answer = {**_client_json(client), "clientSecret": plain}
    if as_json:
        typer.echo(json.dumps({k: v for k, v in answer.items() if v is not None}))
        return
    typer.echo(f"client id:     {answer['clientId']}")
    if plain:
        typer.echo(f"client secret: {plain}")
        typer.echo("The secret is shown once; keep it somewhere safe.", err=True)


@clients_app.command("revoke")
def revoke_client(
    client_id: Annotated[str, typer.Argument(metavar="CLIENT_ID", help="the client's id")],
) -> None:
    """Revoke a client: its tokens stop working on the next request, in every process."""
    with open_runtime() as runtime, runtime.db.session() as session:
        client = _client(session, client_id)
        if client.status == "revoked":
            typer.echo(f"client {client_id} was already revoked; nothing changed")
            return
        partners.revoke_client(session, client.partner_id, client_id, now=runtime.now())
        record(session, operator_event(runtime, "client.revoke", "client", client_id), "allow")
    typer.echo(f"client {client_id} of {client.partner_id} is revoked")


def _client(session: Session, client_id: str) -> Client:
    client = session.get(Client, client_id) if len(client_id) <= 64 else None
    if client is None:
        raise fail("no client with this id")
    return client
