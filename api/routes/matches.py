"""Matches (scope signals:read) and their regie (signals:write; an administrator assigns)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.context import audited
from api.deps import Cursor, Limit, Unit, unit_for
from api.schemas.matches import (
    CoordinationBody,
    MatchPage,
    MatchPublic,
    MatchRegie,
    MatchSummary,
)
from auth.caller import Caller
from records.hotpath import LiveSignal
from records.models import Match
from signals import coordination
from signals.matches import involvement, matches_for, shown_partners
from wijkdeel.unit import Tx

router = APIRouter(prefix="/matches", tags=["matches"])

Reader = Annotated[Unit, unit_for("signals:read")]
Coordinator = Annotated[Unit, unit_for("signals:write", "admin")]
MatchId = Annotated[str, Path(max_length=36, description="the match's id")]


def _signal(signal: LiveSignal) -> dict[str, Any]:
    return {
        "id": signal.id,
        "sender": signal.sender,
        "category": signal.category,
        "urgency": signal.urgency,
        "createdAt": signal.created_at,
    }


def _coordinator(match: Match, partner: str | None) -> dict[str, Any] | None:
    """Who coordinates; a proposed handover only to the two partners it concerns (an
    administrator, `partner` None, sees it too)."""
    if match.coordinator is None:
        return None
    since: datetime | None = match.coordinator_since
    answer: dict[str, Any] = {"partner": match.coordinator, "since": since}
    if match.handover_to is not None and partner in (None, match.coordinator, match.handover_to):
        answer["handover"] = {"to": match.handover_to, "since": match.handover_since}
    return answer


def _summary(tx: Tx, caller: Caller, match: Match, signals: list[LiveSignal]) -> dict[str, Any]:
    return {
        "id": match.id,
        "subjectRef": tx.runtime.subjects.partner_ref(caller.partner, match.subject_index),
        "signals": [_signal(s) for s in signals],
        "coordinator": _coordinator(match, caller.partner),
        "status": match.status,
        "createdAt": match.created_at,
    }


@router.get(
    "",
    summary="Children about whom the caller may see two or more live signals",
    response_model_exclude_unset=True,
    description="The matches the caller is involved in, with who coordinates each; read one "
    "for the partners involved.",
    openapi_extra=audited("match.list", "match"),
)
async def list_matches(unit: Reader, cursor: Cursor = None, limit: Limit = 100) -> MatchPage:
    def work(tx: Tx, caller: Caller) -> MatchPage:
        found = matches_for(tx, caller.partner, caller.purpose, cursor=cursor, limit=limit)
        # One event per page (the children are not named in it; a page read is what happened).
        tx.audit.reason = f"items:{len(found.items)}"
        return MatchPage(
            items=[
                MatchSummary.model_validate(_summary(tx, caller, m, signals))
                for m, signals in found.items
            ],
            next_cursor=found.next_cursor,
        )

    return await unit.read(work)


@router.get(
    "/{id}",
    summary="A match: the child, the signals the caller sees, the partners involved, regie",
    description="404 for a partner that is not involved (one that may not see two or more of "
    "its live signals under the token's purpose). Another partner's `professional` is shown "
    "only where a rule of an agreement in force between the two says `exchangeContact` for the "
    "token's purpose.",
    response_model=MatchPublic,
    response_model_exclude_unset=True,
    openapi_extra=audited("match.read", "match"),
)
async def read_match(id: MatchId, unit: Reader) -> MatchPublic:
    def work(tx: Tx, caller: Caller) -> MatchPublic:
        tx.audit.resource_id = id
        seen = involvement(tx, caller, id)
        tx.audit.subject_ref = tx.runtime.subjects.subject_ref(seen.match.subject_index)
        return MatchPublic.model_validate(
            {
                **_summary(tx, caller, seen.match, seen.signals),
                "partners": shown_partners(tx, caller, seen),
            }
        )

    return await unit.read(work)


@router.post(
    "/{id}/coordination",
    summary="Take, hand over, accept, decline or assign the match's regie",
    description="Exactly one partner coordinates a match. An involved partner may `take` regie "
    "nobody holds (409 `coordinator_exists` otherwise); the coordinator proposes a `handover` "
    "`to` another involved partner (403 `not_coordinator` for anyone else; 422 `not_involved` "
    "for a partner that is not involved), who will `accept` or `decline` it (403 "
    "`not_handover_recipient` for anyone else, 409 `no_handover` when none is proposed). An "
    "administrator (scope admin) may `assign` it `to` any involved partner; a partner may not "
    "(403 `admin_required`). 404 for a partner that is not involved; 409 `match_ended` once the "
    "match has ended. Every step is kept in the match's history and audited; the partners "
    "involved get `match.coordinator_assigned` or `match.handover_requested`.",
    responses={409: {"description": "regie does not allow this step now (see `code`)"}},
    response_model_exclude_unset=True,
    openapi_extra=audited("match.coordinate", "match"),
)
async def coordinate_match(id: MatchId, body: CoordinationBody, unit: Coordinator) -> MatchRegie:
    def work(tx: Tx, caller: Caller) -> MatchRegie:
        match = coordination.step(tx, caller, id, body.action, body.to)
        viewer = None if caller.has("admin") else caller.partner
        return MatchRegie.model_validate(
            {"id": match.id, "coordinator": _coordinator(match, viewer), "status": match.status}
        )

    return await unit.write(work)
