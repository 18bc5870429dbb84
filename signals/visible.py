"""The live signals about one child that one partner may see now.

This runs on every read of a signal (for `relatedSignals`) and every send (for matches), so it
reads through the hot path (records.hotpath): metadata only, never cipher texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from records.hotpath import live_about
from signals.visibility import sight
from signals.work import Work

Live = tuple[Any, list[Any]]  # a signal's metadata and its recipient rows


def live_signals_about(work: Work, subject_index: str) -> list[Live]:
    """Every signal about the child that is neither erased nor past its retention, with its
    recipients of record, oldest first (metadata only, never content)."""
    return live_about(work.raw, subject_index, work.now)


def visible_to(work: Work, partner: str, purpose: str | None, live: Sequence[Live]) -> list[Any]:
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
            {r.partner_id for r in recipients},
            partner=partner,
            purpose=purpose,
            view=work.view,
            consents=consents,
            now=work.now,
        ).allowed
    ]
