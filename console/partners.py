"""The administrator's partners and their clients: create, suspend and reactivate a partner;
register a client with a public key (file or pasted) or a secret shown once; revoke a client.

Input is checked by the API's own schemas (PartnerCreate, ClientCreate, validate_jwks) and the
work is done by the same functions as api/routes/partners.py, under the signed-in person.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import col, select
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.schemas.partners import ClientCreate, PartnerCreate
from auth.jwks import JwksError, validate_jwks
from auth.secrets import new_secret
from console import unit
from console.auth import checked_form, csrf_for, draft, role, runtime_of, text
from console.pages import render
from core.errors import Conflict, DomainError, NotFound
from people.sessions import SignedIn
from policies.vocabulary import PARTNER_KINDS
from records import partners
from records.models import Client, Partner

router = APIRouter(prefix="/console/partners", include_in_schema=False)

Admin = Annotated[SignedIn, Depends(role("admin", page="partners"))]

MAX_KEY_FILE = 20_000
KIND_NAMES = {
    "kinderwerk": "kinderwerk",
    "school": "school",
    "wijkteam": "wijkteam",
    "jongerenwerk": "jongerenwerk",
    "kinderopvang": "kinderopvang",
    "politie": "politie",
    "gemeente": "gemeente",
    "other": "anders",
}
ROLE_CHOICES = (
    ("partner", "partner (signalen en toestemmingen)"),
    ("admin", "beheer (API)"),
    ("auditor", "audit (API)"),
)
METHOD_CHOICES = (
    ("private_key_jwt", "publieke sleutel (private_key_jwt, aanbevolen)"),
    ("client_secret_basic", "geheim (client_secret_basic)"),
)
PARTNER_FIELDS = {"id": "id", "name": "name", "kind": "kind"}
PARTNER_MESSAGES = {
    "id": "Een id bestaat uit 2 tot 64 kleine letters, cijfers of -, bijvoorbeeld wijkteam-noord.",
    "name": "Vul een naam in van hoogstens 200 tekens.",
    "kind": "Kies het soort organisatie.",
}


def _kinds() -> list[tuple[str, str]]:
    return [(kind, KIND_NAMES.get(kind, kind)) for kind in PARTNER_KINDS]


@dataclass
class Listing:
    partners: list[Partner]
    clients: dict[str, int]


def _all(tx: unit.Tx) -> Listing:
    rows: list[Any] = []
    cursor = None
    while True:
        page = partners.list_partners(tx.session, cursor=cursor, limit=500)
        rows += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    counts = {
        row[0]: row[1]
        for row in tx.session.execute(
            select(col(Client.partner_id), func.count())
            .where(col(Client.status) == "active")
            .group_by(col(Client.partner_id))
        )
    }
    tx.audit.count = len(rows)
    return Listing(rows, counts)


async def _list_page(
    request: Request,
    actor: SignedIn,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    rt = runtime_of(request)
    listing = await unit.run(
        rt, _all, audit=draft(request, "partner.list", "partner"), actor=actor, mode="read"
    )
    return render(
        request,
        rt,
        "partners.html",
        title="Partners",
        actor=actor,
        csrf=csrf_for(request),
        status=status,
        listing=listing,
        kinds=_kinds(),
        kind_names=KIND_NAMES,
        values=values or {"kind": "kinderwerk"},
        errors=errors or {},
    )


@router.get("")
async def partner_list(request: Request, actor: Admin) -> Response:
    return await _list_page(request, actor)


@router.post("")
async def create_partner(request: Request, actor: Admin) -> Response:
    form = await checked_form(request, actor)
    values = {name: text(form, name, 300).strip() for name in PARTNER_FIELDS}
    errors: dict[str, str] = {}
    try:
        body = PartnerCreate.model_validate(values)
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "id"
            errors.setdefault(name, PARTNER_MESSAGES.get(name, problem["msg"]))
        return await _list_page(request, actor, values=values, errors=errors, status=422)

    def work(tx: unit.Tx) -> Partner:
        tx.audit.resource_id = body.id
        return partners.create_partner(
            tx.session, id=body.id, name=body.name, kind=body.kind, now=tx.now
        )

    try:
        event = draft(request, "partner.create", "partner")
        await unit.run(runtime_of(request), work, audit=event, actor=actor)
    except Conflict:
        errors["id"] = "Er is al een partner met dit id."
        return await _list_page(request, actor, values=values, errors=errors, status=409)
    return RedirectResponse(f"/console/partners/{body.id}?m=created", status_code=303)


@dataclass
class Detail:
    partner: Partner
    clients: list[Client]


def _detail(tx: unit.Tx, partner_id: str) -> Detail:
    tx.audit.resource_id = partner_id
    partner = partners.get_partner(tx.session, partner_id)
    rows: list[Any] = []
    cursor = None
    while True:
        page = partners.list_clients(tx.session, partner_id, cursor=cursor, limit=500)
        rows += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return Detail(partner, rows)


NOTICES = {
    "created": "De partner is aangemaakt. Registreer nu een koppeling voor zijn systeem.",
    "suspended": "De partner is geschorst: zijn koppelingen worden vanaf nu geweigerd.",
    "active": "De partner is weer actief.",
    "revoked": "De koppeling is ingetrokken: haar tokens werken niet meer.",
}


async def _detail_page(
    request: Request,
    actor: SignedIn,
    partner_id: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    created: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    rt = runtime_of(request)
    try:
        detail = await unit.run(
            rt,
            lambda tx: _detail(tx, partner_id),
            audit=draft(request, "partner.read", "partner"),
            actor=actor,
            mode="read",
        )
    except NotFound:
        return _not_found(request, actor)
    return render(
        request,
        rt,
        "partner.html",
        title=detail.partner.name,
        actor=actor,
        csrf=csrf_for(request),
        status=status,
        detail=detail,
        kind_names=KIND_NAMES,
        roles=ROLE_CHOICES,
        methods=METHOD_CHOICES,
        errors=errors or {},
        values=values or {"role": "partner", "authMethod": "private_key_jwt"},
        created=created,
        notice=NOTICES.get(request.query_params.get("m", "")),
    )


def _not_found(request: Request, actor: SignedIn) -> Response:
    return render(
        request,
        runtime_of(request),
        "error.html",
        title="Niet gevonden",
        actor=actor,
        csrf=csrf_for(request),
        status=404,
        heading="Niet gevonden",
        message="Er is geen partner (of koppeling) met dit id.",
    )


@router.get("/{partner_id}")
async def partner_detail(request: Request, actor: Admin, partner_id: str) -> Response:
    return await _detail_page(request, actor, partner_id)


@router.post("/{partner_id}/status")
async def set_status(request: Request, actor: Admin, partner_id: str) -> Response:
    form = await checked_form(request, actor)
    wanted = text(form, "status", 16)
    if wanted not in ("active", "suspended"):
        return await _detail_page(request, actor, partner_id, status=422)

    def work(tx: unit.Tx) -> None:
        tx.audit.resource_id = partner_id
        tx.audit.reason = f"status:{wanted}"
        partners.update_partner(tx.session, partner_id, changes={"status": wanted}, now=tx.now)

    try:
        event = draft(request, "partner.update", "partner")
        await unit.run(runtime_of(request), work, audit=event, actor=actor)
    except NotFound:
        return _not_found(request, actor)
    return RedirectResponse(f"/console/partners/{partner_id}?m={wanted}", status_code=303)


async def _key_text(form_value: object) -> str | None:
    """The public key from an uploaded file, or None when no file was chosen."""
    if not isinstance(form_value, UploadFile) or not form_value.filename:
        return None
    content = await form_value.read(MAX_KEY_FILE + 1)
    return content.decode("utf-8", errors="replace")


def _parse_keys(raw: str) -> tuple[dict[str, Any] | None, str | None]:
    """A JWK set (or a single JWK, taken as a set of one) as validate_jwks accepts it."""
    if len(raw) > MAX_KEY_FILE:
        return None, "Dit bestand is te groot voor een publieke sleutel."
    try:
        document = json.loads(raw)
    except ValueError:
        return None, "Dit is geen JSON: geef een JWK of een JWK-set (.json)."
    if isinstance(document, dict) and "keys" not in document and "kty" in document:
        document = {"keys": [document]}
    try:
        return validate_jwks(document), None
    except JwksError as error:
        if "private" in str(error):
            return None, "Dit bevat een privésleutel. Registreer alleen de publieke sleutel."
        return None, f"Deze sleutel wordt geweigerd ({error.path}: {error})."


@router.post("/{partner_id}/clients")
async def create_client(request: Request, actor: Admin, partner_id: str) -> Response:
    form = await checked_form(request, actor, max_files=1)
    rt = runtime_of(request)
    values = {
        "role": text(form, "role", 16),
        "authMethod": text(form, "authMethod", 32),
        "jwks": text(form, "jwks", MAX_KEY_FILE),
    }
    errors: dict[str, str] = {}
    jwks = None
    if values["authMethod"] != "private_key_jwt":
        await form.close()
    if values["authMethod"] == "private_key_jwt":
        try:
            uploaded = await _key_text(form.get("keyfile"))
        finally:
            await form.close()
        raw = uploaded if uploaded is not None else values["jwks"].strip()
        field = "keyfile" if uploaded is not None else "jwks"
        if not raw:
            errors["keyfile"] = "Kies het bestand met de publieke sleutel, of plak de sleutel."
        else:
            jwks, refusal = _parse_keys(raw)
            if refusal:
                errors[field] = refusal
    try:
        body = ClientCreate.model_validate(
            {"role": values["role"], "authMethod": values["authMethod"], "jwks": jwks}
            if jwks is not None
            else {"role": values["role"], "authMethod": values["authMethod"]}
        )
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "authMethod"
            if name == "role":
                errors.setdefault("role", "Kies de rol van de koppeling.")
            elif not errors:
                errors.setdefault("authMethod", "Kies hoe het systeem zich aanmeldt.")
    if errors:
        return await _detail_page(
            request, actor, partner_id, errors=errors, values=values, status=422
        )
    secret = new_secret() if body.auth_method == "client_secret_basic" else None
    # Hashed before the unit of work, as the API does: argon2 must not hold a write slot.
    secret_hash = await rt.units.slow(rt.hasher.hash, secret) if secret else None

    def work(tx: unit.Tx) -> Client:
        client = partners.create_client(
            tx.session,
            partner_id=partner_id,
            role=body.role,
            auth_method=body.auth_method or "private_key_jwt",
            secret_hash=secret_hash,
            jwks=jwks,
            now=tx.now,
        )
        tx.audit.resource_id = client.id
        return client

    try:
        client = await unit.run(
            rt, work, audit=draft(request, "client.create", "client"), actor=actor
        )
    except NotFound:
        return _not_found(request, actor)
    created = {"client": client, "secret": secret}
    return await _detail_page(request, actor, partner_id, created=created, status=201)


@router.post("/{partner_id}/clients/{client_id}/revoke")
async def revoke_client(
    request: Request, actor: Admin, partner_id: str, client_id: str
) -> Response:
    await checked_form(request, actor)

    def work(tx: unit.Tx) -> None:
        tx.audit.resource_id = client_id[:64]
        partners.revoke_client(tx.session, partner_id, client_id[:64], now=tx.now)

    try:
        await unit.run(
            runtime_of(request), work, audit=draft(request, "client.revoke", "client"), actor=actor
        )
    except DomainError:
        return _not_found(request, actor)
    return RedirectResponse(f"/console/partners/{partner_id}?m=revoked", status_code=303)
