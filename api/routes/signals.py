"""Care signals (scopes signals:write, signals:read); the token's purpose binds every call."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import AwareDatetime
from sqlmodel import Session

from api.context import audited, draft, runtime
from api.deps import (
    Audit,
    Cursor,
    Limit,
    Now,
    ReadSessionDep,
    RuntimeDep,
    SessionDep,
    bearer_scheme,
    in_one_hop,
    require,
    require_read,
)
from api.schemas.signals import (
    MatchPage,
    MatchPublic,
    SignalCreate,
    SignalCreated,
    SignalPage,
    SignalPublic,
    SignalUpdate,
)
from auth.caller import Caller
from records.hotpath import Raw
from records.models import Signal, SignalRecipient
from signals import erasure, handling, reading, sharing
from signals.content import Content
from signals.matches import matches_for
from signals.work import Work

router = APIRouter(tags=["signals"])

Writer = Annotated[Caller, Depends(require("signals:write"))]
Reader = Annotated[Caller, Depends(require_read("signals:read"))]
Eraser = Annotated[Caller, Depends(require("signals:write", "admin"))]
SignalId = Annotated[str, Path(max_length=36, description="the signal's id")]
StatusFilter = Literal["open", "acknowledged", "in_progress", "closed"]


async def _work(session: SessionDep, runtime: RuntimeDep, now: Now, audit: Audit) -> Work:
    return Work(session, runtime, now, audit)


WorkDep = Annotated[Work, Depends(_work)]


async def _read_work(session: ReadSessionDep, runtime: RuntimeDep, now: Now, audit: Audit) -> Work:
    return Work(session, runtime, now, audit)


ReadWorkDep = Annotated[Work, Depends(_read_work)]


def _work_in(request: Request, session: Session, caller: Caller, raw: Raw | None) -> Work:
    event = draft(request)
    return Work(
        session, runtime(request), event.at, event, epoch=caller.policy_epoch, connection=raw
    )


def _json(content: dict[str, Any], status_code: int = 200) -> Response:
    # The hot endpoints answer from a dict they built field by field (so only granted fields
    # are in it); orjson writes it without a second validation pass.
    return Response(
        orjson.dumps(content, option=orjson.OPT_UTC_Z),
        status_code=status_code,
        media_type="application/json",
    )


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
    response_model=SignalCreated,
    dependencies=[Depends(bearer_scheme)],
    openapi_extra=audited("signal.create", "signal"),
)
async def create_signal(body: SignalCreate, request: Request) -> Response:
    subject = body.subject.model_dump(mode="json", by_alias=True, exclude_none=True)
    contact = body.contact.model_dump(mode="json", exclude_none=True) if body.contact else None
    new = sharing.NewSignal(
        bsn=body.subject.bsn,
        content=Content(
            subject=subject, summary=body.summary, details=body.details, contact=contact or None
        ),
        category=body.category,
        urgency=body.urgency,
        recipients=body.recipients,
    )

    def send(session: Session, caller: Caller, raw: Raw | None) -> dict[str, Any]:
        shared = sharing.share(_work_in(request, session, caller, raw), caller, new)
        return metadata(shared.signal, shared.recipients, caller.partner)

    answer = await in_one_hop(request, send, scopes=("signals:write",), read=False)
    return _json(answer, status.HTTP_201_CREATED)


@router.get(
    "/signals",
    summary="The caller's own signals and those shared with it under the token's purpose",
    description="Newest first. Content is never in a list; read one signal for the fields its "
    "rule grants.",
    openapi_extra=audited("signal.list", "signal"),
)
def list_signals(
    work: ReadWorkDep,
    caller: Reader,
    status_filter: Annotated[
        StatusFilter | None, Query(alias="status", description="the caller's view of the status")
    ] = None,
    category: Annotated[str | None, Query(pattern="^[a-z0-9-]{2,64}$")] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="created at or after (RFC 3339, with offset)")
    ] = None,
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
    response_model=SignalPublic,
    responses={410: {"description": "the signal has been erased"}},
    dependencies=[Depends(bearer_scheme)],
    openapi_extra=audited("signal.read", "signal"),
)
async def read_signal(id: SignalId, request: Request) -> Response:
    def read(session: Session, caller: Caller, raw: Raw | None) -> dict[str, Any]:
        readout = reading.read(_work_in(request, session, caller, raw), caller, id)
        signal, recipients = readout.signal, readout.recipients
        answer = metadata(signal, recipients, caller.partner)
        answer.update(readout.content)
        decision = readout.sight.decision
        answer["legalBasis"] = decision.legal_basis if decision else None
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
        return {key: value for key, value in answer.items() if value is not None}

    return _json(await in_one_hop(request, read, scopes=("signals:read",), read=True))


@router.patch(
    "/signals/{id}",
    summary="A recipient moves its handling forward",
    openapi_extra=audited("signal.update", "signal"),
)
def update_signal(id: SignalId, body: SignalUpdate, work: WorkDep, caller: Writer) -> SignalCreated:
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
def list_matches(work: ReadWorkDep, caller: Reader) -> MatchPage:
    found = matches_for(work, caller.partner, caller.purpose)
    for match, _ in found:
        work.audit.also(resource_type="match", resource_id=match.id, subject_ref=match.subject_ref)
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
