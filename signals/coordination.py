"""Regie over a match: one coordinating partner, by agreement, taken, handed over or assigned.

The rules of who may do what are policies.coordination (pure); here they meet the database: the
match row (locked for the step), its history, the outbox and the audit event, all in the one
transaction of the request - or, for a match nobody coordinates, of the sweeper.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from audit.events import AuditDraft, record
from auth.caller import Caller
from core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from notifications import events
from policies.coordination import Refusal, Regie, coordinate, rule_coordinator
from records.models import Match, MatchPartner, Partner
from signals.matches import history, involved_in, involvement, partners_of
from signals.related import live_signals_about
from wijkdeel.unit import Tx


def _apply(
    tx: Tx,
    match: Match,
    after: Regie,
    *,
    action: str,
    by: str | None,
    involved: Collection[str],
    agreement: str | None = None,
) -> None:
    """Store the regie after a step, its line of history, and tell the partners involved."""
    changed = after.coordinator != match.coordinator
    match.coordinator, match.handover_to = after.coordinator, after.handover_to
    if changed:
        match.coordinator_since = tx.now
    match.handover_since = tx.now if after.handover_to is not None else None
    match.updated_at = tx.now
    tx.session.add(match)
    history(
        tx.session,
        match,
        action=action,
        partner=after.handover_to if action == "handover" else after.coordinator,
        by_partner=by,
        agreement_id=agreement,
        at=tx.now,
    )
    tx.session.flush()
    told = sorted(set(involved) | {p for p in (match.coordinator, match.handover_to) if p})
    if changed and match.coordinator is not None:
        events.match_coordinator_assigned(
            tx.session,
            told,
            match.id,
            match.coordinator,
            now=tx.now,
            max_attempts=tx.runtime.max_attempts,
        )
    if action == "handover" and match.handover_to is not None and match.coordinator is not None:
        events.match_handover_requested(
            tx.session,
            told,
            match.id,
            match.coordinator,
            match.handover_to,
            now=tx.now,
            max_attempts=tx.runtime.max_attempts,
        )


def assign_by_rule(tx: Tx, subject_index: str) -> None:
    """Give the child's open match nobody coordinates the coordinator an agreement in force
    names for the purposes of its signals, once that partner is involved (in the unit of work
    of the signal that involves it)."""
    match = tx.session.exec(
        select(Match)
        .where(
            col(Match.subject_index) == subject_index,
            col(Match.status) == "open",
            col(Match.coordinator).is_(None),
        )
        .with_for_update()
    ).first()
    if match is None:
        return
    live = live_signals_about(tx, subject_index)
    involved = involved_in(tx, live, partners_of(tx.session, match.id))
    view = tx.view
    found = rule_coordinator(
        view.policy.agreements.values(),
        [view.party(p) for p in involved],
        {signal.purpose for signal, _ in live},
        tx.now,
    )
    if found is None:
        return
    partner, agreement = found
    _apply(
        tx, match, Regie(partner), action="rule", by=None, involved=involved, agreement=agreement
    )
    tx.audit.also(
        action="match.coordinate",
        resource_type="match",
        resource_id=match.id,
        reason=f"rule:{partner}",
        agreement_id=agreement,
        agreement_version=view.policy.agreements[agreement].version,
    )


def _refuse(refusal: Refusal) -> DomainError:
    word = refusal.reason
    if refusal.kind == "forbidden":
        return Forbidden(
            f"this coordination step is not yours to take ({word})", code=word, reasons=[word]
        )
    if refusal.kind == "conflict":
        return Conflict(f"the match's regie does not allow this now ({word})", code=word)
    name = "action" if word == "unknown_action" else "to"
    return Invalid(
        f"{name} is not acceptable here ({word})",
        code=word,
        invalid_params=[{"in": "body", "name": name, "code": word, "reason": _WHY.get(word, word)}],
    )


_WHY = {
    "not_involved": "regie goes only to a partner involved in the match",
    "to_required": "name the partner (`to`) for this action",
    "to_not_expected": "this action takes no `to`",
    "handover_to_self": "a handover goes to another partner",
}


def step(tx: Tx, caller: Caller, match_id: str, action: str, to: str | None) -> Match:
    """One coordination step by the caller. An involved partner acts on a match it may see
    (404 otherwise, as for one that does not exist); an administrator assigns regie on any."""
    admin = caller.has("admin")
    tx.audit.resource_type, tx.audit.resource_id = "match", match_id
    tx.audit.reason = f"{action}:{to}" if to else action
    if admin and action == "assign":
        match = tx.session.get(Match, match_id) if len(match_id) <= 36 else None
        if match is None:
            raise NotFound("no match with this id", code="match_not_found")
        live = live_signals_about(tx, match.subject_index)
        involved = set(involved_in(tx, live, partners_of(tx.session, match.id)))
    else:
        found = involvement(tx, caller, match_id)
        match, involved = found.match, set(found.involved)
    # The step decides on the regie as it is now; a concurrent step waits for this one.
    tx.session.refresh(match, with_for_update=True)
    tx.audit.subject_ref = tx.runtime.subjects.subject_ref(match.subject_index)
    before = Regie(match.coordinator, match.handover_to, ended=match.status == "ended")
    after = coordinate(
        before, actor=caller.partner, admin=admin, action=action, to=to, involved=involved
    )
    if isinstance(after, Refusal):
        raise _refuse(after)
    _apply(tx, match, after, action=action, by=caller.partner, involved=involved)
    return match


def raise_unassigned(
    session: Session,
    now: datetime,
    *,
    days: int,
    max_attempts: int,
    skip_locked: bool,
    batch: int = 200,
) -> int:
    """Tell the municipality (every active partner of kind gemeente, through its
    subscriptions) about each open match nobody has coordinated for `days` days since it
    opened - once per opening - with its own `match.unassigned` event; returns how many."""
    query = (
        select(Match)
        .where(
            col(Match.status) == "open",
            col(Match.coordinator).is_(None),
            col(Match.unassigned_raised_at).is_(None),
            col(Match.opened_at) <= now - timedelta(days=days),
        )
        .order_by(col(Match.opened_at))
        .limit(batch)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    matches = list(session.exec(query))
    if not matches:
        return 0
    municipality = list(
        session.exec(
            select(col(Partner.id)).where(
                col(Partner.kind) == "gemeente", col(Partner.status) == "active"
            )
        )
    )
    for match in matches:
        match.unassigned_raised_at = now
        session.add(match)
        history(session, match, action="unassigned", at=now)
        partners = list(
            session.exec(
                select(col(MatchPartner.partner_id)).where(col(MatchPartner.match_id) == match.id)
            )
        )
        events.match_unassigned(
            session,
            municipality,
            match.id,
            sorted(partners),
            match.opened_at,
            now=now,
            max_attempts=max_attempts,
        )
        record(
            session,
            AuditDraft(
                action="match.unassigned",
                at=now,
                role="system",
                resource_type="match",
                resource_id=match.id,
            ),
            "allow",
            f"days:{days}",
        )
    session.flush()
    return len(matches)
