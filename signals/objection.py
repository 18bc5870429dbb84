"""Objection (AVG art. 21), recorded by the sender or an administrator on behalf of the parent.

An objection restricts the signal at once (`objection_pending`, see signals.restriction) until it
is decided. Upheld, the signal is erased exactly as DELETE erases it (crypto-shredding, a
tombstone, 410 from then on); rejected, the reason is recorded - a word from a fixed list - and
the restriction is lifted. Each step is audited and told to every recipient.
"""

from __future__ import annotations

import uuid
from typing import Final, Literal

from sqlmodel import col, select

from auth.caller import Caller
from core.errors import Conflict, Invalid
from records.models import SignalObjection
from signals import restriction
from signals.custody import held_for
from signals.erasure import erase_held
from wijkdeel.unit import Tx

OBJECTION_REASONS: Final = (
    "particular_situation",  # art. 21(1): grounds relating to the child's situation
    "disputes_necessity",  # the share was not needed for its purpose
    "disputes_recipient",  # not this recipient (the school, say)
    "other",
)
DECISION_REASONS: Final = {
    "upheld": (
        "no_compelling_grounds",  # no grounds that override the child's interests
        "not_necessary",  # the purpose is served without it
        "interests_of_child",
    ),
    "rejected": (
        "compelling_legitimate_grounds",  # art. 21(1): grounds that override the objection
        "safety_of_child",
        "legal_obligation",
        "legal_claims",
    ),
}
Decision = Literal["upheld", "rejected"]


def _latest(tx: Tx, signal_id: str) -> SignalObjection | None:
    return tx.session.scalars(
        select(SignalObjection)
        .where(col(SignalObjection.signal_id) == signal_id)
        .order_by(col(SignalObjection.recorded_at).desc(), col(SignalObjection.id).desc())
    ).first()


def latest_objection(tx: Tx, signal_id: str) -> SignalObjection | None:
    """The signal's newest objection, decided or not (what its sender is shown)."""
    return _latest(tx, signal_id)


def object_to(tx: Tx, caller: Caller, signal_id: str, reason: str | None) -> SignalObjection:
    """Record an objection; the signal is restricted until it is decided."""
    if reason is not None and reason not in OBJECTION_REASONS:
        raise Invalid(
            "not an objection reason word",
            code="invalid_objection",
            invalid_params=[
                {"in": "body", "name": "reason", "code": "enum", "reason": "not a reason word"}
            ],
        )
    signal = held_for(tx, caller, signal_id, administrators=True)
    if restriction.pending_objection(tx, signal.id) is not None:
        raise Conflict("an objection to this signal is already pending", code="objection_pending")
    objection = SignalObjection(
        id=str(uuid.uuid4()),
        signal_id=signal.id,
        reason=reason,
        recorded_by=caller.partner,
        recorded_at=tx.now,
    )
    tx.session.add(objection)
    tx.session.flush()
    if signal.restriction_reason is None:
        told = restriction.put(tx, signal, restriction.OBJECTION_PENDING)
        tx.audit.also(
            action="signal.restrict",
            reason=f"restricted:{restriction.OBJECTION_PENDING};notified:{told}",
        )
    else:
        # Already restricted: its recipients already see nothing; the reason is now this one.
        signal.restriction_reason = restriction.OBJECTION_PENDING
        tx.session.add(signal)
    tx.audit.resource_id = signal.id
    tx.audit.reason = f"objection:{reason or 'none'}"
    return objection


def decide(
    tx: Tx, caller: Caller, signal_id: str, decision: Decision, reason: str
) -> SignalObjection:
    """Decide the pending objection: upheld erases the signal, rejected lifts the restriction."""
    if reason not in DECISION_REASONS[decision]:
        raise Invalid(
            f"not a reason word for an objection {decision}",
            code="invalid_decision",
            invalid_params=[
                {
                    "in": "body",
                    "name": "reason",
                    "code": "enum",
                    "reason": f"one of {', '.join(DECISION_REASONS[decision])}",
                }
            ],
        )
    signal = held_for(tx, caller, signal_id, administrators=True)
    objection = restriction.pending_objection(tx, signal.id)
    if objection is None:
        raise Conflict("no objection to this signal is pending", code="no_objection_pending")
    objection.decision, objection.decision_reason = decision, reason
    objection.decided_by, objection.decided_at = caller.partner, tx.now
    tx.session.add(objection)
    tx.session.flush()
    if decision == "upheld":
        erase_held(tx, signal, "objection")
        tx.audit.also(action="signal.erase", reason="objection")
    else:
        told = restriction.lift(tx, signal)
        tx.audit.also(
            action="signal.restriction_lift",
            reason=f"lifted:{restriction.OBJECTION_PENDING};notified:{told}",
        )
    tx.audit.reason = f"{decision}:{reason}"
    return objection
