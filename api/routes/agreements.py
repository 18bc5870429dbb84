"""Sharing agreements (convenanten): admins write, parties and auditors read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.context import audited
from api.deps import AdminCaller, Audit, Now, ReadCallerDep, ReadSessionDep, SessionDep
from api.schemas.agreements import AgreementBody, AgreementPage, AgreementPublic
from api.schemas.common import SLUG_PATTERN
from auth.caller import Caller
from core.errors import Invalid, NotFound
from records import agreements
from records.models import AgreementVersion

router = APIRouter(prefix="/agreements", tags=["agreements"])

AgreementId = Annotated[str, Path(pattern=SLUG_PATTERN, description="the agreement's slug")]


def public(row: AgreementVersion) -> AgreementPublic:
    return AgreementPublic.model_validate(
        {
            **row.document,
            "version": row.version,
            "createdAt": row.created_at,
            "createdBy": row.created_by,
        }
    )


def _readable(row: AgreementVersion, caller: Caller) -> AgreementVersion:
    """Admins and auditors read every agreement; a partner only those it is party to."""
    if caller.role == "partner" and not agreements.is_party(row, caller.partner):
        raise NotFound("no agreement with this id", code="agreement_not_found")
    return row


def _noted(audit: Audit, row: AgreementVersion) -> AgreementVersion:
    audit.resource_id = row.agreement_id
    audit.agreement_id, audit.agreement_version = row.agreement_id, row.version
    return row


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Write a new agreement (version 1)",
    description="Refused with 422 and a precise `detail` when a rule names a non-party, an unknown "
    "purpose or field, a category that is not a slug, consent as basis without requiresConsent, "
    "a retention outside 1..730 days, validUntil before validFrom, or a duplicate rule.",
    openapi_extra=audited("agreement.create", "agreement"),
)
def create_agreement(
    body: AgreementBody, session: SessionDep, caller: AdminCaller, now: Now, audit: Audit
) -> AgreementPublic:
    if body.id is None:
        raise Invalid(
            "id is required",
            code="validation_failed",
            invalid_params=[{"in": "body", "name": "id", "code": "missing", "reason": "required"}],
        )
    row = agreements.create(session, body.document(body.id), author=caller.client_id, now=now)
    return public(_noted(audit, row))


@router.get(
    "",
    summary="List the agreements the caller may read (current versions)",
    openapi_extra=audited("agreement.list", "agreement"),
)
def list_agreements(session: ReadSessionDep, caller: ReadCallerDep) -> AgreementPage:
    rows = sorted(agreements.current_versions(session), key=lambda row: row.agreement_id)
    visible = [
        public(row)
        for row in rows
        if caller.role != "partner" or agreements.is_party(row, caller.partner)
    ]
    return AgreementPage(items=visible, next_cursor=None)


@router.get(
    "/{id}",
    summary="Read an agreement's current version",
    openapi_extra=audited("agreement.read", "agreement"),
)
def read_agreement(
    id: AgreementId, session: ReadSessionDep, caller: ReadCallerDep, audit: Audit
) -> AgreementPublic:
    return public(_noted(audit, _readable(agreements.get_version(session, id), caller)))


@router.put(
    "/{id}",
    summary="Write the next version of an agreement",
    description="Earlier versions stay readable and unchanged. Suspending or terminating is a "
    "new version with that status; access it gave ends at the next request.",
    openapi_extra=audited("agreement.update", "agreement"),
)
def update_agreement(
    id: AgreementId,
    body: AgreementBody,
    session: SessionDep,
    caller: AdminCaller,
    now: Now,
    audit: Audit,
) -> AgreementPublic:
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
    row = agreements.update(session, id, body.document(id), author=caller.client_id, now=now)
    return public(_noted(audit, row))


@router.get(
    "/{id}/versions",
    summary="Every version of an agreement, oldest first",
    openapi_extra=audited("agreement.read", "agreement"),
)
def list_versions(id: AgreementId, session: ReadSessionDep, caller: ReadCallerDep) -> AgreementPage:
    _readable(agreements.get_version(session, id), caller)
    return AgreementPage(
        items=[public(row) for row in agreements.versions(session, id)], next_cursor=None
    )


@router.get(
    "/{id}/versions/{n}",
    summary="One version of an agreement",
    openapi_extra=audited("agreement.read", "agreement"),
)
def read_version(
    id: AgreementId,
    n: Annotated[int, Path(ge=1, description="the version number")],
    session: ReadSessionDep,
    caller: ReadCallerDep,
    audit: Audit,
) -> AgreementPublic:
    _readable(agreements.get_version(session, id), caller)
    return public(_noted(audit, agreements.get_version(session, id, n)))
