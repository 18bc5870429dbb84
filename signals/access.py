"""Who may see a signal now: decided at read time against the agreements and consents in force.

The rows decided about come from the ORM (records.models.Signal) or from the hot path's fixed
SQL (records.hotpath); both satisfy the Protocols below, so the one decision holds for both.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from policies import Consent, Decision
from policies.vocabulary import PURPOSE_MISMATCH
from records.live import is_live
from records.policy import PolicyView

CONTENT_FIELDS = ("subject", "summary", "details", "contact")
RESTRICTED = "restricted"
Role = Literal["sender", "recipient", "none"]


class SignalFacts(Protocol):
    """What access decisions read of a signal (never its content)."""

    @property
    def id(self) -> str: ...
    @property
    def sender(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def urgency(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def subject_index(self) -> str: ...
    @property
    def subject_ref(self) -> str: ...
    @property
    def agreement_id(self) -> str: ...
    @property
    def agreement_version(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def erased_at(self) -> datetime | None: ...
    @property
    def subject_tag(self) -> str | None: ...
    @property
    def revision(self) -> int: ...
    @property
    def restriction_reason(self) -> str | None: ...
    @property
    def restricted_at(self) -> datetime | None: ...


class RecipientFacts(Protocol):
    """A recipient of record: who, on what ground, how far its handling has come."""

    @property
    def partner_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def legal_basis(self) -> str: ...
    @property
    def agreement_id(self) -> str: ...
    @property
    def agreement_version(self) -> int: ...
    @property
    def updated_at(self) -> datetime: ...


def live(signal: SignalFacts, now: datetime) -> bool:
    return is_live(signal.erased_at, signal.expires_at, now)


@dataclass(frozen=True)
class Sight:
    """What one partner may see of one signal now."""

    role: Role
    decision: Decision | None
    fields: tuple[str, ...]
    # Restricted (AVG art. 18): kept, shown to its sender, listed to a recipient a rule still
    # grants it to, but read, linked and matched by nobody else.
    restricted: bool = False

    @property
    def granted(self) -> bool:
        """Whether the rules alone (restriction aside) let the partner see the signal."""
        return self.role == "sender" or (self.decision is not None and self.decision.allow)

    @property
    def allowed(self) -> bool:
        return self.role == "sender" or (self.granted and not self.restricted)

    @property
    def reasons(self) -> tuple[str, ...]:
        if self.decision is not None and not self.decision.allow:
            return self.decision.reasons
        return (RESTRICTED,) if not self.allowed else ()

    @property
    def links(self) -> bool:
        """Whether the partner may know who the signal is about - and so hold a stable
        reference to the child and link this signal to others about it: the sender, and a
        recipient whose rule grants `subject`."""
        return self.allowed and (self.role == "sender" or "subject" in self.fields)

    @property
    def professional(self) -> bool:
        """Whether the partner may know which professional sent it, and how to reach them:
        the sender, and a recipient whose rule grants `contact`."""
        return self.allowed and (self.role == "sender" or "contact" in self.fields)


NOTHING = Sight("none", None, ())


def partners_of(recipients: Sequence[RecipientFacts]) -> frozenset[str]:
    return frozenset(r.partner_id for r in recipients)


def sight(
    signal: SignalFacts,
    recipients: Collection[str],
    *,
    partner: str,
    purpose: str | None,
    view: PolicyView,
    consents: Sequence[Consent],
    now: datetime,
) -> Sight:
    """The sender sees all it wrote; a recipient of record (one of `recipients`, partner ids)
    what a rule in force grants now, and only under the purpose the signal was shared for, and
    nothing while the signal is restricted."""
    restricted = signal.restriction_reason is not None
    if signal.sender == partner:
        return Sight("sender", None, CONTENT_FIELDS, restricted)
    if partner not in recipients:
        return NOTHING
    if purpose != signal.purpose:
        return Sight("recipient", Decision.deny((PURPOSE_MISMATCH,)), (), restricted)
    decision = view.decide(
        sender=signal.sender,
        recipient=partner,
        purpose=signal.purpose,
        category=signal.category,
        consents=consents,
        now=now,
        subject_tag=signal.subject_tag,
    )
    shown = decision.allow and not restricted
    return Sight("recipient", decision, decision.fields if shown else (), restricted)
