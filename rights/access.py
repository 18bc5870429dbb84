"""The access report (AVG art. 15): what wijkdeel holds about one child, as one organisation
may tell the parent - per signal the source, the purpose, the legal grounds, the recipients, the
kinds of data, the data itself where the organisation holds it, how long it is kept, whether the
parent was informed, and who looked at it, allowed or refused.

A partner's report lists exactly the signals it sent or received, under any purpose: a parent's
right of access covers everything the organisation holds, not one purpose at a time. It holds
that partner's own data only - all of what it sent, and of what it received the fields a rule in
force grants it now - and of the access history only its own events, unless it is the sender
(who learns who received its signal anyway). An auditor's or administrator's report lists every
signal about the child and no content: they hold no records of their own to copy.

The BSN is used once, for the blind index; the audit event names the child by its pseudonym.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from sqlalchemy import or_, select
from sqlmodel import Session, col

from audit import queries
from audit.chain import events
from audit.events import AuditDraft
from audit.queries import EventFilter
from policies import Agreement, Party
from policies.grants import fields_granted
from policies.vocabulary import SIGNAL_FIELDS
from records.agreements import to_policy
from records.consents import invalid_bsn
from records.fields import load_data_key
from records.live import is_live
from records.models import AgreementVersion, Partner, Signal, SignalRecipient
from records.pages import DEFAULT_LIMIT, decode_cursor, encode_cursor
from records.policy import LazyConsents, PolicyView, consents_for
from records.subjects import elfproef
from signals.access import sight
from signals.content import open_fields
from wijkdeel.runtime import Runtime

State = Literal["live", "erased", "expired"]
Involvement = Literal["sent", "received"]
ACTION = "subject.access"
# Sealed fields a signal may hold beside its content (signals.content opens them as JSON).
INFORMING, PROFESSIONAL = "informing", "sender_professional"


class ReportTx(Protocol):
    """What the report needs of a unit of work (the API's and the console's both have it)."""

    @property
    def session(self) -> Session: ...
    @property
    def runtime(self) -> Runtime: ...
    @property
    def now(self) -> datetime: ...
    @property
    def audit(self) -> AuditDraft: ...


@dataclass(frozen=True)
class Viewer:
    """Whose report: a partner's (`partner`), or an auditor's or administrator's (None)."""

    partner: str | None


@dataclass(frozen=True)
class Organisation:
    id: str | None  # None: the municipality's own staff, acting in the console
    name: str


@dataclass(frozen=True)
class AgreementRef:
    id: str
    version: int
    title: str | None  # as the agreement names itself


@dataclass(frozen=True)
class Purpose:
    word: str
    description: str | None  # as the agreement describes it


@dataclass(frozen=True)
class LegalBasis:
    legal_basis: str
    agreement: AgreementRef


@dataclass(frozen=True)
class Recipient:
    organisation: Organisation
    legal_basis: str
    agreement: AgreementRef
    data_categories: tuple[str, ...]  # the fields its rule granted


@dataclass(frozen=True)
class Informing:
    """Whether the parent (or the child) was told, as API.md's `informing` says it."""

    status: str
    parties: tuple[str, ...] = ()
    at: datetime | None = None
    method: str | None = None
    reason: str | None = None
    until: date | None = None


@dataclass(frozen=True)
class Access:
    at: datetime
    action: str
    outcome: str
    reason: str | None
    professional: str | None  # the partner's own id of the professional who acted
    person_role: str | None  # the role of a console person who acted


@dataclass(frozen=True)
class AccessHistory:
    organisation: Organisation
    events: tuple[Access, ...]


@dataclass(frozen=True)
class SignalAccess:
    id: str
    created_at: datetime
    category: str
    urgency: str
    state: State
    erased_at: datetime | None
    involvement: Involvement | None  # the requesting partner's part in it (None: auditor)
    sender: Organisation
    sender_professional: dict[str, Any] | None
    purposes: tuple[Purpose, ...]
    legal_bases: tuple[LegalBasis, ...]
    recipients: tuple[Recipient, ...]
    data_categories: tuple[str, ...]
    data: dict[str, Any] | None  # the organisation's own data; None: not its to give
    retention_end: datetime
    informing: Informing
    access_history: tuple[AccessHistory, ...]
    restriction: str | None = None  # why its use is restricted (AVG art. 18), while it is
    revision: int | None = None  # 1 as sent, one more with each correction (AVG art. 16)


@dataclass(frozen=True)
class AccessReport:
    subject_ref: str  # the requesting partner's pseudonym of the child (an auditor: the audit one)
    organisation: Organisation | None  # whose report; None: the municipality's auditors
    generated_at: datetime
    items: list[SignalAccess]
    next_cursor: str | None


def report(
    tx: ReportTx,
    viewer: Viewer,
    bsn: str,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> AccessReport:
    """A page of the report (signals oldest first); audited as `subject.access` with the
    child's audit pseudonym and the number of signals in it."""
    after = decode_cursor(cursor) if cursor is not None else None
    if not elfproef(bsn):
        raise invalid_bsn("bsn")
    runtime, session = tx.runtime, tx.session
    index, audit_ref = runtime.subjects.identify(bsn)
    tx.audit.subject_ref = audit_ref
    query = select(Signal).where(col(Signal.subject_index) == index)
    if viewer.partner is not None:
        received = select(col(SignalRecipient.signal_id)).where(
            col(SignalRecipient.partner_id) == viewer.partner
        )
        query = query.where(or_(col(Signal.sender) == viewer.partner, col(Signal.id).in_(received)))
    if after is not None:
        query = query.where(col(Signal.id) > after)
    rows = list(session.scalars(query.order_by(col(Signal.id)).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    items = _Assembly(tx, viewer, rows, audit_ref).items()
    tx.audit.count = len(items)
    return AccessReport(
        subject_ref=audit_ref
        if viewer.partner is None
        else runtime.subjects.partner_ref(viewer.partner, index),
        organisation=None if viewer.partner is None else _names(session, [viewer.partner])[0],
        generated_at=tx.now,
        items=items,
        next_cursor=encode_cursor(rows[-1].id) if more and rows else None,
    )


def _names(session: Session, ids: Iterable[str]) -> list[Organisation]:
    wanted = sorted(set(ids))
    found = {
        row.id: row for row in session.scalars(select(Partner).where(col(Partner.id).in_(wanted)))
    }
    return [Organisation(i, found[i].name if i in found else i) for i in wanted]


class _Assembly:
    """Everything one page of signals needs, read in a fixed number of statements."""

    def __init__(
        self, tx: ReportTx, viewer: Viewer, signals: Sequence[Signal], audit_ref: str
    ) -> None:
        self.tx, self.viewer, self.signals = tx, viewer, signals
        session = tx.session
        ids = [s.id for s in signals]
        self.recipients: dict[str, list[SignalRecipient]] = defaultdict(list)
        for row in session.scalars(
            select(SignalRecipient)
            .where(col(SignalRecipient.signal_id).in_(ids))
            .order_by(col(SignalRecipient.partner_id))
        ):
            self.recipients[row.signal_id].append(row)
        self.history = self._history(audit_ref, ids) if ids else {}
        involved = {s.sender for s in signals}
        involved |= {r.partner_id for rows in self.recipients.values() for r in rows}
        involved |= {e.partner for rows in self.history.values() for e in rows if e.partner}
        self.partners = {
            row.id: row
            for row in session.scalars(select(Partner).where(col(Partner.id).in_(involved)))
        }
        agreement_ids = {s.agreement_id for s in signals}
        agreement_ids |= {r.agreement_id for rows in self.recipients.values() for r in rows}
        self.agreements: dict[tuple[str, int], Agreement] = {
            (row.agreement_id, row.version): to_policy(row.document, row.version)
            for row in session.scalars(
                select(AgreementVersion).where(
                    col(AgreementVersion.agreement_id).in_(agreement_ids)
                )
            )
        }
        self._consents: LazyConsents | None = None
        self._view: PolicyView | None = None

    def _history(self, audit_ref: str, ids: list[str]) -> dict[str, list[Any]]:
        """The child's events about these signals, in chain order: the subject report's lookup
        (what is committed is sealed first, so the report is complete up to this request)."""
        session = self.tx.session
        queries.seal_recent(session, lock=not self.tx.runtime.db.is_sqlite)
        statement = queries.statement(EventFilter(subject_ref=audit_ref)).where(
            events.c.resource_type == "signal", events.c.resource_id.in_(ids)
        )
        found: dict[str, list[Any]] = defaultdict(list)
        for row in session.execute(statement):
            found[row.resource_id].append(row)
        return found

    def organisation(self, partner: str | None, role: str | None = None) -> Organisation:
        if partner is None:
            return Organisation(None, "Gemeente" if role in ("admin", "auditor") else "Onbekend")
        row = self.partners.get(partner)
        return Organisation(partner, row.name if row else partner)

    def party(self, partner: str) -> Party:
        row = self.partners.get(partner)
        return Party(partner, row.kind if row else "other", active=bool(row))

    def items(self) -> list[SignalAccess]:
        return [self.item(signal) for signal in self.signals]

    def item(self, signal: Signal) -> SignalAccess:
        viewer, now = self.viewer.partner, self.tx.now
        recipients = self.recipients[signal.id]
        involvement: Involvement | None = None
        if viewer is not None:
            involvement = "sent" if signal.sender == viewer else "received"
        shown = [r for r in recipients if involvement != "received" or r.partner_id == viewer]
        granted = {r.partner_id: self.granted(signal, r) for r in recipients}
        state: State = (
            "erased"
            if signal.erased_at is not None
            else "live"
            if is_live(signal.erased_at, signal.expires_at, now)
            else "expired"
        )
        held = _stored(signal) if state != "erased" else _union(granted.values())
        if involvement == "received" and viewer is not None:
            categories = tuple(f for f in held if f in granted.get(viewer, ()))
        else:
            categories = held
        agreement = self.agreements.get((signal.agreement_id, signal.agreement_version))
        description = agreement.purposes.get(signal.purpose) if agreement else None
        bases = dict.fromkeys(
            LegalBasis(r.legal_basis, self.agreement_ref(r.agreement_id, r.agreement_version))
            for r in shown
        )
        data, professional, informing = self.own_data(signal, involvement, state)
        return SignalAccess(
            id=signal.id,
            created_at=signal.created_at,
            category=signal.category,
            urgency=signal.urgency,
            state=state,
            erased_at=signal.erased_at,
            involvement=involvement,
            sender=self.organisation(signal.sender),
            sender_professional=professional,
            purposes=(Purpose(signal.purpose, description),),
            legal_bases=tuple(bases),
            recipients=tuple(
                Recipient(
                    self.organisation(r.partner_id),
                    r.legal_basis,
                    self.agreement_ref(r.agreement_id, r.agreement_version),
                    granted[r.partner_id],
                )
                for r in shown
            ),
            data_categories=categories,
            data=data,
            retention_end=signal.expires_at,
            informing=_informing(signal, informing),
            access_history=self.accesses(signal, involvement),
            # Signals record restriction and correction from the second release on.
            restriction=signal.restriction_reason,
            revision=signal.revision,
        )

    def agreement_ref(self, agreement_id: str, version: int) -> AgreementRef:
        agreement = self.agreements.get((agreement_id, version))
        return AgreementRef(agreement_id, version, agreement.title if agreement else None)

    def granted(self, signal: Signal, recipient: SignalRecipient) -> tuple[str, ...]:
        agreement = self.agreements.get((recipient.agreement_id, recipient.agreement_version))
        if agreement is None:
            return ()
        return fields_granted(
            agreement,
            sender=self.party(signal.sender),
            recipient=self.party(recipient.partner_id),
            purpose=signal.purpose,
            category=signal.category,
        )

    def own_data(
        self, signal: Signal, involvement: Involvement | None, state: State
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
        """What this partner may see now, decrypted only then: the content fields - all it
        sent; of what it received, what a rule in force grants it under the signal's own
        purpose - the sending professional where it may know them, and the informing record.
        (None, None, None) for an auditor, who holds no records of its own."""
        partner = self.viewer.partner
        if partner is None:
            return None, None, None
        if state != "live" or signal.data_key_id is None:
            return {}, None, None
        tx = self.tx
        if self._view is None:
            self._view = tx.runtime.policy.view(tx.session)
        seen = sight(
            signal,
            frozenset(r.partner_id for r in self.recipients[signal.id]),
            partner=partner,
            purpose=signal.purpose,
            view=self._view,
            consents=self.consents(signal.subject_index),
            now=tx.now,
        )
        if not seen.allowed:
            return {}, None, None
        key = load_data_key(tx.session, tx.runtime.keyrings, signal.data_key_id)
        if key is None:
            return {}, None, None
        # Sealed beside the content on signals that record them (API.md "Professionals" and
        # "Informing"): informing for whoever may read the signal, the sending professional
        # for the sender and a recipient whose rule grants `contact`.
        extra = [name for name in (INFORMING, PROFESSIONAL) if getattr(signal, name)]
        if involvement != "sent" and "contact" not in seen.fields and PROFESSIONAL in extra:
            extra.remove(PROFESSIONAL)
        opened = open_fields(signal, key, seen.fields + tuple(extra))
        professional, informing = opened.pop(PROFESSIONAL, None), opened.pop(INFORMING, None)
        return (
            opened,
            professional if isinstance(professional, dict) else None,
            informing if isinstance(informing, dict) else None,
        )

    def consents(self, subject_index: str) -> LazyConsents:
        if self._consents is None:
            session = self.tx.session
            self._consents = LazyConsents(lambda: consents_for(session, subject_index))
        return self._consents

    def accesses(
        self, signal: Signal, involvement: Involvement | None
    ) -> tuple[AccessHistory, ...]:
        """Per organisation, what it did with the signal and when, allowed or refused; a
        recipient's report shows its own organisation's only."""
        grouped: dict[tuple[str | None, str | None], list[Access]] = defaultdict(list)
        for event in self.history.get(signal.id, []):
            if involvement == "received" and event.partner != self.viewer.partner:
                continue
            person_role = event.role if event.actor_person is not None else None
            grouped[(event.partner, person_role)].append(
                Access(
                    at=event.at,
                    action=event.action,
                    outcome=event.outcome,
                    reason=event.reason,
                    professional=event.actor_professional,
                    person_role=person_role,
                )
            )

        def order(key: tuple[str | None, str | None]) -> tuple[bool, str]:
            partner = key[0]
            return (partner != signal.sender, self.organisation(partner, key[1]).name)

        return tuple(
            AccessHistory(self.organisation(partner, role), tuple(grouped[(partner, role)]))
            for partner, role in sorted(grouped, key=order)
        )


def _stored(signal: Signal) -> tuple[str, ...]:
    return tuple(name for name in SIGNAL_FIELDS if getattr(signal, name) is not None)


def _union(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    every = {name for group in groups for name in group}
    return tuple(name for name in SIGNAL_FIELDS if name in every)


def _informing(signal: Signal, recorded: dict[str, Any] | None) -> Informing:
    """Whether the family was informed (API.md "Informing"): the state the signal keeps in
    clear, with what the sealed record adds where the reader may open it."""
    document = recorded or {}
    at, until = document.get("at"), document.get("until")
    return Informing(
        status=signal.informing_status,
        parties=tuple(document.get("parties") or ()),
        at=datetime.fromisoformat(at) if isinstance(at, str) else None,
        method=document.get("method"),
        reason=document.get("reason"),
        until=date.fromisoformat(until) if isinstance(until, str) else None,
    )
