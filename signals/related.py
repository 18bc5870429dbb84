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


def visible_to(tx: Tx, partner: str, purpose: str | None, live: Sequence[Live]) -> list[LiveSignal]:
    """Of `live`, those `partner` (holding a token for `purpose`) may see now. A sender sees
    its own; a recipient those a rule in force still grants under the token's purpose."""
    if not live:
        return []
    consents = tx.consents(live[0][0].subject_index)
    return [
        signal
        for signal, recipients in live
        if sight(
            signal,
            partners_of(recipients),
            partner=partner,
            purpose=purpose,
            view=tx.view,
            consents=consents,
            now=tx.now,
        ).allowed
    ]
