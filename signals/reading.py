"""Reading signals: one with the fields the current decision grants, or a page of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, or_, select
from sqlmodel import col

from auth.caller import Caller
from core.errors import Forbidden, Gone, NotFound
from records.fields import unwrap
from records.hotpath import signal_and_live
from records.models import Signal, SignalRecipient
from records.pages import decode_cursor, encode_cursor
from signals.content import open_fields
from signals.sharing import recipients_of
from signals.visibility import LazyConsents, Sight, caller_sight, sight
from signals.visible import visible_to
from signals.work import Work

ORDER = ("open", "acknowledged", "in_progress", "closed")


@dataclass(frozen=True)
class Readout:
    signal: Any  # the signal's row
    recipients: list[Any]
    sight: Sight
    content: dict[str, Any]
    related: list[Any]


def is_gone(signal: Any, now: datetime) -> bool:
    """Erased, or past its retention (the sweeper erases it soon; nobody reads it meanwhile)."""
    return signal.erased_at is not None or signal.expires_at <= now


def _admit(work: Work, caller: Caller, signal: Any, recipients: Sequence[Any]) -> Sight:
    """What this caller may see of the signal now: 404 for those who were never sender nor
    recipient, 410 once it is erased, 403 with reasons when access has ended."""
    names = {r.partner_id for r in recipients}
    seen = caller_sight(
        signal, names, caller, work.view, work.consents(signal.subject_index), work.now
    )
    audit = work.audit
    # An outsider's attempt names the child too, so a subject report shows it.
    audit.subject_ref = signal.subject_ref
    if seen.role == "none":
        raise NotFound("no signal with this id", code="signal_not_found")
    if is_gone(signal, work.now):
        raise Gone("this signal has been erased", code="signal_erased")
    if seen.decision is not None:
        decision = seen.decision
        audit.basis(
            legal_basis=decision.legal_basis,
            agreement_id=decision.agreement_id,
            version=decision.agreement_version,
        )
    else:
        audit.basis(
            legal_basis=None, agreement_id=signal.agreement_id, version=signal.agreement_version
        )
        audit.reason = "own_signal"
    if not seen.allowed:
        raise Forbidden(
            "access to this signal has ended", code="access_ended", reasons=seen.reasons
        )
    return seen


def load_for(
    work: Work, caller: Caller, signal_id: str
) -> tuple[Signal, list[SignalRecipient], Sight]:
    """A signal (as ORM objects, to change it) as this caller may see it now."""
    signal = work.session.get(Signal, signal_id) if len(signal_id) <= 36 else None
    if signal is None:
        raise NotFound("no signal with this id", code="signal_not_found")
    recipients = recipients_of(work.session, signal.id)
    return signal, recipients, _admit(work, caller, signal, recipients)


def read(work: Work, caller: Caller, signal_id: str) -> Readout:
    """One signal with exactly the fields the decision grants, decrypted only then.

    One statement: the signal with its wrapped data key and the live signals about the child
    with their recipients (which gives this signal's recipients and the related signals at
    once); a second only for an erased or expired signal, for its recipients of record.
    """
    row, live = (
        signal_and_live(work.raw, signal_id, work.now) if len(signal_id) <= 36 else (None, [])
    )
    if row is None:
        raise NotFound("no signal with this id", code="signal_not_found")
    recipients: Sequence[Any] | None = next((r for signal, r in live if signal.id == row.id), None)
    if recipients is None:
        recipients = recipients_of(work.session, row.id)
    seen = _admit(work, caller, row, recipients)
    content: dict[str, Any] = {}
    if row.wrapped is not None and row.data_key_id is not None:
        # `wrapped` and `wrap_version` come from the same data_keys row (NOT NULL there).
        version = cast(int, row.wrap_version)
        key = unwrap(work.runtime.keyrings, row.data_key_id, version, row.wrapped)
        content = open_fields(row, key, seen.fields)
    related = [s for s in visible_to(work, caller.partner, caller.purpose, live) if s.id != row.id]
    return Readout(row, list(recipients), seen, content, related)


def status_for(signal: Any, recipients: Sequence[Any], partner: str) -> str:
    """A recipient sees its own handling status; the sender the least advanced of them all."""
    for recipient in recipients:
        if recipient.partner_id == partner:
            return recipient.status
    return signal.status


@dataclass(frozen=True)
class Listing:
    items: list[tuple[Signal, list[SignalRecipient]]]
    next_cursor: str | None


def listing(
    work: Work,
    caller: Caller,
    *,
    status: str | None,
    category: str | None,
    since: datetime | None,
    cursor: str | None,
    limit: int,
) -> Listing:
    """The caller's own signals and those shared with it under its token's purpose, newest
    first; each shared one only while a rule in force still grants it."""
    partner = caller.partner
    mine = SignalRecipient
    own = col(Signal.sender) == partner
    shared = and_(col(mine.partner_id).is_not(None), col(Signal.purpose) == caller.purpose)
    if status is not None:
        own = and_(own, col(Signal.status) == status)
        shared = and_(shared, col(mine.status) == status)
    query = (
        select(Signal)
        .outerjoin(mine, and_(col(mine.signal_id) == Signal.id, col(mine.partner_id) == partner))
        .where(or_(own, shared), col(Signal.erased_at).is_(None), col(Signal.expires_at) > work.now)
    )
    if category is not None:
        query = query.where(col(Signal.category) == category)
    if since is not None:
        query = query.where(col(Signal.created_at) >= since)
    if cursor is not None:
        query = query.where(col(Signal.id) < str(decode_cursor(cursor)))
    rows = list(work.session.scalars(query.order_by(col(Signal.id).desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    recipients: dict[str, list[SignalRecipient]] = defaultdict(list)
    if rows:
        for row in work.session.scalars(
            select(SignalRecipient).where(col(SignalRecipient.signal_id).in_([s.id for s in rows]))
        ):
            recipients[row.signal_id].append(row)
    consents: dict[str, LazyConsents] = {}
    items = []
    for signal in rows:
        consent_list = consents.setdefault(
            signal.subject_index, work.consents(signal.subject_index)
        )
        seen = sight(
            signal,
            recipients[signal.id],
            partner=partner,
            purpose=caller.purpose,
            view=work.view,
            consents=consent_list,
            now=work.now,
        )
        if seen.allowed:
            items.append((signal, recipients[signal.id]))
            # Each child whose signal is shown leaves its own event, so a subject report
            # finds every time the child's signal appeared in a list.
            work.audit.also(
                action="signal.list",
                resource_type="signal",
                resource_id=signal.id,
                subject_ref=signal.subject_ref,
                legal_basis=None,
                agreement_id=None,
                agreement_version=None,
                reason=None,
            )
    next_cursor = encode_cursor(rows[-1].id) if more and rows else None
    work.audit.reason = f"items:{len(items)}"
    return Listing(items, next_cursor)


__all__ = ["ORDER", "Listing", "Readout", "is_gone", "listing", "load_for", "read", "status_for"]
