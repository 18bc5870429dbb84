"""Consent records (scopes consents:write, consents:read)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from sqlmodel import Session

from api.context import audited
from api.deps import Audit, Now, ReadSessionDep, RuntimeDep, SessionDep, require, require_read
from api.schemas.consents import (
    ConsentCreate,
    ConsentPage,
    ConsentPublic,
    ConsentSearch,
    ConsentWithdraw,
)
from auth.caller import Caller
from notifications import events
from records import consents
from records.consents import NewConsent, invalid_bsn
from records.models import ConsentRecord, ConsentWithdrawal
from records.subjects import elfproef
from wijkdeel.runtime import Runtime

router = APIRouter(prefix="/consents", tags=["consents"])

Writer = Annotated[Caller, Depends(require("consents:write"))]
Reader = Annotated[Caller, Depends(require_read("consents:read"))]
ConsentId = Annotated[str, Path(max_length=36, description="the consent's id")]


def _answer(
    session: Session,
    record: ConsentRecord,
    withdrawal: ConsentWithdrawal | None,
    caller: Caller,
    runtime: Runtime,
    now: datetime,
) -> ConsentPublic:
    """The consent as this caller may see it (personal fields only for its recorder)."""
    return _public(
        consents.view(
            session, record, withdrawal, partner=caller.partner, keyrings=runtime.keyrings, now=now
        )
    )


def _public(view: consents.ConsentView) -> ConsentPublic:
    return ConsentPublic.model_validate(consents.public(view))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record a consent",
    description="The BSN must pass the elfproef; it is stored only encrypted and as a keyed blind "
    "index. A subject younger than 16 cannot consent themselves. Records are never edited.",
    response_model_exclude_none=True,
    openapi_extra=audited("consent.create", "consent"),
)
def create_consent(
    body: ConsentCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: Writer,
    now: Now,
    audit: Audit,
) -> ConsentPublic:
    record = consents.record_consent(
        session,
        NewConsent(
            bsn=body.subject.bsn,
            birth_date=body.subject.birth_date,
            granted_by=body.granted_by,
            grantor_name=body.grantor_name,
            purposes=body.purposes,
            recipients=body.recipients,
            categories=body.categories,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            evidence_method=body.evidence.method,
            evidence_reference=body.evidence.reference,
        ),
        keyring=runtime.keyrings.get(),
        subjects=runtime.subjects,
        partner=caller.partner,
        client_id=caller.client_id,
        now=now,
    )
    audit.resource_id, audit.subject_ref, audit.legal_basis = (
        record.id,
        record.subject_ref,
        "consent",
    )
    return _answer(session, record, None, caller, runtime, now)


@router.get(
    "/{id}",
    summary="Read a consent (its recorder and the recipients it names)",
    response_model_exclude_none=True,
    openapi_extra=audited("consent.read", "consent"),
)
def read_consent(
    id: ConsentId,
    session: ReadSessionDep,
    runtime: RuntimeDep,
    caller: Reader,
    now: Now,
    audit: Audit,
) -> ConsentPublic:
    record, withdrawal = consents.load(session, id, caller.partner)
    audit.subject_ref = record.subject_ref
    return _answer(session, record, withdrawal, caller, runtime, now)


@router.post(
    "/{id}/withdraw",
    summary="Withdraw a consent (by the partner that recorded it)",
    description="Takes effect on the very next request: access that rested on it ends.",
    response_model_exclude_none=True,
    openapi_extra=audited("consent.withdraw", "consent"),
)
def withdraw_consent(
    id: ConsentId,
    body: ConsentWithdraw,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: Writer,
    now: Now,
    audit: Audit,
) -> ConsentPublic:
    record, withdrawal = consents.withdraw(
        session,
        id,
        partner=caller.partner,
        client_id=caller.client_id,
        reason=body.reason,
        keyrings=runtime.keyrings,
        now=now,
    )
    audit.subject_ref = record.subject_ref
    events.consent_withdrawn(session, record, now=now, max_attempts=runtime.max_attempts)
    return _answer(session, record, withdrawal, caller, runtime, now)


@router.post(
    "/search",
    summary="Find a child's consents by BSN (in the body: a BSN never travels in a URL)",
    response_model_exclude_none=True,
    openapi_extra=audited("consent.search", "consent"),
)
def search_consents(
    body: ConsentSearch,
    session: ReadSessionDep,
    runtime: RuntimeDep,
    caller: Reader,
    now: Now,
    audit: Audit,
) -> ConsentPage:
    if not elfproef(body.bsn):
        raise invalid_bsn("bsn")
    index, subject_ref = runtime.subjects.identify(body.bsn)
    audit.subject_ref = subject_ref
    found = consents.search(session, index, caller.partner)
    return ConsentPage(
        items=[
            _answer(session, record, withdrawal, caller, runtime, now)
            for record, withdrawal in found
        ],
        next_cursor=None,
    )
