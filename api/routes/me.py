"""Who am I: the caller as the service sees it."""

from __future__ import annotations

from fastapi import APIRouter

from api.context import audited
from api.deps import AnyCaller
from api.schemas.oauth import Me

router = APIRouter(tags=["oauth"])


@router.get(
    "/me",
    summary="The calling client, its partner, scope and purpose",
    openapi_extra=audited("me.read", "client"),
)
async def me(unit: AnyCaller) -> Me:
    return await unit.read(
        lambda _, caller: Me(
            client_id=caller.client_id,
            partner=caller.partner,
            role=caller.role,
            scope=" ".join(sorted(caller.scopes)),
            purpose=caller.purpose,
            expires_at=caller.expires_at,
        )
    )
