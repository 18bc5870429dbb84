"""Acceptance of agreement versions by their parties: decide, revoke, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from api.context import audited
from api.deps import AnyCaller, Cursor, Limit, Unit, unit_for
from api.schemas.agreements import AcceptanceBody, AcceptancePage, AcceptancePublic
from api.schemas.common import SLUG_PATTERN
from auth.caller import Caller
from auth.scopes import ACCEPT_AGREEMENTS
from notifications import events
from records import acceptances, agreements
from records.models import AgreementAcceptance, AgreementVersion
from wijkdeel.unit import Tx

router = APIRouter(prefix="/agreements", tags=["agreements"])

AgreementId = Annotated[str, Path(pattern=SLUG_PATTERN, description="the agreement's slug")]
VersionNumber = Annotated[int, Path(ge=1, le=2_147_483_647, description="the version number")]
Acceptor = Annotated[Unit, unit_for(ACCEPT_AGREEMENTS)]


def public(row: AgreementAcceptance, version: AgreementVersion) -> AcceptancePublic:
    return AcceptancePublic(
        id=row.id,
        agreement_id=row.agreement_id,
        version=row.version,
        partner=row.partner_id,
        decision=row.decision,
        method=row.method,
        client_id=row.client_id,
        person=row.person_id,
        kid=row.kid,
        content_hash=row.content_hash,
        signature=row.signature,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        version_status=version.status,
    )


def _noted(tx: Tx, row: AgreementVersion) -> None:
    tx.audit.resource_id = row.agreement_id
    tx.audit.agreement_id, tx.audit.agreement_version = row.agreement_id, row.version


@router.post(
    "/{id}/versions/{n}/acceptance",
    status_code=status.HTTP_201_CREATED,
    summary="Accept or reject a proposed version, as a party",
    description="A partner client with scope `agreements:accept` (it may ask for that scope "
    "alone, without a purpose) decides for its partner. `signature` is a compact JWS (ES256) "
    "by a key registered for the client, protected header `typ: wijkdeel-acceptance+jws` and "
    "`kid`, over the JSON `{agreement, version, contentHash, decision}` where `contentHash` is "
    "the version's (GET …/versions/{n}). When every party has accepted, the version is `active` "
    "(from its validFrom) and replaces the version in force; one rejection makes it `rejected`. "
    "Events `agreement.active` and `agreement.rejected` go to every party. Audited as "
    "`agreement.accept` or `agreement.reject`.",
    responses={
        404: {"description": "no such agreement or version, or the caller is not a party"},
        409: {
            "description": "the version is not proposed (`version_not_proposed`), or this "
            "party decided already (`already_decided`)"
        },
        422: {
            "description": "the signature does not hold (`invalid_signature`, "
            "`malformed_signature`, `content_hash_mismatch`, `wrong_version`, `wrong_decision`) "
            "or the client has no registered key (`no_registered_key`)"
        },
    },
    openapi_extra=audited("agreement.accept", "agreement"),
)
async def decide_on_version(
    id: AgreementId, n: VersionNumber, body: AcceptanceBody, unit: Acceptor
) -> AcceptancePublic:
    def work(tx: Tx, caller: Caller) -> AcceptancePublic:
        tx.audit.action = f"agreement.{body.decision}"
        tx.audit.resource_id = id
        outcome = acceptances.decide_as_client(
            tx.session,
            id,
            n,
            client_id=caller.client_id,
            partner=caller.partner,
            decision=body.decision,
            signature=body.signature,
            now=tx.now,
        )
        _noted(tx, outcome.version)
        if outcome.changed_to is not None:
            events.agreement_status(
                tx.session, outcome.version, now=tx.now, max_attempts=tx.runtime.max_attempts
            )
        return public(outcome.acceptance, outcome.version)

    return await unit.write(work)


@router.delete(
    "/{id}/versions/{n}/acceptance",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke the caller's acceptance",
    description="Revoking the acceptance of the version in force suspends the agreement for "
    "every party (`status: suspended`, `statusReason: acceptance_revoked`) from the next request "
    "on; only a new version that every party accepts makes it active again. Revoking the "
    "acceptance of a proposed version only takes it back.",
    responses={
        404: {
            "description": "no such agreement or version, the caller is not a party, or it has "
            "no standing acceptance of this version (`no_acceptance`)"
        },
        409: {"description": "the version is neither proposed nor in force"},
    },
    openapi_extra=audited("agreement.acceptance_revoke", "agreement"),
)
async def revoke_acceptance(id: AgreementId, n: VersionNumber, unit: Acceptor) -> Response:
    def work(tx: Tx, caller: Caller) -> None:
        tx.audit.resource_id = id
        row = acceptances.party_version(tx.session, id, n, caller.partner, lock=True)
        _noted(tx, row)
        acceptances.revoke(tx.session, row, caller.partner, by=caller.client_id, now=tx.now)

    await unit.write(work)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{id}/versions/{n}/acceptances",
    summary="Every party's decision on a version, oldest first",
    description="Revoked acceptances are listed too (with `revokedAt`). Each signed statement "
    "can be checked by anyone holding the signer's public key; `wijkdeel agreements "
    "verify-acceptances` checks them all offline.",
    responses={404: {"description": "no such agreement or version, or the caller is not a party"}},
    openapi_extra=audited("agreement.acceptance_list", "agreement"),
)
async def list_acceptances(
    id: AgreementId, n: VersionNumber, unit: AnyCaller, cursor: Cursor = None, limit: Limit = 100
) -> AcceptancePage:
    def work(tx: Tx, caller: Caller) -> AcceptancePage:
        row = agreements.get_version(tx.session, id, n)
        if caller.role == "partner" and not agreements.is_party(row, caller.partner):
            raise acceptances.stranger()
        _noted(tx, row)
        found = acceptances.page(tx.session, row, cursor=cursor, limit=limit)
        tx.audit.count = len(found.items)
        return AcceptancePage(
            items=[public(item, row) for item in found.items], next_cursor=found.next_cursor
        )

    return await unit.read(work)
