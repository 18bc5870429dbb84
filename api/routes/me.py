"""Who am I: the caller as the service sees it."""

from __future__ import annotations

from fastapi import APIRouter

from api.context import audited
from api.deps import ReadCallerDep
from api.schemas.oauth import Me

router = APIRouter(tags=["oauth"])


@router.get(
    "/me",
    summary="The calling client, its partner, scope and purpose",
    openapi_extra=audited("me.read", "client"),
)
def me(caller: ReadCallerDep) -> Me:
    return Me(
        client_id=caller.client_id,
        partner=caller.partner,
        role=caller.role,
        scope=" ".join(sorted(caller.scopes)),
        purpose=caller.purpose,
        expires_at=caller.expires_at,
    )
