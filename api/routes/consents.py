"""Consent records (scopes consents:write, consents:read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.context import audited
from api.deps import Unit, unit_for
from api.schemas.common import present
from api.schemas.consents import (
    ConsentCreate,
    ConsentPage,
    ConsentPublic,
    ConsentSearch,
    ConsentWithdraw,
)
from auth.caller import Caller
from notifications import events
from policies.dates import local_date
from policies.register import activity_for
from records import consents
from records.consents import NewConsent, invalid_bsn
from records.models import ConsentRecord, ConsentWithdrawal
from records.subjects import elfproef
from wijkdeel.unit import Tx

router = APIRouter(prefix="/consents", tags=["consents"])

Writer = Annotated[Unit, unit_for("consents:write")]
Reader = Annotated[Unit, unit_for("consents:read")]
ConsentId = Annotated[str, Path(max_length=36, description="the consent's id")]


def _under_purpose(tx: Tx, caller: Caller) -> None:
    """The processing activity a consent request falls under (the caller's purpose)."""
    tx.audit.processing_activity_id = activity_for(
        tx.view.policy.agreements.values(), caller.partner, caller.purpose, local_date(tx.now)
    )


def _answer(
    tx: Tx,
    record: ConsentRecord,
    withdrawal: ConsentWithdrawal | None,
    caller: Caller,
    *,
    knows_subject: bool = False,
) -> ConsentPublic:
    """The consent as this caller may see it (personal fields only for its recorder)."""
    view = consents.view(
        tx.session,
        record,
        withdrawal,
        partner=caller.partner,
        keyrings=tx.runtime.keyrings,
        subjects=tx.runtime.subjects,
        knows_subject=knows_subject,
        now=tx.now,
    )
    return _public(view)


def _public(view: consents.ConsentView) -> ConsentPublic:
    return ConsentPublic.model_validate(present(consents.public(view)))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record a consent",
    description="The BSN must pass the elfproef; it is stored only encrypted and as a keyed blind "
    "index. A subject younger than 16 cannot consent themselves. Records are never edited.",
    response_model_exclude_unset=True,
    openapi_extra=audited("consent.create", "consent"),
)
async def create_consent(body: ConsentCreate, unit: Writer) -> ConsentPublic:
    new = NewConsent(
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
    )

    def work(tx: Tx, caller: Caller) -> ConsentPublic:
        _under_purpose(tx, caller)
        record = consents.record_consent(
            tx.session,
            new,
            keyring=tx.runtime.keyrings.get(),
            subjects=tx.runtime.subjects,
            partner=caller.partner,
            client_id=caller.client_id,
            now=tx.now,
        )
        tx.audit.resource_id, tx.audit.subject_ref, tx.audit.legal_basis = (
            record.id,
            record.subject_ref,
            "consent",
        )
        return _answer(tx, record, None, caller)

    return await unit.write(work)


@router.get(
    "/{id}",
    summary="Read a consent (its recorder and the recipients it names)",
    response_model_exclude_unset=True,
    openapi_extra=audited("consent.read", "consent"),
)
async def read_consent(id: ConsentId, unit: Reader) -> ConsentPublic:
    def work(tx: Tx, caller: Caller) -> ConsentPublic:
        _under_purpose(tx, caller)
        record, withdrawal = consents.load(tx.session, id, caller.partner)
        tx.audit.subject_ref = record.subject_ref
        return _answer(tx, record, withdrawal, caller)

    return await unit.read(work)


@router.post(
    "/{id}/withdraw",
    summary="Withdraw a consent (by the partner that recorded it)",
    responses={409: {"description": "the consent was withdrawn already"}},
    description="Takes effect on the very next request: access that rested on it ends.",
    response_model_exclude_unset=True,
    openapi_extra=audited("consent.withdraw", "consent"),
)
async def withdraw_consent(id: ConsentId, body: ConsentWithdraw, unit: Writer) -> ConsentPublic:
    def work(tx: Tx, caller: Caller) -> ConsentPublic:
        _under_purpose(tx, caller)
        record, withdrawal = consents.withdraw(
            tx.session,
            id,
            partner=caller.partner,
            client_id=caller.client_id,
            reason=body.reason,
            keyrings=tx.runtime.keyrings,
            now=tx.now,
        )
        tx.audit.subject_ref = record.subject_ref
        events.consent_withdrawn(
            tx.session, record, now=tx.now, max_attempts=tx.runtime.max_attempts
        )
        return _answer(tx, record, withdrawal, caller)

    return await unit.write(work)


@router.post(
    "/search",
    summary="Find a child's consents by BSN (in the body: a BSN never travels in a URL)",
    response_model_exclude_unset=True,
    openapi_extra=audited("consent.search", "consent"),
)
async def search_consents(body: ConsentSearch, unit: Reader) -> ConsentPage:
    def work(tx: Tx, caller: Caller) -> ConsentPage:
        _under_purpose(tx, caller)
        if not elfproef(body.bsn):
            raise invalid_bsn("bsn")
        index, subject_ref = tx.runtime.subjects.identify(body.bsn)
        tx.audit.subject_ref = subject_ref
        found = consents.search(tx.session, index, caller.partner)
        return ConsentPage(
            items=[
                _answer(tx, record, withdrawal, caller, knows_subject=True)
                for record, withdrawal in found
            ],
            next_cursor=None,
        )

    return await unit.read(work)
