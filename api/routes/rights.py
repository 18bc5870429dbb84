"""The parent's rights on a signal, exercised by its sender or an administrator: restriction
(AVG art. 18) and objection (art. 21). Correction (art. 16) is a PATCH of the signal itself."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response, status

from api.context import audited
from api.deps import Unit, unit_for
from api.routes.signals import SENDER, SignalId, metadata
from api.schemas.signals import (
    ObjectionBody,
    ObjectionDecisionBody,
    ObjectionPublic,
    RestrictionBody,
    SignalCreated,
)
from api.signal_rights import objection_view
from auth.caller import Caller
from signals import objection, restriction
from signals.sharing import recipients_of
from wijkdeel.unit import Tx

router = APIRouter(tags=["signals"])

# The sender's partner system, or the municipality's administration.
Steward = Annotated[Unit, unit_for("signals:write", "admin")]
WHO = (
    "Its sender (scope `signals:write`) or an administrator (scope `admin`); a recipient gets "
    "403 `not_the_sender`, anyone else 404."
)
GONE: dict[int | str, dict[str, Any]] = {410: {"description": "the signal has been erased"}}


@router.post(
    "/signals/{id}/restriction",
    summary="Restrict a signal while its accuracy or lawfulness is disputed",
    description="AVG art. 18. While restricted, every recipient gets 403 with reason "
    "`restricted` and no content, the signal joins no match and no `relatedSignals`, and lists "
    "show it without content; the sender still reads it. Every recipient is told "
    f"(`signal.restricted`). {WHO}",
    response_model=SignalCreated,
    response_model_exclude_none=True,
    responses={409: {"description": "already restricted"}, **GONE},
    openapi_extra=audited("signal.restrict", "signal"),
)
async def restrict_signal(id: SignalId, body: RestrictionBody, unit: Steward) -> dict[str, Any]:
    def work(tx: Tx, caller: Caller) -> dict[str, Any]:
        signal = restriction.restrict(tx, caller, id, body.reason)
        return metadata(tx, signal, recipients_of(tx.session, signal.id), signal.sender, SENDER)

    return await unit.write(work)


@router.delete(
    "/signals/{id}/restriction",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Lift a signal's restriction",
    description="Its recipients read it again as their rules allow; every recipient is told "
    f"(`signal.restriction_lifted`). While an objection is pending, decide that instead (409). "
    f"{WHO}",
    responses={409: {"description": "not restricted, or an objection is pending"}, **GONE},
    openapi_extra=audited("signal.restriction_lift", "signal"),
)
async def lift_restriction(id: SignalId, unit: Steward) -> Response:
    await unit.write(lambda tx, caller: restriction.unrestrict(tx, caller, id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/signals/{id}/objection",
    status_code=status.HTTP_201_CREATED,
    summary="Record the parent's objection to a signal",
    description="AVG art. 21, recorded on behalf of the parent (an optional reason word). The "
    "signal is restricted (`objection_pending`) until the objection is decided; every recipient "
    f"is told (`signal.restricted`). {WHO}",
    response_model=ObjectionPublic,
    response_model_exclude_none=True,
    responses={409: {"description": "an objection is already pending"}, **GONE},
    openapi_extra=audited("signal.object", "signal"),
)
async def object_to_signal(
    id: SignalId, unit: Steward, body: ObjectionBody | None = None
) -> dict[str, Any]:
    reason = body.reason if body is not None else None

    def work(tx: Tx, caller: Caller) -> dict[str, Any]:
        return objection_view(objection.object_to(tx, caller, id, reason))

    return await unit.write(work)


@router.post(
    "/signals/{id}/objection/decision",
    summary="Decide the pending objection: upheld erases the signal, rejected lifts the "
    "restriction",
    description="Upheld: the signal is erased exactly as DELETE erases it (its data key "
    "destroyed, a tombstone kept, 410 from then on; `signal.erased` to every recipient). "
    "Rejected: the reason is recorded and the restriction lifted "
    f"(`signal.restriction_lifted`). The reason is a word of the decision's list. {WHO}",
    response_model=ObjectionPublic,
    response_model_exclude_none=True,
    responses={409: {"description": "no objection is pending"}, **GONE},
    openapi_extra=audited("signal.objection_decide", "signal"),
)
async def decide_objection(
    id: SignalId, body: ObjectionDecisionBody, unit: Steward
) -> dict[str, Any]:
    def work(tx: Tx, caller: Caller) -> dict[str, Any]:
        decided = objection.decide(tx, caller, id, body.decision, body.reason)
        return objection_view(decided)

    return await unit.write(work)
