"""Care signals (scopes signals:write, signals:read); the token's purpose binds every call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Response, status
from pydantic import AwareDatetime

from api import signal_rights as rights
from api.context import audited
from api.deps import Cursor, Limit, Unit, unit_for
from api.schemas.signals import (
    Informed,
    InformingBody,
    Postponed,
    SignalCreate,
    SignalCreated,
    SignalPage,
    SignalPublic,
    SignalUpdate,
)
from auth.caller import Caller
from signals import erasure, handling, informing_update, reading, sharing
from signals.access import CONTENT_FIELDS, RecipientFacts, Sight, SignalFacts
from signals.content import Content
from signals.correction import correct
from signals.informing import PENDING, Informing
from signals.sharing import recipients_of
from wijkdeel.unit import Tx

router = APIRouter(tags=["signals"])

Writer = Annotated[Unit, unit_for("signals:write")]
Reader = Annotated[Unit, unit_for("signals:read")]
Eraser = Annotated[Unit, unit_for("signals:write", "admin")]
SignalId = Annotated[str, Path(max_length=36, description="the signal's id")]
SENDER = Sight("sender", None, CONTENT_FIELDS)
StatusFilter = Literal["open", "acknowledged", "in_progress", "closed"]


def _json(content: dict[str, Any], status_code: int = 200) -> Response:
    # The hot endpoints answer from a dict they built field by field (so only granted fields
    # are in it); orjson writes it without a second validation pass.
    return Response(
        orjson.dumps(content, option=orjson.OPT_UTC_Z),
        status_code=status_code,
        media_type="application/json",
    )


def metadata(
    tx: Tx,
    signal: SignalFacts,
    recipients: Sequence[RecipientFacts],
    partner: str,
    seen: Sight,
) -> dict[str, Any]:
    """What every answer about a signal holds, as `partner` may see it: its own pseudonym of the
    child only where it may know the child, and the agreement that grants *it*."""
    mine = next((r for r in recipients if r.partner_id == partner), None)
    granted = mine if mine is not None and signal.sender != partner else signal
    answer = {
        "id": signal.id,
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
        "agreement": {"id": granted.agreement_id, "version": granted.agreement_version},
        "revision": signal.revision,
    }
    if signal.restriction_reason is not None:
        answer["restriction"] = {"reason": signal.restriction_reason, "since": signal.restricted_at}
    if seen.links:
        answer["subjectRef"] = tx.runtime.subjects.partner_ref(partner, signal.subject_index)
    return answer


def _informing(body: InformingBody | None) -> Informing:
    if isinstance(body, Informed):
        return Informing(body.status, tuple(body.parties), at=body.at, method=body.method)
    if isinstance(body, Postponed):
        return Informing(body.status, reason=body.reason, until=body.until)
    return PENDING


def _related(signal: SignalFacts) -> dict[str, Any]:
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
    "retention of the rules used. A token acting for a professional records them as "
    "`senderProfessional`; a rule with `requiresProfessional` grants nothing without one "
    "(403 `professional_required`). `informing` (default pending) is checked against the "
    "child's age by `subject.birthDate` (422 with the rule's word: `guardian_required`, "
    "`child_required`, `guardian_not_allowed`, `birth_date_required`, `until_not_after_today`, "
    "`until_too_far`, `at_in_future`).",
    response_model=SignalCreated,
    openapi_extra=audited("signal.create", "signal"),
)
async def create_signal(body: SignalCreate, unit: Writer) -> Response:
    subject = body.subject.model_dump(mode="json", by_alias=True, exclude_none=True)
    contact = body.contact.model_dump(mode="json", exclude_none=True) if body.contact else None
    new = sharing.NewSignal(
        bsn=body.subject.bsn,
        birth_date=body.subject.birth_date,
        content=Content(
            subject=subject, summary=body.summary, details=body.details, contact=contact or None
        ),
        category=body.category,
        urgency=body.urgency,
        recipients=body.recipients,
        informing=_informing(body.informing),
    )

    def send(tx: Tx, caller: Caller) -> dict[str, Any]:
        shared = sharing.share(tx, caller, new)
        return metadata(tx, shared.signal, shared.recipients, caller.partner, SENDER)

    return _json(await unit.write(send), status.HTTP_201_CREATED)


@router.get(
    "/signals",
    summary="The caller's own signals and those shared with it under the token's purpose",
    description="Newest first. Content is never in a list; read one signal for the fields its "
    "rule grants.",
    response_model_exclude_unset=True,
    openapi_extra=audited("signal.list", "signal"),
)
async def list_signals(
    unit: Reader,
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
    def work(tx: Tx, caller: Caller) -> SignalPage:
        page = reading.listing(
            tx,
            caller,
            status=status_filter,
            category=category,
            since=since,
            cursor=cursor,
            limit=limit,
        )
        return SignalPage(
            items=[
                SignalCreated.model_validate(metadata(tx, s, r, caller.partner, seen))
                for s, r, seen in page.items
            ],
            next_cursor=page.next_cursor,
        )

    return await unit.read(work)


@router.get(
    "/signals/{id}",
    summary="Read a signal: exactly the fields the rule in force grants",
    description="404 for a partner that was never sender nor recipient; 403 with `reasons` for a "
    "recipient whose access has ended (consent withdrawn, agreement suspended, terminated or "
    "expired, another purpose); 410 once erased.",
    response_model=SignalPublic,
    responses={410: {"description": "the signal has been erased"}},
    openapi_extra=audited("signal.read", "signal"),
)
async def read_signal(id: SignalId, unit: Reader) -> Response:
    def read(tx: Tx, caller: Caller) -> dict[str, Any]:
        readout = reading.read(tx, caller, id)
        signal, recipients = readout.signal, readout.recipients
        answer = metadata(tx, signal, recipients, caller.partner, readout.sight)
        content = dict(readout.content)
        answer["senderProfessional"] = content.pop("sender_professional", None)
        answer["informing"] = content.pop("informing", None) or {"status": signal.informing_status}
        answer.update(content)
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
            answer.update(rights.sender_view(tx, signal.id, signal.revision))
        return {key: value for key, value in answer.items() if value is not None}

    return _json(await unit.read(read))


@router.patch(
    "/signals/{id}",
    summary="A recipient moves its handling forward; the sender records informing or corrects",
    description="One of three requests. A recipient sets `status` (acknowledged, in_progress, "
    "closed; only forward). The sender records `informing` (informed, postponed or pending, "
    "checked against the child's age as at POST; once informed it stays informed; a "
    "postponement's end raises `signal.informing_due`; audit event `signal.informing` with "
    "reason `informing:<status>`). The sender corrects any of `summary`, `details`, `contact`, "
    "`subject.name` and `subject.birthDate`, with a `correctionReason` (audit event "
    "`signal.correct`): a new `revision`, sealed under a new data key while the old one is "
    "destroyed, and every recipient told (`signal.corrected`; recorded per recipient, shown to "
    "the sender as `corrections`). Only the sender records informing or corrects (403 for a "
    "recipient); a correction is a request of its own (422 when mixed with `status` or "
    "`informing`).",
    responses={
        409: {
            "description": "the status would move backwards, informing would be undone, the "
            "correction changes nothing (`no_change`) or the signal has too many revisions"
        },
        410: {"description": "the signal has been erased"},
    },
    response_model_exclude_unset=True,
    openapi_extra=audited("signal.update", "signal"),
)
async def update_signal(id: SignalId, body: SignalUpdate, unit: Writer) -> SignalCreated:
    if rights.asks_correction(body):
        unit.audit.action = "signal.correct"
    correction = rights.correction_of(body)

    def work(tx: Tx, caller: Caller) -> SignalCreated:
        if correction is not None:
            signal = correct(tx, caller, id, correction)
            recipients, seen = recipients_of(tx.session, signal.id), SENDER
            return SignalCreated.model_validate(
                metadata(tx, signal, recipients, caller.partner, seen)
            )
        changed = None
        if body.status is not None:
            changed = handling.set_status(tx, caller, id, body.status)
        if body.informing is not None:
            changed = informing_update.record_later(tx, caller, id, _informing(body.informing))
        if changed is None:
            rights.status_of(body)  # refuses: nothing was asked
        assert changed is not None
        signal, recipients, seen = changed
        return SignalCreated.model_validate(metadata(tx, signal, recipients, caller.partner, seen))

    return await unit.write(work)


@router.delete(
    "/signals/{id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase a signal (its sender or an administrator)",
    description="Crypto-shredding: the data key and the cipher texts are destroyed; a tombstone "
    "keeps id, sender, times and subjectRef so later reads answer 410.",
    responses={410: {"description": "already erased"}},
    openapi_extra=audited("signal.erase", "signal"),
)
async def delete_signal(id: SignalId, unit: Eraser) -> Response:
    await unit.write(lambda tx, caller: erasure.erase(tx, caller, id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
