"""Sharing agreements (convenanten): admins write, parties and auditors read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.context import audited
from api.deps import AdminUnit, AnyCaller
from api.schemas.agreements import AgreementBody, AgreementPage, AgreementPublic
from api.schemas.common import SLUG_PATTERN
from audit.events import AuditDraft
from auth.caller import Caller
from core.errors import Invalid, NotFound
from notifications import events
from policies.acceptance import content_hash
from records import agreements
from records.models import AgreementVersion
from wijkdeel.unit import Tx

router = APIRouter(prefix="/agreements", tags=["agreements"])

AgreementId = Annotated[str, Path(pattern=SLUG_PATTERN, description="the agreement's slug")]


def public(row: AgreementVersion) -> AgreementPublic:
    return AgreementPublic.model_validate(
        {
            **row.document,
            "version": row.version,
            "status": row.status,
            "statusReason": row.status_reason,
            "contentHash": content_hash(row.document, row.version),
            "createdAt": row.created_at,
            "createdBy": row.created_by,
        }
    )


def _readable(row: AgreementVersion, caller: Caller) -> AgreementVersion:
    """Admins and auditors read every agreement; a partner only those it is party to."""
    if caller.role == "partner" and not agreements.is_party(row, caller.partner):
        raise NotFound("no agreement with this id", code="agreement_not_found")
    return row


def _noted(audit: AuditDraft, row: AgreementVersion) -> AgreementVersion:
    audit.resource_id = row.agreement_id
    audit.agreement_id, audit.agreement_version = row.agreement_id, row.version
    return row


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Write a new agreement (version 1)",
    responses={409: {"description": "an agreement with this id exists already"}},
    description="A version written as `active` is `proposed` until every party has accepted "
    "it (event `agreement.proposed` to each party). "
    "Refused with 422 and a precise `detail` when a rule names a non-party, an unknown "
    "purpose or field, a category that is not a slug, consent as basis without requiresConsent, "
    "a retention outside 1..730 days, validUntil before validFrom, or a duplicate rule.",
    openapi_extra=audited("agreement.create", "agreement"),
)
async def create_agreement(body: AgreementBody, unit: AdminUnit) -> AgreementPublic:
    agreement_id = body.id

    def work(tx: Tx, caller: Caller) -> AgreementPublic:
        if agreement_id is None:
            raise Invalid(
                "id is required",
                code="validation_failed",
                invalid_params=[
                    {"in": "body", "name": "id", "code": "missing", "reason": "required"}
                ],
            )
        document = body.document(agreement_id)
        row = agreements.create(tx.session, document, author=caller.client_id, now=tx.now)
        events.agreement_status(tx.session, row, now=tx.now, max_attempts=tx.runtime.max_attempts)
        return public(_noted(tx.audit, row))

    return await unit.write(work)


@router.get(
    "",
    summary="List the agreements the caller may read (current versions)",
    openapi_extra=audited("agreement.list", "agreement"),
)
async def list_agreements(unit: AnyCaller) -> AgreementPage:
    def work(tx: Tx, caller: Caller) -> AgreementPage:
        rows = sorted(agreements.current_versions(tx.session), key=lambda row: row.agreement_id)
        visible = [
            public(row)
            for row in rows
            if caller.role != "partner" or agreements.is_party(row, caller.partner)
        ]
        return AgreementPage(items=visible, next_cursor=None)

    return await unit.read(work)


@router.get(
    "/{id}",
    summary="Read an agreement's current version",
    openapi_extra=audited("agreement.read", "agreement"),
)
async def read_agreement(id: AgreementId, unit: AnyCaller) -> AgreementPublic:
    def work(tx: Tx, caller: Caller) -> AgreementPublic:
        return public(_noted(tx.audit, _readable(agreements.get_version(tx.session, id), caller)))

    return await unit.read(work)


@router.put(
    "/{id}",
    summary="Write the next version of an agreement",
    responses={409: {"description": "another change to this agreement came first; retry"}},
    description="Earlier versions stay readable and unchanged. A version written as `active` is "
    "`proposed` until every party has accepted it (POST …/versions/{n}/acceptance); until then "
    "the version in force stays in force, and a proposal still waiting is replaced. Suspending or "
    "terminating is a new version with that status; it takes effect at once and access it gave "
    "ends at the next request.",
    openapi_extra=audited("agreement.update", "agreement"),
)
async def update_agreement(
    id: AgreementId, body: AgreementBody, unit: AdminUnit
) -> AgreementPublic:
    def work(tx: Tx, caller: Caller) -> AgreementPublic:
        _same_id(body, id)
        document = body.document(id)
        row = agreements.update(tx.session, id, document, author=caller.client_id, now=tx.now)
        events.agreement_status(tx.session, row, now=tx.now, max_attempts=tx.runtime.max_attempts)
        return public(_noted(tx.audit, row))

    return await unit.write(work)


def _same_id(body: AgreementBody, id: str) -> None:
    if body.id is not None and body.id != id:
        raise Invalid(
            "id differs from the path",
            code="validation_failed",
            invalid_params=[
                {
                    "in": "body",
                    "name": "id",
                    "code": "mismatch",
                    "reason": "must equal the id in the path",
                }
            ],
        )


@router.get(
    "/{id}/versions",
    summary="Every version of an agreement, oldest first",
    openapi_extra=audited("agreement.read", "agreement"),
)
async def list_versions(id: AgreementId, unit: AnyCaller) -> AgreementPage:
    def work(tx: Tx, caller: Caller) -> AgreementPage:
        _readable(agreements.get_version(tx.session, id), caller)
        return AgreementPage(
            items=[public(row) for row in agreements.versions(tx.session, id)], next_cursor=None
        )

    return await unit.read(work)


@router.get(
    "/{id}/versions/{n}",
    summary="One version of an agreement",
    openapi_extra=audited("agreement.read", "agreement"),
)
async def read_version(
    id: AgreementId,
    n: Annotated[int, Path(ge=1, le=2_147_483_647, description="the version number")],
    unit: AnyCaller,
) -> AgreementPublic:
    def work(tx: Tx, caller: Caller) -> AgreementPublic:
        _readable(agreements.get_version(tx.session, id), caller)
        return public(_noted(tx.audit, agreements.get_version(tx.session, id, n)))

    return await unit.read(work)
