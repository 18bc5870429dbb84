"""Care signals (scopes signals:write, signals:read); the token's purpose binds every call."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status

from api.context import audited
from api.deps import Audit, Cursor, Limit, Now, RuntimeDep, SessionDep, require
from api.schemas.signals import (
    MatchPage,
    MatchPublic,
    SignalCreate,
    SignalCreated,
    SignalPage,
    SignalPublic,
    SignalUpdate,
)
from audit.events import AuditDraft
from auth.caller import Caller
from records.models import Signal, SignalRecipient
from signals import erasure, handling, reading, sharing
from signals.content import Content
from signals.matches import matches_for
from signals.work import Work

router = APIRouter(tags=["signals"])

Writer = Annotated[Caller, Depends(require("signals:write"))]
Reader = Annotated[Caller, Depends(require("signals:read"))]
Eraser = Annotated[Caller, Depends(require("signals:write", "admin"))]
SignalId = Annotated[str, Path(max_length=36, description="the signal's id")]
StatusFilter = Literal["open", "acknowledged", "in_progress", "closed"]


async def _work(session: SessionDep, runtime: RuntimeDep, now: Now, audit: Audit) -> Work:
    return Work(session, runtime, now, audit)


WorkDep = Annotated[Work, Depends(_work)]


def metadata(signal: Signal, recipients: list[SignalRecipient], partner: str) -> dict[str, Any]:
    return {
        "id": signal.id,
        "subjectRef": signal.subject_ref,
        "category": signal.category,
        "urgency": signal.urgency,
        "status": reading.status_for(signal, recipients, partner),
        "sender": signal.sender,
        "purpose": signal.purpose,
        # A recipient learns it is one; who else received it is the sender's to know.
        "recipients": sorted(r.partner_id for r in recipients)
        if signal.sender == partner
        else [partner],
        "createdAt": signal.created_at,
        "expiresAt": signal.expires_at,
        "agreement": {"id": signal.agreement_id, "version": signal.agreement_version},
    }


def _related(signal: Signal) -> dict[str, Any]:
    return {
        "id": signal.id,
        "sender": signal.sender,
        "category": signal.category,
        "urgency": signal.urgency,
        "createdAt": signal.created_at,
    }


@router.post(
    "/signals",
    status_code=status.HTTP_201_CREATED,
    summary="Send a care signal",
    description="Shared with every partner a rule of an active agreement allows for (the caller, "
    "the token's purpose, the category), where consent, if required, is in force; or with the "
    "named `recipients`, if every one of them is lawful (403 with `reasons` otherwise). Nothing "
    "is stored on a refusal. Content is encrypted per field; `expiresAt` follows the shortest "
    "retention of the rules used.",
    openapi_extra=audited("signal.create", "signal"),
)
def create_signal(body: SignalCreate, work: WorkDep, caller: Writer) -> SignalCreated:
    subject = body.subject.model_dump(mode="json", by_alias=True, exclude_none=True)
    contact = body.contact.model_dump(mode="json", exclude_none=True) if body.contact else None
    shared = sharing.share(
        work,
        caller,
        sharing.NewSignal(
            bsn=body.subject.bsn,
            content=Content(
                subject=subject, summary=body.summary, details=body.details, contact=contact or None
            ),
            category=body.category,
            urgency=body.urgency,
            recipients=body.recipients,
        ),
    )
    return SignalCreated.model_validate(metadata(shared.signal, shared.recipients, caller.partner))


@router.get(
    "/signals",
    summary="The caller's own signals and those shared with it under the token's purpose",
    description="Newest first. Content is never in a list; read one signal for the fields its "
    "rule grants.",
    openapi_extra=audited("signal.list", "signal"),
)
def list_signals(
    work: WorkDep,
    caller: Reader,
    status_filter: Annotated[
        StatusFilter | None, Query(alias="status", description="the caller's view of the status")
    ] = None,
    category: Annotated[str | None, Query(pattern="^[a-z0-9-]{2,64}$")] = None,
    since: Annotated[datetime | None, Query(description="created at or after (RFC 3339)")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> SignalPage:
    page = reading.listing(
        work,
        caller,
        status=status_filter,
        category=category,
        since=since,
        cursor=cursor,
        limit=limit,
    )
    return SignalPage(
        items=[SignalCreated.model_validate(metadata(s, r, caller.partner)) for s, r in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/signals/{id}",
    summary="Read a signal: exactly the fields the rule in force grants",
    description="404 for a partner that was never sender nor recipient; 403 with `reasons` for a "
    "recipient whose access has ended (consent withdrawn, agreement suspended, terminated or "
    "expired, another purpose); 410 once erased.",
    response_model_exclude_none=True,
    responses={410: {"description": "the signal has been erased"}},
    openapi_extra=audited("signal.read", "signal"),
)
def read_signal(id: SignalId, work: WorkDep, caller: Reader) -> SignalPublic:
    readout = reading.read(work, caller, id)
    signal, recipients = readout.signal, readout.recipients
    answer = metadata(signal, recipients, caller.partner)
    answer.update(readout.content)
    answer["legalBasis"] = readout.sight.decision.legal_basis if readout.sight.decision else None
    answer["relatedSignals"] = [_related(s) for s in readout.related]
    if readout.sight.role == "sender":
        answer["recipientStatuses"] = [
            {
                "partner": r.partner_id,
                "status": r.status,
                "legalBasis": r.legal_basis,
                "agreement": {"id": r.agreement_id, "version": r.agreement_version},
                "updatedAt": r.updated_at,
            }
            for r in sorted(recipients, key=lambda r: r.partner_id)
        ]
    return SignalPublic.model_validate(answer)


@router.patch(
    "/signals/{id}",
    summary="A recipient moves its handling forward",
    openapi_extra=audited("signal.update", "signal"),
)
def update_signal(id: SignalId, body: SignalUpdate, work: WorkDep, caller: Reader) -> SignalCreated:
    signal, recipients = handling.set_status(work, caller, id, body.status)
    return SignalCreated.model_validate(metadata(signal, recipients, caller.partner))


@router.delete(
    "/signals/{id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase a signal (its sender or an administrator)",
    description="Crypto-shredding: the data key and the cipher texts are destroyed; a tombstone "
    "keeps id, sender, times and subjectRef so later reads answer 410.",
    responses={410: {"description": "already erased"}},
    openapi_extra=audited("signal.erase", "signal"),
)
def delete_signal(id: SignalId, work: WorkDep, caller: Eraser) -> Response:
    erasure.erase(work, caller, id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/matches",
    summary="Children about whom the caller may see two or more live signals",
    openapi_extra=audited("match.list", "match"),
)
def list_matches(work: WorkDep, caller: Reader) -> MatchPage:
    found = matches_for(work, caller.partner, caller.purpose)
    for match, _ in found:
        event = AuditDraft(
            action="match.list",
            at=work.now,
            request_id=work.audit.request_id,
            ip=work.audit.ip,
            client_id=caller.client_id,
            partner=caller.partner,
            role=caller.role,
            resource_type="match",
            resource_id=match.id,
            subject_ref=match.subject_ref,
            purpose=caller.purpose,
        )
        work.audit.extra.append(event.to_event("allow"))
    return MatchPage(
        items=[
            MatchPublic.model_validate(
                {
                    "id": m.id,
                    "subjectRef": m.subject_ref,
                    "signals": [_related(s) for s in signals],
                    "createdAt": m.created_at,
                }
            )
            for m, signals in found
        ],
        next_cursor=None,
    )
