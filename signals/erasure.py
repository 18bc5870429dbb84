"""Erasure by crypto-shredding: the data key and the cipher texts go, a tombstone stays.

The tombstone (id, sender, times, subjectRef) lets later reads answer 410 and keeps the audit
log meaningful; nothing it holds is personal beyond the pseudonym.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import Session, col

from audit.events import AuditDraft, record
from auth.caller import Caller
from core.errors import Forbidden, Gone, NotFound
from records.models import DataKey, Signal
from signals.matches import end_if_done
from signals.notices import tell_recipients
from signals.sharing import recipients_of
from wijkdeel.unit import Tx


def shred(session: Session, signal: Signal, now: datetime, reason: str) -> None:
    data_key_id = signal.data_key_id
    signal.subject = signal.summary = signal.details = signal.contact = None
    signal.sender_professional = signal.informing = None
    signal.informing_due_at = None
    signal.data_key_id = None
    signal.erased_at, signal.erase_reason, signal.status = now, reason, "erased"
    signal.updated_at = now
    session.add(signal)
    session.flush()
    if data_key_id:
        session.execute(delete(DataKey).where(DataKey.id == data_key_id))  # type: ignore[arg-type]
    end_if_done(session, signal.subject_index, now)


def erase(tx: Tx, caller: Caller, signal_id: str) -> Signal:
    """DELETE by the sender or an administrator; a recipient may not, others learn nothing."""
    # Locked, so a correction at the same moment cannot leave its new data key behind.
    signal = (
        tx.session.get(Signal, signal_id, with_for_update=True) if len(signal_id) <= 36 else None
    )
    if signal is None:
        raise NotFound("no signal with this id", code="signal_not_found")
    is_admin = caller.has("admin")
    involved = signal.sender == caller.partner or caller.partner in {
        r.partner_id for r in recipients_of(tx.session, signal.id)
    }
    if not is_admin and not involved:
        raise NotFound("no signal with this id", code="signal_not_found")
    tx.audit.subject_ref = signal.subject_ref
    if signal.erased_at is not None:
        raise Gone("this signal has been erased", code="signal_erased")
    if not is_admin and signal.sender != caller.partner:
        raise Forbidden(
            "only the sender or an administrator erases a signal", code="not_the_sender"
        )
    erase_held(tx, signal, "deleted")
    return signal


def erase_held(tx: Tx, signal: Signal, reason: str) -> None:
    """Shred a signal its eraser holds, and tell every recipient (AVG art. 19)."""
    shred(tx.session, signal, tx.now, reason)
    tell_recipients(tx, signal, "signal.erased")
    tx.audit.reason = reason


def sweep_expired(session: Session, now: datetime, *, skip_locked: bool, batch: int = 200) -> int:
    """Erase signals past their retention, each with its own `signal.erase` event, in the
    caller's transaction; returns how many. Several sweepers on PostgreSQL (`skip_locked`)
    skip each other's rows."""
    query = (
        select(Signal)
        .where(col(Signal.erased_at).is_(None), col(Signal.expires_at) <= now)
        .order_by(col(Signal.expires_at))
        .limit(batch)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    signals = list(session.scalars(query))
    for signal in signals:
        shred(session, signal, now, "retention")
        event = AuditDraft(
            action="signal.erase",
            at=now,
            role="system",
            resource_type="signal",
            resource_id=signal.id,
            subject_ref=signal.subject_ref,
            purpose=signal.purpose,
            partner=signal.sender,
        )
        record(session, event, "allow", "retention")
    return len(signals)
