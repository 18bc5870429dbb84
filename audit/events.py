"""Recording what happened: one event per request, unchained until the sealer takes it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session

from policies.register import activity_id
from records.bulk import insert_rows
from records.models import AuditEvent

EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]
# Every string column's length: what a request learnt about itself is cut to fit here, so one
# over-long value can never fail the commit of an event (or of the other events batched with it).
_LENGTHS = {
    column.name: column.type.length
    for column in EVENTS.columns
    if getattr(column.type, "length", None)
}

Outcome = Literal["allow", "deny", "error"]


@dataclass
class AuditDraft:
    """What a request has learnt about itself so far; it becomes one event at the end."""

    action: str
    at: datetime
    request_id: str | None = None
    ip: str | None = None
    client_id: str | None = None
    partner: str | None = None
    role: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    subject_ref: str | None = None
    purpose: str | None = None
    legal_basis: str | None = None
    agreement_id: str | None = None
    agreement_version: int | None = None
    reason: str | None = None
    count: int | None = None
    actor_person: str | None = None
    actor_professional: str | None = None
    processing_activity_id: str | None = None
    extra: list[AuditDraft] = field(default_factory=list)
    settled: bool = field(default=False, compare=False)  # its event is written (or counted)

    @property
    def anonymous(self) -> bool:
        """Nobody can be named for the request: no verified client, person or system."""
        return self.client_id is None and self.actor_person is None and self.role is None

    def who(self, *, client_id: str, partner: str, role: str, purpose: str | None) -> None:
        self.client_id, self.partner, self.role = client_id, partner, role
        self.purpose = purpose

    def basis(
        self, *, legal_basis: str | None, agreement_id: str | None, version: int | None
    ) -> None:
        self.legal_basis, self.agreement_id, self.agreement_version = (
            legal_basis,
            agreement_id,
            version,
        )
        # The request acts under this agreement's purpose: the processing activity of the
        # register (policies.register) it falls under.
        self.processing_activity_id = (
            activity_id(agreement_id, self.purpose) if agreement_id and self.purpose else None
        )

    def also(self, **changes: Any) -> None:
        """Another event this request leaves (one per recipient, per listed signal): same
        caller, moment and request id, its own resource and subject."""
        self.extra.append(replace(self, extra=[], **changes))

    def to_row(self, outcome: Outcome, reason: str | None = None) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "at": self.at,
            "client_id": self.client_id,
            "partner": self.partner,
            "role": self.role,
            "action": self.action,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "subject_ref": self.subject_ref,
            "purpose": self.purpose,
            "legal_basis": self.legal_basis,
            "agreement_id": self.agreement_id,
            "agreement_version": self.agreement_version,
            "outcome": outcome,
            "reason": reason or self.reason or None,
            "request_id": self.request_id,
            "ip": self.ip,
            "count": self.count,
            "actor_person": self.actor_person,
            "actor_professional": self.actor_professional,
            "processing_activity_id": self.processing_activity_id,
        }

    def bounded_row(self, outcome: Outcome, reason: str | None = None) -> dict[str, Any]:
        row = self.to_row(outcome, reason)
        for name, length in _LENGTHS.items():
            value = row.get(name)
            if isinstance(value, str) and len(value) > length:
                row[name] = value[:length]
        return row

    def rows(self, outcome: Outcome, reason: str | None = None) -> list[dict[str, Any]]:
        """The request's event; an allowed request also the events it made along the way, a
        refused one not (what it made was rolled back)."""
        main = self.bounded_row(outcome, reason)
        if outcome != "allow":
            return [main]
        return [main, *(extra.bounded_row("allow") for extra in self.extra)]


def record(
    session: Session, draft: AuditDraft, outcome: Outcome, reason: str | None = None
) -> None:
    """Add the request's events to the caller's transaction."""
    insert_rows(session, EVENTS, draft.rows(outcome, reason))


def system_event(
    session: Session,
    action: str,
    resource_type: str,
    resource_id: str,
    now: datetime,
    *,
    reason: str | None = None,
) -> None:
    """The event of a change the service makes by itself (first keys, a receiver's 410), in the
    transaction of that change."""
    draft = AuditDraft(
        action=action,
        at=now,
        role="system",
        resource_type=resource_type,
        resource_id=resource_id,
        reason=reason,
    )
    record(session, draft, "allow")
