"""Who answers for a signal: its sender, and for some acts an administrator.

Correction, restriction, objection and erasure are acts of the controller that sent the signal
(or of the municipality's administration, for restriction, objection and erasure). A recipient
learns it may not (403); a partner that never had the signal learns nothing (404).
"""

from __future__ import annotations

from auth.caller import Caller
from core.errors import Forbidden, Gone, NotFound
from records.models import Signal, SignalRecipient
from signals.access import live
from wijkdeel.unit import Tx

MAX_ID_LENGTH = 36


def held_for(tx: Tx, caller: Caller, signal_id: str, *, administrators: bool) -> Signal:
    """The signal, locked for the change, if `caller` sent it (or is an administrator, where
    `administrators`); 404 for those who never had it, 410 once erased, 403 otherwise."""
    signal = (
        tx.session.get(Signal, signal_id, with_for_update=True)
        if len(signal_id) <= MAX_ID_LENGTH
        else None
    )
    if signal is None:
        raise NotFound("no signal with this id", code="signal_not_found")
    is_admin = caller.has("admin")
    is_sender = signal.sender == caller.partner
    if not is_sender and not is_admin:
        recipient = tx.session.get(SignalRecipient, (signal.id, caller.partner))
        if recipient is None:
            raise NotFound("no signal with this id", code="signal_not_found")
    tx.audit.subject_ref = signal.subject_ref
    tx.audit.basis(
        legal_basis=None, agreement_id=signal.agreement_id, version=signal.agreement_version
    )
    if not live(signal, tx.now):
        raise Gone("this signal has been erased", code="signal_erased")
    if not is_sender and not (administrators and is_admin):
        who = "the sender or an administrator" if administrators else "the sender"
        raise Forbidden(f"only {who} may do this", code="not_the_sender")
    return signal
