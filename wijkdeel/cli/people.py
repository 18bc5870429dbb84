"""`wijkdeel people`: personal accounts for the console, provisioned by the operator (nobody
registers themselves). Every change is audited as an operator action."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from audit.events import record
from core.errors import DomainError
from people import accounts, totp
from people.accounts import Credentials
from records.models import Person
from wijkdeel.cli.common import fail, open_runtime, operator_event
from wijkdeel.runtime import Runtime

people_app = typer.Typer(
    help="Personal accounts for the console (administrators, auditors, the policymaker).",
    no_args_is_help=True,
)

AsJson = Annotated[bool, typer.Option("--json", help="print JSON (the only output)")]
Handle = Annotated[str, typer.Argument(help="username or person id (ps_…)")]


def _public(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "username": person.username,
        "displayName": person.display_name,
        "role": person.role,
        "status": person.status,
        "local": person.password_hash is not None,
        "oidc": (
            {"issuer": person.oidc_issuer, "subject": person.oidc_subject}
            if person.oidc_subject
            else None
        ),
        "lastSignInAt": person.last_sign_in_at.isoformat() if person.last_sign_in_at else None,
    }


def _credentials(runtime: Runtime, person: Person, session: Any, new: NewPassword) -> Credentials:
    return accounts.set_local_credentials(
        session,
        person,
        password=new.password,
        password_hash=new.hash,
        must_change=True,
        keyring=new.keyring,
        now=runtime.now(),
    )


class NewPassword:
    """A one-time password, hashed and the keyring loaded before any transaction opens (the
    hash is slow, and a first start creates the keyring in a transaction of its own)."""

    def __init__(self, runtime: Runtime) -> None:
        self.password = accounts.one_time_password()
        self.hash = runtime.hasher.hash(self.password)
        self.keyring = runtime.keyrings.get()


def _show(person: Person, credentials: Credentials | None, as_json: bool) -> None:
    answer = _public(person)
    if credentials is not None:
        answer["oneTimePassword"] = credentials.password
        answer["totpSecret"] = credentials.totp_secret
        answer["totpUri"] = credentials.totp_uri
    if as_json:
        typer.echo(json.dumps(answer))
        return
    typer.echo(f"person:   {person.id}\nusername: {person.username}\nrole:     {person.role}")
    if credentials is not None:
        typer.echo(
            f"one-time password: {credentials.password}\n"
            f"TOTP secret:       {credentials.totp_secret}\n"
            f"TOTP URI:          {credentials.totp_uri}"
        )
        typer.echo(
            "Hand these over once, in person or by two separate channels. The person adds the "
            "URI (or the secret) to an authenticator app and chooses a new password at the "
            "first sign-in.",
            err=True,
        )


def _change(handle: str, action: str, change: Any, *, as_json: bool, local: bool = False) -> None:
    with open_runtime() as runtime:
        new = NewPassword(runtime) if local else None
        try:
            with runtime.db.session() as session:
                person = accounts.find_person(session, handle)
                change(runtime, session, person)
                credentials = _credentials(runtime, person, session, new) if new else None
                record(session, operator_event(runtime, action, "person", person.id), "allow")
        except DomainError as error:
            raise fail(error.detail) from None
    _show(person, credentials, as_json)


@people_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="login name: a-z, 0-9, '.', '_', '-'")],
    name: Annotated[str, typer.Option("--name", help="the name shown in the console")],
    role: Annotated[str, typer.Option(help="admin, auditor or policymaker")],
    local: Annotated[
        bool, typer.Option("--local", help="also a password and TOTP secret (printed once)")
    ] = False,
    oidc_subject: Annotated[
        str | None, typer.Option(help="the `sub` the identity provider gives this person")
    ] = None,
    oidc_issuer: Annotated[
        str | None, typer.Option(help="the identity provider (default: WIJKDEEL_OIDC_ISSUER)")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Add a person; sign-in by --local credentials and/or by OpenID Connect (--oidc-subject)."""
    with open_runtime() as runtime:
        new = NewPassword(runtime) if local else None
        try:
            with runtime.db.session() as session:
                person = accounts.add_person(
                    session, username=username, display_name=name, role=role, now=runtime.now()
                )
                credentials = _credentials(runtime, person, session, new) if new else None
                if oidc_subject is not None:
                    issuer = oidc_issuer or runtime.settings.oidc_issuer
                    if not issuer:
                        raise fail("--oidc-subject needs --oidc-issuer or WIJKDEEL_OIDC_ISSUER")
                    accounts.link_oidc(
                        session, person, issuer=issuer, subject=oidc_subject, now=runtime.now()
                    )
                record(
                    session, operator_event(runtime, "person.create", "person", person.id), "allow"
                )
        except DomainError as error:
            raise fail(error.detail) from None
    _show(person, credentials, as_json)
    if credentials is None and oidc_subject is None and not as_json:
        typer.echo(
            "This person cannot sign in yet: run `wijkdeel people reset-password` or "
            "`wijkdeel people link-oidc`.",
            err=True,
        )


@people_app.command("list")
def list_people(as_json: AsJson = False) -> None:
    """Every person, with role, status and how they sign in."""
    with open_runtime() as runtime, runtime.db.session() as session:
        found = [_public(person) for person in accounts.list_people(session)]
        event = operator_event(runtime, "person.list", "person", "*")
        event.count = len(found)
        record(session, event, "allow")
    if as_json:
        typer.echo(json.dumps(found))
        return
    for person in found:
        ways = ", ".join(
            w for w, on in (("local", person["local"]), ("oidc", person["oidc"])) if on
        )
        typer.echo(
            f"{person['id']}  {person['username']:<20} {person['role']:<12} "
            f"{person['status']:<9} {ways or '-'}"
        )


@people_app.command("disable")
def disable(handle: Handle, as_json: AsJson = False) -> None:
    """Disable a person: their sessions end now, and they cannot sign in."""
    _change(
        handle,
        "person.disable",
        lambda rt, s, p: accounts.set_status(s, p, "disabled", now=rt.now()),
        as_json=as_json,
    )


@people_app.command("enable")
def enable(handle: Handle, as_json: AsJson = False) -> None:
    """Enable a disabled person again."""
    _change(
        handle,
        "person.enable",
        lambda rt, s, p: accounts.set_status(s, p, "active", now=rt.now()),
        as_json=as_json,
    )


@people_app.command("set-role")
def set_role(
    handle: Handle,
    role: Annotated[str, typer.Argument(help="admin, auditor or policymaker")],
    as_json: AsJson = False,
) -> None:
    """Give a person another role; their sessions end, so the new role holds at once."""
    _change(
        handle,
        "person.set_role",
        lambda rt, s, p: accounts.set_role(s, p, role, now=rt.now()),
        as_json=as_json,
    )


@people_app.command("link-oidc")
def link_oidc(
    handle: Handle,
    subject: Annotated[str, typer.Option(help="the `sub` the identity provider gives them")],
    issuer: Annotated[
        str | None, typer.Option(help="the identity provider (default: WIJKDEEL_OIDC_ISSUER)")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Link a person to their account at the identity provider (issuer + sub)."""

    def change(rt: Runtime, session: Any, person: Person) -> None:
        chosen = issuer or rt.settings.oidc_issuer
        if not chosen:
            raise fail("--issuer is needed when WIJKDEEL_OIDC_ISSUER is not set")
        accounts.link_oidc(session, person, issuer=chosen, subject=subject, now=rt.now())

    _change(handle, "person.link_oidc", change, as_json=as_json)


@people_app.command("reset-password")
def reset_password(handle: Handle, as_json: AsJson = False) -> None:
    """A new one-time password and TOTP secret (printed once); their sessions end."""
    _change(handle, "person.reset_credentials", lambda rt, s, p: None, as_json=as_json, local=True)


@people_app.command("code")
def code(handle: Handle) -> None:
    """The person's current TOTP code (development only: stands in for the phone)."""
    with open_runtime() as runtime:
        if runtime.settings.env != "development":
            raise fail("`people code` works in development only")
        with runtime.db.read_session() as session:
            try:
                person = accounts.find_person(session, handle)
            except DomainError as error:
                raise fail(error.detail) from None
        if person.totp_secret is None or person.totp_key_version is None:
            raise fail("this person has no TOTP secret; run `wijkdeel people reset-password`")
        keyring = runtime.keyrings.for_version(person.totp_key_version)
        secret = totp.open_secret(keyring, person.id, person.totp_key_version, person.totp_secret)
        typer.echo(totp.code_at(secret, totp.step_at(runtime.now())))
