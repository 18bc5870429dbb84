"""Reading signals: one with the fields the current decision grants, or a page of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlmodel import col

from auth.caller import Caller
from core.errors import Forbidden, Gone, NotFound
from records.fields import unwrap
from records.hotpath import LiveSignal, RecipientRow, SignalRow, signal_and_live
from records.live import live_condition
from records.models import Signal, SignalRecipient
from records.pages import decode_cursor, encode_cursor
from records.policy import LazyConsents
from signals.access import RecipientFacts, Sight, SignalFacts, live, partners_of, sight
from signals.content import open_fields
from signals.related import linked_for
from signals.sharing import recipients_of
from wijkdeel.unit import Tx

# The handling ladder: a recipient's status only moves forward along it.
ORDER = ("open", "acknowledged", "in_progress", "closed")
MAX_ID_LENGTH = 36


@dataclass(frozen=True)
class Readout:
    signal: SignalRow
    recipients: list[RecipientRow]
    sight: Sight
    content: dict[str, Any]
    related: list[LiveSignal]


def _admit(
    tx: Tx, caller: Caller, signal: SignalFacts, recipients: Sequence[RecipientFacts]
) -> Sight:
    """What this caller may see of the signal now: 404 for those who were never sender nor
    recipient, 410 once it is erased (or past retention), 403 with reasons when access ended."""
    seen = sight(
        signal,
        partners_of(recipients),
        partner=caller.partner,
        purpose=caller.purpose,
        view=tx.view,
        consents=tx.consents(signal.subject_index),
        now=tx.now,
    )
    audit = tx.audit
    # An outsider's attempt names the child too, so a subject report shows it.
    audit.subject_ref = signal.subject_ref
    if seen.role == "none":
        raise NotFound("no signal with this id", code="signal_not_found")
    if not live(signal, tx.now):
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
        if seen.granted:
            raise Forbidden(
                "this signal is restricted: it may not be read until the restriction is lifted",
                code="signal_restricted",
                reasons=seen.reasons,
            )
        raise Forbidden(
            "access to this signal has ended", code="access_ended", reasons=seen.reasons
        )
    return seen


def load_for(tx: Tx, caller: Caller, signal_id: str) -> tuple[Signal, list[SignalRecipient], Sight]:
    """A signal (as ORM objects, to change it) as this caller may see it now."""
    signal = tx.session.get(Signal, signal_id) if len(signal_id) <= MAX_ID_LENGTH else None
    if signal is None:
        raise NotFound("no signal with this id", code="signal_not_found")
    recipients = recipients_of(tx.session, signal.id)
    return signal, recipients, _admit(tx, caller, signal, recipients)


def read(tx: Tx, caller: Caller, signal_id: str) -> Readout:
    """One signal with exactly the fields the decision grants, decrypted only then.

    One statement: the signal with its wrapped data key and the live signals about the child
    with their recipients (which gives this signal's recipients and the related signals at
    once); a second only for a signal that is no longer live, for its recipients of record.
    """
    row, about = (
        signal_and_live(tx.raw, signal_id, tx.now)
        if len(signal_id) <= MAX_ID_LENGTH
        else (None, [])
    )
    if row is None:
        raise NotFound("no signal with this id", code="signal_not_found")
    recipients = next((r for signal, r in about if signal.id == row.id), None)
    if recipients is None:
        recipients = [_recipient_row(r) for r in recipients_of(tx.session, row.id)]
    seen = _admit(tx, caller, row, recipients)
    content: dict[str, Any] = {}
    if row.wrapped is not None and row.data_key_id is not None and row.wrap_version is not None:
        key = unwrap(tx.runtime.keyrings, row.data_key_id, row.wrap_version, row.wrapped)
        # Informing goes to whoever may read the signal; the sending professional as `Sight`
        # says.
        extra = ("sender_professional", "informing") if seen.professional else ("informing",)
        content = open_fields(row, key, seen.fields + extra)
    related = (
        [s for s in linked_for(tx, caller.partner, caller.purpose, about) if s.id != row.id]
        if seen.links
        else []
    )
    return Readout(row, recipients, seen, content, related)


def _recipient_row(row: SignalRecipient) -> RecipientRow:
    return RecipientRow(
        row.partner_id,
        row.status,
        row.legal_basis,
        row.agreement_id,
        row.agreement_version,
        row.updated_at,
    )


def status_for(signal: SignalFacts, recipients: Sequence[RecipientFacts], partner: str) -> str:
    """A recipient sees its own handling status; the sender the least advanced of them all."""
    for recipient in recipients:
        if recipient.partner_id == partner:
            return recipient.status
    return signal.status


@dataclass(frozen=True)
class Listing:
    items: list[tuple[Signal, list[SignalRecipient], Sight]]
    next_cursor: str | None


def listing(
    tx: Tx,
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
        .where(or_(own, shared), live_condition(tx.now))
    )
    if category is not None:
        query = query.where(col(Signal.category) == category)
    if since is not None:
        query = query.where(col(Signal.created_at) >= since)
    if cursor is not None:
        query = query.where(col(Signal.id) < str(decode_cursor(cursor)))
    rows = list(tx.session.scalars(query.order_by(col(Signal.id).desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    recipients: dict[str, list[SignalRecipient]] = defaultdict(list)
    if rows:
        for row in tx.session.scalars(
            select(SignalRecipient).where(col(SignalRecipient.signal_id).in_([s.id for s in rows]))
        ):
            recipients[row.signal_id].append(row)
    consents: dict[str, LazyConsents] = {}
    items = []
    for signal in rows:
        consent_list = consents.setdefault(signal.subject_index, tx.consents(signal.subject_index))
        seen = sight(
            signal,
            partners_of(recipients[signal.id]),
            partner=partner,
            purpose=caller.purpose,
            view=tx.view,
            consents=consent_list,
            now=tx.now,
        )
        # A restricted signal stays in the list (without content, as every list is) for a
        # recipient a rule still grants it to: it knows it has it, and that it may not use it.
        if seen.granted:
            items.append((signal, recipients[signal.id], seen))
            # Each child whose signal is shown leaves its own event, so a subject report
            # finds every time the child's signal appeared in a list.
            tx.audit.also(
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
    tx.audit.reason = f"items:{len(items)}"
    return Listing(items, next_cursor)
