"""Who may see a signal now: decided at read time against the agreements and consents in force."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auth.caller import Caller
from policies import Consent, Decision
from policies.vocabulary import PURPOSE_MISMATCH
from records.models import SignalRecipient
from records.policy import PolicyView
from signals.content import CONTENT_FIELDS


class LazyConsents(Sequence[Consent]):
    """The subject's consents, fetched only if a rule that needs consent is reached."""

    def __init__(self, load: Callable[[], list[Consent]]) -> None:
        self._load = load
        self._items: list[Consent] | None = None

    def _all(self) -> list[Consent]:
        if self._items is None:
            self._items = self._load()
        return self._items

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[Consent]:
        return iter(self._all())


@dataclass(frozen=True)
class Sight:
    """What one partner may see of one signal now."""

    role: str  # "sender" | "recipient" | "none"
    decision: Decision | None
    fields: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return self.role == "sender" or (self.decision is not None and self.decision.allow)

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.decision.reasons if self.decision is not None else ()


NOTHING = Sight("none", None, ())


def sight(
    signal: Any,
    recipients: Sequence[SignalRecipient] | set[str],
    *,
    partner: str,
    purpose: str | None,
    view: PolicyView,
    consents: Sequence[Consent],
    now: datetime,
) -> Sight:
    """The sender sees all it wrote; a recipient of record what a rule in force grants now,
    and only under the purpose the signal was shared for."""
    if signal.sender == partner:
        return Sight("sender", None, CONTENT_FIELDS)
    names = recipients if isinstance(recipients, set) else {r.partner_id for r in recipients}
    if partner not in names:
        return NOTHING
    if purpose != signal.purpose:
        return Sight("recipient", Decision.deny((PURPOSE_MISMATCH,)), ())
    decision = view.decide(
        sender=signal.sender,
        recipient=partner,
        purpose=signal.purpose,
        category=signal.category,
        consents=consents,
        now=now,
    )
    return Sight("recipient", decision, decision.fields if decision.allow else ())


def caller_sight(
    signal: Any,
    recipients: Sequence[SignalRecipient] | set[str],
    caller: Caller,
    view: PolicyView,
    consents: Sequence[Consent],
    now: datetime,
) -> Sight:
    return sight(
        signal,
        recipients,
        partner=caller.partner,
        purpose=caller.purpose,
        view=view,
        consents=consents,
        now=now,
    )
