"""Sending a signal: to every lawful recipient, or to the named ones if all of them are lawful."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, select

from audit.events import AuditDraft
from auth.caller import Caller
from core.errors import Forbidden, Invalid
from notifications import events
from policies import Decision
from policies.register import activity_id
from policies.vocabulary import NO_AGREEMENT, REASONS
from records import professionals
from records.bulk import insert_all
from records.fields import new_data_key
from records.ids import time_ordered_id
from records.models import Signal, SignalRecipient
from records.subjects import elfproef
from signals.content import Content
from signals.coordination import assign_by_rule
from signals.informing import PENDING, Informing
from signals.informing import apply as apply_informing
from signals.matches import record_matches
from wijkdeel.unit import Tx


@dataclass(frozen=True)
class NewSignal:
    bsn: str
    birth_date: date | None
    content: Content
    category: str
    urgency: str
    recipients: list[str] | None
    informing: Informing = PENDING


@dataclass(frozen=True)
class Shared:
    signal: Signal
    recipients: list[SignalRecipient]
    decisions: dict[str, Decision]
    new_matches: list[tuple[str, str]]  # (partner, match id)


def _ordered(reasons: set[str]) -> list[str]:
    return sorted(reasons, key=REASONS.index)


def _closest_misses(decisions: Iterable[Decision]) -> list[str]:
    """Why the nearest misses missed: the reasons of the denials that got furthest through the
    checks (a missing consent says more than a partner with no agreement at all)."""
    depth = {d: max(REASONS.index(r) for r in d.reasons) for d in decisions if d.reasons}
    if not depth:
        return [NO_AGREEMENT]
    deepest = max(depth.values())
    return _ordered({r for d, level in depth.items() if level == deepest for r in d.reasons})


def share(tx: Tx, caller: Caller, new: NewSignal) -> Shared:
    if not elfproef(new.bsn):
        raise Invalid(
            "the BSN does not pass the elfproef",
            code="invalid_bsn",
            invalid_params=[
                {
                    "in": "body",
                    "name": "subject.bsn",
                    "code": "elfproef",
                    "reason": "not a valid BSN",
                }
            ],
        )
    purpose = caller.purpose or ""
    subjects = tx.runtime.subjects
    index, subject_ref = subjects.identify(new.bsn)
    subject_tag = subjects.birth_tag(index, new.birth_date)
    audit = tx.audit
    audit.subject_ref, audit.purpose = subject_ref, purpose
    view, consents = tx.view, tx.consents(index)

    def decide(recipient: str) -> Decision:
        if recipient not in view.partners:
            return Decision.deny((NO_AGREEMENT,))
        return view.decide(
            sender=caller.partner,
            recipient=recipient,
            purpose=purpose,
            category=new.category,
            consents=consents,
            now=tx.now,
            subject_tag=subject_tag,
            professional=caller.professional is not None,
        )

    named = list(dict.fromkeys(new.recipients)) if new.recipients else None
    candidates = named or sorted(p for p in view.partners if p != caller.partner)
    decisions = {partner: decide(partner) for partner in candidates}
    allowed = {p: d for p, d in decisions.items() if d.allow}
    if named and len(allowed) < len(named):
        refused = {reason for d in decisions.values() if not d.allow for reason in d.reasons}
        raise Forbidden(
            "a named recipient may not lawfully receive this signal",
            code="recipient_not_allowed",
            reasons=_ordered(refused),
        )
    if not allowed:
        raise Forbidden(
            "no partner may lawfully receive this signal",
            code="no_lawful_recipient",
            reasons=_closest_misses(decisions.values()),
        )

    now = tx.now
    first = allowed[min(allowed)]
    retention = min(d.retention_days or 1 for d in allowed.values())
    signal = Signal(
        id=time_ordered_id(now),
        sender=caller.partner,
        sender_client=caller.client_id,
        purpose=purpose,
        category=new.category,
        urgency=new.urgency,
        status="open",
        subject_index=index,
        subject_ref=subject_ref,
        subject_tag=subject_tag,
        agreement_id=first.agreement_id or "",
        agreement_version=first.agreement_version or 0,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(days=retention),
    )
    content = new.content
    if caller.professional is not None:
        signal.sender_professional_id = caller.professional
        content = replace(content, sender_professional=_professional(tx, caller))
    key = new_data_key(tx.session, tx.runtime.keyrings.get(), now)
    content.seal_into(signal, key)
    apply_informing(tx, signal, key, new.informing, new.birth_date)
    insert_all(tx.session, [signal])
    recipients = [
        SignalRecipient(
            signal_id=signal.id,
            partner_id=partner,
            legal_basis=d.legal_basis or "",
            agreement_id=d.agreement_id or "",
            agreement_version=d.agreement_version or 0,
            status="open",
            updated_at=now,
        )
        for partner, d in sorted(allowed.items())
    ]
    insert_all(tx.session, recipients)
    audit.resource_id = signal.id
    audit.basis(
        legal_basis=first.legal_basis,
        agreement_id=first.agreement_id,
        version=first.agreement_version,
    )
    _share_events(audit, signal, allowed)
    events.signal_created(
        tx.session,
        signal,
        [r.partner_id for r in recipients],
        now=now,
        max_attempts=tx.runtime.max_attempts,
    )
    new_matches = record_matches(tx, signal, [r.partner_id for r in recipients])
    assign_by_rule(tx, signal.subject_index)
    return Shared(signal, recipients, allowed, new_matches)


def _professional(tx: Tx, caller: Caller) -> dict[str, Any]:
    """The sending professional's details as their latest actor token gave them (a copy: the
    signal keeps what was true when it was sent)."""
    assert caller.professional is not None
    details = professionals.details_of(
        tx.session, tx.runtime.keyrings, caller.partner, caller.professional
    )
    if details is None:
        raise Forbidden(
            "the professional this token acts for is no longer known; get a new token",
            code="professional_unknown",
        )
    return details


def _share_events(audit: AuditDraft, signal: Signal, allowed: dict[str, Decision]) -> None:
    """One event per recipient: the agreement version and legal basis it received it under."""
    for partner, decision in sorted(allowed.items()):
        audit.also(
            action="signal.share",
            resource_type="signal",
            resource_id=signal.id,
            subject_ref=signal.subject_ref,
            purpose=signal.purpose,
            legal_basis=decision.legal_basis,
            agreement_id=decision.agreement_id,
            agreement_version=decision.agreement_version,
            processing_activity_id=activity_id(decision.agreement_id, signal.purpose)
            if decision.agreement_id
            else None,
            reason=f"recipient:{partner}",
        )


def recipients_of(session: Session, signal_id: str) -> list[SignalRecipient]:
    return list(session.exec(select(SignalRecipient).where(SignalRecipient.signal_id == signal_id)))
