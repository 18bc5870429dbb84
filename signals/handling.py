"""A recipient moves its handling of a signal forward: acknowledged, in progress, closed."""

from __future__ import annotations

from auth.caller import Caller
from core.errors import Conflict, Forbidden
from notifications import events
from records.models import Signal, SignalRecipient
from signals.access import Sight
from signals.matches import end_if_done
from signals.reading import ORDER, load_for
from wijkdeel.unit import Tx


def set_status(
    tx: Tx, caller: Caller, signal_id: str, status: str
) -> tuple[Signal, list[SignalRecipient], Sight]:
    signal, recipients, seen = load_for(tx, caller, signal_id)
    if seen.role != "recipient":
        raise Forbidden("only a recipient sets the handling status", code="not_a_recipient")
    mine = next(r for r in recipients if r.partner_id == caller.partner)
    if ORDER.index(status) < ORDER.index(mine.status):
        raise Conflict(
            f"the status is already {mine.status}; it only moves forward", code="status_backwards"
        )
    tx.audit.reason = f"status:{status}"
    if status == mine.status:
        return signal, recipients, seen
    mine.status, mine.updated_at = status, tx.now
    if mine.acknowledged_at is None:
        mine.acknowledged_at = tx.now  # any step past `open` acknowledges it
    if status == "closed":
        mine.closed_at = tx.now
    # The sender's view: the least advanced recipient.
    signal.status = min((r.status for r in recipients), key=ORDER.index)
    signal.updated_at = tx.now
    tx.session.add_all([mine, signal])
    tx.session.flush()
    if signal.status == "closed":
        end_if_done(tx.session, signal.subject_index, tx.now)
    events.signal_updated(
        tx.session,
        signal,
        caller.partner,
        status,
        now=tx.now,
        max_attempts=tx.runtime.max_attempts,
    )
    return signal, recipients, seen
