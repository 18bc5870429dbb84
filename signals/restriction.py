"""Restriction (AVG art. 18): while the accuracy or the lawfulness of a signal is disputed, or
an objection to it is pending, the signal is kept but not used.

Its recipients get 403 `restricted` and no content, it links to no other signal (no match, no
relatedSignals), and lists show it without content; its sender still reads it. The sender or an
administrator restricts it and lifts the restriction; both are audited and told to every
recipient (`signal.restricted`, `signal.restriction_lifted`).
"""

from __future__ import annotations

from typing import Final

from sqlmodel import col, select

from auth.caller import Caller
from core.errors import Conflict
from records.models import Signal, SignalObjection
from signals.custody import held_for
from signals.notices import tell_recipients
from wijkdeel.unit import Tx

OBJECTION_PENDING: Final = "objection_pending"
RESTRICTION_REASONS: Final = (
    "accuracy_contested",  # art. 18(1)(a): while the sender checks it
    "unlawful_processing_claimed",  # art. 18(1)(b): the parent wants it kept, not used
    "needed_for_legal_claims",  # art. 18(1)(c): kept for a claim of the parent's
    OBJECTION_PENDING,  # art. 18(1)(d): until the objection is decided (signals.objection)
)


def pending_objection(tx: Tx, signal_id: str) -> SignalObjection | None:
    return tx.session.scalars(
        select(SignalObjection).where(
            col(SignalObjection.signal_id) == signal_id, col(SignalObjection.decision).is_(None)
        )
    ).first()


def put(tx: Tx, signal: Signal, reason: str) -> int:
    """Restrict `signal` (already held for the change) and tell its recipients; how many."""
    signal.restriction_reason, signal.restricted_at = reason, tx.now
    signal.updated_at = tx.now
    tx.session.add(signal)
    tx.session.flush()
    return len(tell_recipients(tx, signal, "signal.restricted"))


def lift(tx: Tx, signal: Signal) -> int:
    """Lift the restriction of `signal` (already held for the change) and tell its
    recipients; how many."""
    signal.restriction_reason = signal.restricted_at = None
    signal.updated_at = tx.now
    tx.session.add(signal)
    tx.session.flush()
    return len(tell_recipients(tx, signal, "signal.restriction_lifted"))


def restrict(tx: Tx, caller: Caller, signal_id: str, reason: str) -> Signal:
    signal = held_for(tx, caller, signal_id, administrators=True)
    if signal.restriction_reason is not None:
        raise Conflict(
            f"this signal is already restricted ({signal.restriction_reason})",
            code="already_restricted",
        )
    told = put(tx, signal, reason)
    tx.audit.reason = f"restricted:{reason};notified:{told}"
    return signal


def unrestrict(tx: Tx, caller: Caller, signal_id: str) -> Signal:
    signal = held_for(tx, caller, signal_id, administrators=True)
    if signal.restriction_reason is None:
        raise Conflict("this signal is not restricted", code="not_restricted")
    if pending_objection(tx, signal.id) is not None:
        raise Conflict(
            "an objection to this signal is pending: decide it to lift the restriction",
            code="objection_pending",
        )
    was = signal.restriction_reason
    told = lift(tx, signal)
    tx.audit.reason = f"lifted:{was};notified:{told}"
    return signal
