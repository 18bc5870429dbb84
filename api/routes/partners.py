"""Partners and their clients (scope admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from api.context import audited
from api.deps import AdminUnit, Cursor, Limit
from api.schemas.common import SLUG_PATTERN
from api.schemas.partners import (
    ClientCreate,
    ClientCreated,
    ClientPage,
    ClientPublic,
    PartnerCreate,
    PartnerPage,
    PartnerPublic,
    PartnerUpdate,
)
from auth.caller import Caller
from auth.jwks import JwksError, validate_jwks
from auth.secrets import new_secret
from core.errors import Invalid
from records import partners
from records.models import Client, Partner
from wijkdeel.unit import Tx

router = APIRouter(prefix="/partners", tags=["partners"])

PartnerId = Annotated[str, Path(pattern=SLUG_PATTERN, description="the partner's slug")]


def _partner(row: Partner) -> PartnerPublic:
    return PartnerPublic.model_validate(row, from_attributes=True)


def _client(row: Client) -> ClientPublic:
    return ClientPublic(
        client_id=row.id,
        partner=row.partner_id,
        role=row.role,
        auth_method=row.auth_method,
        status=row.status,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a partner",
    responses={409: {"description": "a partner with this id exists already"}},
    openapi_extra=audited("partner.create", "partner"),
)
async def create_partner(body: PartnerCreate, unit: AdminUnit) -> PartnerPublic:
    def work(tx: Tx, _: Caller) -> PartnerPublic:
        tx.audit.resource_id = body.id
        return _partner(
            partners.create_partner(
                tx.session, id=body.id, name=body.name, kind=body.kind, now=tx.now
            )
        )

    return await unit.write(work)


@router.get("", summary="List partners", openapi_extra=audited("partner.list", "partner"))
async def list_partners(unit: AdminUnit, cursor: Cursor = None, limit: Limit = 100) -> PartnerPage:
    def work(tx: Tx, _: Caller) -> PartnerPage:
        page = partners.list_partners(tx.session, cursor=cursor, limit=limit)
        return PartnerPage(
            items=[_partner(row) for row in page.items], next_cursor=page.next_cursor
        )

    return await unit.read(work)


@router.get("/{id}", summary="Read a partner", openapi_extra=audited("partner.read", "partner"))
async def read_partner(id: PartnerId, unit: AdminUnit) -> PartnerPublic:
    return await unit.read(lambda tx, _: _partner(partners.get_partner(tx.session, id)))


@router.patch(
    "/{id}",
    summary="Rename, suspend or reactivate a partner",
    description="A suspended partner's tokens are refused from the next request on.",
    openapi_extra=audited("partner.update", "partner"),
)
async def update_partner(id: PartnerId, body: PartnerUpdate, unit: AdminUnit) -> PartnerPublic:
    changes = body.model_dump(exclude_none=True)

    def work(tx: Tx, _: Caller) -> PartnerPublic:
        tx.audit.reason = "status:" + changes["status"] if "status" in changes else None
        return _partner(partners.update_partner(tx.session, id, changes=changes, now=tx.now))

    return await unit.write(work)


@router.post(
    "/{id}/clients",
    status_code=status.HTTP_201_CREATED,
    summary="Register a client (system credential) for a partner",
    description="A client secret appears in this answer only; it is stored as an argon2id hash.",
    openapi_extra=audited("client.create", "client"),
)
async def create_client(id: PartnerId, body: ClientCreate, unit: AdminUnit) -> ClientCreated:
    jwks = None
    if body.jwks is not None:
        try:
            jwks = validate_jwks(body.jwks)
        except JwksError as error:
            raise Invalid(
                f"{error.path} {error}",
                code="invalid_jwks",
                invalid_params=[
                    {"in": "body", "name": error.path, "code": "invalid_jwk", "reason": str(error)}
                ],
            ) from None
    secret = new_secret() if body.auth_method == "client_secret_basic" else None
    # Hashed before the unit of work: argon2 is slow on purpose and must not hold a write slot.
    secret_hash = await unit.slow(unit.runtime.hasher.hash, secret) if secret else None

    def work(tx: Tx, _: Caller) -> ClientCreated:
        client = partners.create_client(
            tx.session,
            partner_id=id,
            role=body.role,
            auth_method=body.auth_method or "private_key_jwt",
            secret_hash=secret_hash,
            jwks=jwks,
            now=tx.now,
        )
        tx.audit.resource_id = client.id
        return ClientCreated(
            client_id=client.id,
            partner=client.partner_id,
            role=client.role,
            auth_method=client.auth_method,
            client_secret=secret,
            created_at=client.created_at,
        )

    return await unit.write(work)


@router.get(
    "/{id}/clients",
    summary="List a partner's clients (never a secret)",
    openapi_extra=audited("client.list", "partner"),
)
async def list_clients(
    id: PartnerId, unit: AdminUnit, cursor: Cursor = None, limit: Limit = 100
) -> ClientPage:
    def work(tx: Tx, _: Caller) -> ClientPage:
        page = partners.list_clients(tx.session, id, cursor=cursor, limit=limit)
        return ClientPage(items=[_client(row) for row in page.items], next_cursor=page.next_cursor)

    return await unit.read(work)


@router.delete(
    "/{id}/clients/{clientId}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a client; its tokens stop working at once",
    openapi_extra=audited("client.revoke", "client"),
)
async def revoke_client(
    id: PartnerId,
    client_id: Annotated[str, Path(alias="clientId", max_length=64)],
    unit: AdminUnit,
) -> Response:
    await unit.write(lambda tx, _: partners.revoke_client(tx.session, id, client_id, now=tx.now))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
