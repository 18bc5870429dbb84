"""The live signals about one child that one partner may see now.

This runs on every read of a signal (for `relatedSignals`) and every send (for matches), so it
reads through the hot path (records.hotpath): metadata only, never cipher texts.
"""

from __future__ import annotations

from collections.abc import Sequence

from records.hotpath import Live, LiveSignal, live_about
from signals.access import partners_of, sight
from wijkdeel.unit import Tx


def live_signals_about(tx: Tx, subject_index: str) -> list[Live]:
    """Every live signal about the child with its recipients of record, oldest first."""
    return live_about(tx.raw, subject_index, tx.now)


def linked_for(tx: Tx, partner: str, purpose: str | None, live: Sequence[Live]) -> list[LiveSignal]:
    """Of `live`, those `partner` (holding a token for `purpose`) may see now *and* know the
    child of: its own, and those a rule in force still grants it with `subject` under the
    token's purpose. Only these may be linked to one another (relatedSignals, matches); a
    signal seen without its subject, or restricted, links to nothing."""
    if not live:
        return []
    consents = tx.consents(live[0][0].subject_index)
    # A restricted signal links to nothing, not even for its sender: matching is processing.
    return [
        signal
        for signal, recipients in live
        if signal.restriction_reason is None
        and sight(
            signal,
            partners_of(recipients),
            partner=partner,
            purpose=purpose,
            view=tx.view,
            consents=consents,
            now=tx.now,
        ).links
    ]
