"""Partners and their clients (scope admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from api.context import audited
from api.deps import (
    AdminCaller,
    AdminReader,
    Audit,
    Cursor,
    Limit,
    Now,
    ReadSessionDep,
    RuntimeDep,
    SessionDep,
)
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
from auth.jwks import JwksError, validate_jwks
from auth.secrets import new_secret
from core.errors import Invalid
from records import partners
from records.models import Client, Partner

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
    openapi_extra=audited("partner.create", "partner"),
)
def create_partner(
    body: PartnerCreate, session: SessionDep, _: AdminCaller, now: Now, audit: Audit
) -> PartnerPublic:
    audit.resource_id = body.id
    return _partner(
        partners.create_partner(session, id=body.id, name=body.name, kind=body.kind, now=now)
    )


@router.get("", summary="List partners", openapi_extra=audited("partner.list", "partner"))
def list_partners(
    session: ReadSessionDep, _: AdminReader, cursor: Cursor = None, limit: Limit = 100
) -> PartnerPage:
    page = partners.list_partners(session, cursor=cursor, limit=limit)
    return PartnerPage(items=[_partner(row) for row in page.items], next_cursor=page.next_cursor)


@router.get("/{id}", summary="Read a partner", openapi_extra=audited("partner.read", "partner"))
def read_partner(id: PartnerId, session: ReadSessionDep, _: AdminReader) -> PartnerPublic:
    return _partner(partners.get_partner(session, id))


@router.patch(
    "/{id}",
    summary="Rename, suspend or reactivate a partner",
    description="A suspended partner's tokens are refused from the next request on.",
    openapi_extra=audited("partner.update", "partner"),
)
def update_partner(
    id: PartnerId, body: PartnerUpdate, session: SessionDep, _: AdminCaller, now: Now, audit: Audit
) -> PartnerPublic:
    changes = body.model_dump(exclude_none=True)
    audit.reason = "status:" + changes["status"] if "status" in changes else None
    return _partner(partners.update_partner(session, id, changes=changes, now=now))


@router.post(
    "/{id}/clients",
    status_code=status.HTTP_201_CREATED,
    summary="Register a client (system credential) for a partner",
    description="A client secret appears in this answer only; it is stored as an argon2id hash.",
    openapi_extra=audited("client.create", "client"),
)
def create_client(
    id: PartnerId,
    body: ClientCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    _: AdminCaller,
    now: Now,
    audit: Audit,
) -> ClientCreated:
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
    client = partners.create_client(
        session,
        partner_id=id,
        role=body.role,
        auth_method=body.auth_method or "private_key_jwt",
        secret_hash=runtime.hasher.hash(secret) if secret else None,
        jwks=jwks,
        now=now,
    )
    audit.resource_id = client.id
    return ClientCreated(
        client_id=client.id,
        partner=client.partner_id,
        role=client.role,
        auth_method=client.auth_method,
        client_secret=secret,
        created_at=client.created_at,
    )


@router.get(
    "/{id}/clients",
    summary="List a partner's clients (never a secret)",
    openapi_extra=audited("client.list", "partner"),
)
def list_clients(
    id: PartnerId,
    session: ReadSessionDep,
    _: AdminReader,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> ClientPage:
    page = partners.list_clients(session, id, cursor=cursor, limit=limit)
    return ClientPage(items=[_client(row) for row in page.items], next_cursor=page.next_cursor)


@router.delete(
    "/{id}/clients/{clientId}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a client; its tokens stop working at once",
    openapi_extra=audited("client.revoke", "client"),
)
def revoke_client(
    id: PartnerId,
    client_id: Annotated[str, Path(alias="clientId", max_length=64)],
    session: SessionDep,
    _: AdminCaller,
    now: Now,
) -> Response:
    partners.revoke_client(session, id, client_id, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
