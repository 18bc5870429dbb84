"""Matches: two or more live signals about one child, as shared work among the partners involved.

This is what the national Verwijsindex does, limited here to what each partner may already see.
There is one match per child. A partner is involved when it may see (and know the child of) two
or more of the child's live signals; it joins the match - and is told so - in the unit of work of
the signal that makes it so. Which signals a partner sees of the match is worked out at read
time, so an erased signal or an ended agreement leaves it without the signals it no longer has.
Who coordinates a match is in signals.coordination; the match ends when every one of its
signals is closed or erased, and opens again with a new one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from auth.caller import Caller
from core.errors import NotFound
from notifications import events
from policies.coordination import known_partners, may_exchange_contact
from records.fields import load_data_key
from records.hotpath import Live, LiveSignal
from records.models import Match, MatchCoordination, MatchPartner, Signal
from records.pages import Page, keyset_page
from signals.related import linked_for, live_signals_about
from wijkdeel.unit import Tx

PROFESSIONAL_FIELD = "sender_professional"
"""The sealed field a signal records its sending professional in (`senderProfessional` on the
wire): `{name, function, email?, phone?}`, sealed under the signal's data key like its content."""

PROFESSIONAL_KEYS = ("name", "function", "email", "phone")


class Sealed(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def data_key_id(self) -> str | None: ...


def professional_of(tx: Tx, signal: Sealed) -> dict[str, str] | None:
    """The professional who sent `signal` (name, function, work contact), if it records one."""
    sealed = getattr(signal, PROFESSIONAL_FIELD, None)
    if not isinstance(sealed, bytes) or signal.data_key_id is None:
        return None
    key = load_data_key(tx.session, tx.runtime.keyrings, signal.data_key_id)
    if key is None:  # erased meanwhile: its professional went with it
        return None
    opened = orjson.loads(key.open(signal.id, PROFESSIONAL_FIELD, sealed))
    if not isinstance(opened, dict):
        return None
    return {name: str(opened[name]) for name in PROFESSIONAL_KEYS if opened.get(name)}


def involved_in(
    tx: Tx, live: Sequence[Live], partners: Iterable[str]
) -> dict[str, list[LiveSignal]]:
    """Of `partners`, those that may link two or more of `live` now under one of the purposes
    the signals were shared for, each with the most signals it links under one purpose."""
    purposes = sorted({signal.purpose for signal, _ in live})
    found: dict[str, list[LiveSignal]] = {}
    for partner in dict.fromkeys(partners):
        best: list[LiveSignal] = []
        for purpose in purposes:
            visible = linked_for(tx, partner, purpose, live)
            if len(visible) > len(best):
                best = visible
        if len(best) >= 2:
            found[partner] = best
    return found


def partners_of(session: Session, match_id: str) -> list[str]:
    """Every partner that joined the match, whether or not it still sees two of its signals."""
    return list(
        session.exec(
            select(col(MatchPartner.partner_id))
            .where(col(MatchPartner.match_id) == match_id)
            .order_by(col(MatchPartner.partner_id))
        )
    )


def history(session: Session, match: Match, **row: Any) -> None:
    """The next line of the match's regie history (see records.models.MatchCoordination); the
    caller holds the match's row lock."""
    last = session.scalar(
        select(func.max(col(MatchCoordination.seq))).where(
            col(MatchCoordination.match_id) == match.id
        )
    )
    session.add(MatchCoordination(match_id=match.id, seq=(last or 0) + 1, **row))
    session.flush()


def _the_match(tx: Tx, subject_index: str) -> tuple[Match, bool]:
    """The child's match (locked for this transaction), made if there is none; and whether it
    was made now."""
    query = select(Match).where(col(Match.subject_index) == subject_index).with_for_update()
    match = tx.session.exec(query).first()
    if match is not None:
        return match, False
    match = Match(
        id=str(uuid.uuid4()),
        subject_index=subject_index,
        status="open",
        opened_at=tx.now,
        created_at=tx.now,
        updated_at=tx.now,
    )
    try:
        with tx.session.begin_nested():
            tx.session.add(match)
    except IntegrityError:
        # Made by a concurrent request about the same child, which has committed by now.
        return tx.session.exec(query).one(), False
    return match, True


def record_matches(tx: Tx, signal: Signal, recipients: Sequence[str]) -> list[tuple[str, str]]:
    """After `signal` was shared: every partner of it that now sees two or more signals about
    the child joins the child's match (made or opened again if need be) and is told, through the
    outbox. Returns (partner, match id) for each partner that joined."""
    live = live_signals_about(tx, signal.subject_index)
    if len(live) < 2:
        return []
    involved = involved_in(tx, live, [signal.sender, *recipients])
    if not involved:
        return []
    match, _ = _the_match(tx, signal.subject_index)
    if match.status == "ended":
        reopen(tx, match)
    known = set(partners_of(tx.session, match.id))
    joined = []
    for partner, visible in sorted(involved.items()):
        if partner in known:
            continue
        try:
            with tx.session.begin_nested():
                tx.session.add(
                    MatchPartner(match_id=match.id, partner_id=partner, joined_at=tx.now)
                )
        except IntegrityError:
            continue  # joined by a concurrent request
        joined.append((partner, match.id))
        events.match_created(
            tx.session,
            partner,
            match.id,
            [s.id for s in visible],
            now=tx.now,
            max_attempts=tx.runtime.max_attempts,
        )
    return joined


def reopen(tx: Tx, match: Match) -> None:
    """A new signal about a child whose match had ended: the work starts again, without a
    coordinator until one is named or takes it, and the days without one count again. Its
    partners stay (whether each still sees two of its signals is checked at every read)."""
    match.status, match.ended_at, match.opened_at = "open", None, tx.now
    match.coordinator = match.coordinator_since = None
    match.handover_to = match.handover_since = None
    match.unassigned_raised_at, match.updated_at = None, tx.now
    tx.session.add(match)
    history(tx.session, match, action="reopened", at=tx.now)


def end_if_done(session: Session, subject_index: str, now: datetime) -> None:
    """End the child's open match once none of its signals is still open: each is closed by
    every recipient, erased, or past its retention."""
    match = session.exec(
        select(Match)
        .where(col(Match.subject_index) == subject_index, col(Match.status) == "open")
        .with_for_update()
    ).first()
    if match is None:
        return
    still_open = session.scalar(
        select(func.count())
        .select_from(Signal)
        .where(
            col(Signal.subject_index) == subject_index,
            col(Signal.erased_at).is_(None),
            col(Signal.expires_at) > now,
            col(Signal.status) != "closed",
        )
    )
    if still_open:
        return
    match.status, match.ended_at, match.updated_at = "ended", now, now
    match.handover_to = match.handover_since = None
    session.add(match)
    history(session, match, action="ended", at=now)
    session.flush()


def matches_for(
    tx: Tx, partner: str, purpose: str | None, *, cursor: str | None, limit: int
) -> Page[tuple[Match, list[LiveSignal]]]:
    """A page of the matches the partner joined that still join two or more signals it may see
    and link now (a match that no longer does is left out of its page)."""
    page = keyset_page(
        tx.session,
        select(Match)
        .join(MatchPartner, col(MatchPartner.match_id) == col(Match.id))
        .where(col(MatchPartner.partner_id) == partner),
        col(Match.id),
        cursor=cursor,
        limit=limit,
    )
    answer = []
    for match in page.items:
        signals = linked_for(tx, partner, purpose, live_signals_about(tx, match.subject_index))
        if len(signals) >= 2:
            answer.append((match, signals))
    return Page(answer, page.next_cursor)


@dataclass(frozen=True)
class Involvement:
    """A match as one partner may see it now."""

    match: Match
    live: list[Live]
    signals: list[LiveSignal]  # the ones the caller may link
    involved: dict[str, list[LiveSignal]]  # every partner involved now


def involvement(tx: Tx, caller: Caller, match_id: str) -> Involvement:
    """The match if the caller is involved in it now (two or more of its signals it may link
    under the token's purpose); 404 otherwise, as for a match that does not exist."""
    match = tx.session.get(Match, match_id) if len(match_id) <= 36 else None
    if match is None or caller.partner not in partners_of(tx.session, match.id):
        raise NotFound("no match with this id", code="match_not_found")
    live = live_signals_about(tx, match.subject_index)
    signals = linked_for(tx, caller.partner, caller.purpose, live)
    if len(signals) < 2:
        raise NotFound("no match with this id", code="match_not_found")
    return Involvement(
        match, live, signals, involved_in(tx, live, partners_of(tx.session, match.id))
    )


def shown_partners(tx: Tx, caller: Caller, seen: Involvement) -> list[dict[str, Any]]:
    """The partners involved that the caller already knows of through the signals it sees (and
    the coordinator), each with its professional where an agreement lets the two exchange
    contact for the token's purpose - and the caller's own."""
    linked = {s.id for s in seen.signals}
    known = known_partners(
        caller.partner,
        [
            (s.sender, [r.partner_id for r in recipients])
            for s, recipients in seen.live
            if s.id in linked
        ],
    )
    shown = set(seen.involved) & known
    if seen.match.coordinator in seen.involved:
        shown.add(seen.match.coordinator)
    agreements = tx.view.policy.agreements.values()
    me = tx.view.party(caller.partner)
    answer = []
    for partner in sorted(shown | {caller.partner}):
        entry: dict[str, Any] = {"partner": partner}
        if partner == caller.partner or may_exchange_contact(
            agreements, me, tx.view.party(partner), caller.purpose, tx.now
        ):
            professional = _latest_professional(tx, partner, seen.live)
            if professional:
                entry["professional"] = professional
        answer.append(entry)
    return answer


def _latest_professional(tx: Tx, partner: str, live: Sequence[Live]) -> dict[str, str] | None:
    """The professional of the newest live signal `partner` sent about the child."""
    for signal, _ in reversed(live):
        if signal.sender == partner:
            row = tx.session.get(Signal, signal.id)
            return professional_of(tx, row) if row is not None else None
    return None
