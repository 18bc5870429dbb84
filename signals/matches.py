"""Matches: a partner may now see two or more live signals about the same child.

This is what the national Verwijsindex does, limited here to what the partner may already see.
A match is recorded once per partner and child; which signals it joins is worked out at read
time, so an erased signal or an ended agreement leaves it without the signals it no longer has.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from notifications import events
from records.hotpath import LiveSignal
from records.models import Match, Signal
from records.pages import Page, keyset_page
from signals.related import linked_for, live_signals_about
from wijkdeel.unit import Tx


def record_matches(tx: Tx, signal: Signal, recipients: Sequence[str]) -> list[tuple[str, str]]:
    """After `signal` was shared: record a match for each partner who now sees two or more
    signals about the child (and tell it, through the outbox); returns (partner, match id)."""
    live = live_signals_about(tx, signal.subject_index)
    if len(live) < 2:
        return []
    created = []
    for partner in [signal.sender, *recipients]:
        # A partner sees a signal it was sent under that signal's purpose; that is the purpose
        # under which it would look at this child.
        purpose = signal.purpose
        visible = linked_for(tx, partner, purpose, live)
        if len(visible) < 2:
            continue
        exists = tx.session.scalar(
            select(col(Match.id)).where(
                col(Match.partner_id) == partner, col(Match.subject_ref) == signal.subject_ref
            )
        )
        if exists:
            continue
        match = Match(
            id=str(uuid.uuid4()),
            partner_id=partner,
            subject_ref=signal.subject_ref,
            subject_index=signal.subject_index,
            created_at=tx.now,
        )
        try:
            with tx.session.begin_nested():
                tx.session.add(match)
        except IntegrityError:
            continue  # recorded by a concurrent request for the same child
        created.append((partner, match.id))
        events.match_created(
            tx.session,
            partner,
            match.id,
            [s.id for s in visible],
            now=tx.now,
            max_attempts=tx.runtime.max_attempts,
        )
    return created


def matches_for(
    tx: Tx, partner: str, purpose: str | None, *, cursor: str | None, limit: int
) -> Page[tuple[Match, list[LiveSignal]]]:
    """A page of the partner's matches that still join two or more signals it may see and
    link now (a match that no longer does is left out of its page)."""
    page = keyset_page(
        tx.session,
        select(Match).where(col(Match.partner_id) == partner),
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
