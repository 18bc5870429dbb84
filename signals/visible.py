"""The live signals about one child that one partner may see now."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select

from records.models import Signal, SignalRecipient
from signals.visibility import sight
from signals.work import Work


def live_signals_about(work: Work, subject_index: str) -> list[tuple[Signal, set[str]]]:
    """Every signal about the child that is neither erased nor past its retention, with its
    recipients of record, oldest first."""
    rows = work.session.execute(
        select(Signal, SignalRecipient.partner_id)
        .outerjoin(SignalRecipient, SignalRecipient.signal_id == Signal.id)  # type: ignore[arg-type]
        .where(
            Signal.subject_index == subject_index,
            Signal.erased_at.is_(None),  # type: ignore[union-attr]
            Signal.expires_at > work.now,  # type: ignore[arg-type]
        )
        .order_by(Signal.id)
    ).all()
    signals: dict[str, Signal] = {}
    recipients: dict[str, set[str]] = defaultdict(set)
    for signal, partner in rows:
        signals[signal.id] = signal
        if partner is not None:
            recipients[signal.id].add(partner)
    return [(signal, recipients[signal.id]) for signal in signals.values()]


def visible_to(
    work: Work,
    partner: str,
    purpose: str | None,
    live: Sequence[tuple[Signal, set[str]]],
) -> list[Signal]:
    """Of `live`, those `partner` (holding a token for `purpose`) may see now. A sender sees
    its own; a recipient those a rule in force still grants under the token's purpose."""
    if not live:
        return []
    consents = work.consents(live[0][0].subject_index)
    return [
        signal
        for signal, recipients in live
        if sight(
            signal,
            recipients,
            partner=partner,
            purpose=purpose,
            view=work.view,
            consents=consents,
            now=work.now,
        ).allowed
    ]
