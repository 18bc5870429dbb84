"""The sender records informing the family on a signal it sent (`PATCH /v1/signals/{id}`)."""

from __future__ import annotations

from datetime import date

import orjson

from auth.caller import Caller
from core.errors import Conflict, Forbidden
from records.fields import load_data_key
from records.models import Signal, SignalRecipient
from signals.access import Sight
from signals.informing import Informing, apply
from signals.reading import load_for
from wijkdeel.unit import Tx


def record_later(
    tx: Tx, caller: Caller, signal_id: str, informing: Informing
) -> tuple[Signal, list[SignalRecipient], Sight]:
    """PATCH by the sender: record informing on a signal it sent."""
    signal, recipients, seen = load_for(tx, caller, signal_id)
    if seen.role != "sender":
        raise Forbidden("only the sender records informing", code="not_the_sender")
    if signal.informing_status == "informed" and informing.status != "informed":
        raise Conflict(
            "the family has been informed; that cannot be undone", code="informing_backwards"
        )
    key = load_data_key(tx.session, tx.runtime.keyrings, signal.data_key_id or "")
    if key is None:  # a live signal always has its key
        raise Conflict("this signal's content is gone", code="signal_erased")
    subject = orjson.loads(key.open(signal.id, "subject", signal.subject)) if signal.subject else {}
    birth = subject.get("birthDate")
    apply(tx, signal, key, informing, date.fromisoformat(birth) if birth else None)
    tx.audit.reason = f"informing:{informing.status}"
    signal.updated_at = tx.now
    tx.session.add(signal)
    tx.session.flush()
    return signal, recipients, seen
