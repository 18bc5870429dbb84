"""Telling the recipients of a signal what became of it (AVG art. 19): every correction,
restriction, lifting and erasure goes to each recipient as an event (ids only), and that it was
told is recorded per recipient, so the sender can show whom it told of what and when."""

from __future__ import annotations

from typing import Literal

from sqlmodel import col, select

from notifications import events
from records.bulk import insert_all
from records.models import Signal, SignalNotice, SignalRecipient
from wijkdeel.unit import Tx

Change = Literal[
    "signal.corrected", "signal.restricted", "signal.restriction_lifted", "signal.erased"
]


def tell_recipients(tx: Tx, signal: Signal, change: Change) -> list[SignalNotice]:
    """One event and one notice per recipient of record, in the transaction of the change."""
    partners = list(
        tx.session.scalars(
            select(col(SignalRecipient.partner_id))
            .where(col(SignalRecipient.signal_id) == signal.id)
            .order_by(col(SignalRecipient.partner_id))
        )
    )
    if not partners:
        return []
    sent = events.signal_changed(
        tx.session,
        change,
        signal,
        partners,
        now=tx.now,
        max_attempts=tx.runtime.max_attempts,
    )
    notices = [
        SignalNotice(
            event_id=event.id,
            signal_id=signal.id,
            partner_id=event.partner_id,
            type=change,
            revision=signal.revision,
            created_at=tx.now,
        )
        for event in sent
    ]
    insert_all(tx.session, notices)
    return notices


def notices_of(tx: Tx, signal_id: str, change: Change) -> list[SignalNotice]:
    return list(
        tx.session.scalars(
            select(SignalNotice)
            .where(col(SignalNotice.signal_id) == signal_id, col(SignalNotice.type) == change)
            .order_by(col(SignalNotice.revision), col(SignalNotice.partner_id))
        )
    )
