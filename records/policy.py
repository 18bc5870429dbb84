"""The policy a process decides with: agreements and partners, cached until the epoch moves."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import overload

from sqlalchemy import select
from sqlmodel import Session, col

from policies import Consent, Decision, Party, PolicySet, ShareRequest, decide, purposes_for
from records import epochs
from records.agreements import in_force_versions, to_policy
from records.models import ConsentRecord, ConsentWithdrawal, Partner


@dataclass(frozen=True)
class PolicyView:
    epoch: int
    policy: PolicySet
    partners: dict[str, Party]

    def party(self, partner_id: str) -> Party:
        """A partner as the engine sees it; an unknown one is a suspended nobody."""
        return self.partners.get(partner_id) or Party(partner_id, "other", active=False)

    def decide(
        self,
        *,
        sender: str,
        recipient: str,
        purpose: str,
        category: str,
        consents: Sequence[Consent],
        now: datetime,
        subject_tag: str | None = None,
        professional: bool | None = None,
    ) -> Decision:
        request = ShareRequest(
            self.party(sender), self.party(recipient), purpose, category, subject_tag, professional
        )
        return decide(self.policy, request, consents, now)


class PolicyStore:
    """One per process. Each use costs one small read (the epoch); a change anywhere, also in
    another process, is seen by the very next request."""

    def __init__(self) -> None:
        self._view: PolicyView | None = None
        self._lock = threading.Lock()

    def view(self, session: Session, epoch: int | None = None) -> PolicyView:
        """The current view; `epoch` when the caller already read it in this transaction."""
        epoch = epochs.read(session) if epoch is None else epoch
        view = self._view
        if view is not None and view.epoch == epoch:
            return view
        with self._lock:
            view = PolicyView(
                epoch,
                PolicySet.build(
                    to_policy(row.document, row.version, row.status)
                    for row in in_force_versions(session)
                ),
                {
                    row.id: Party(row.id, row.kind, active=row.status == "active")
                    for row in session.execute(
                        select(col(Partner.id), col(Partner.kind), col(Partner.status))
                    )
                },
            )
            self._view = view
            return view

    def allowed_purposes(self, session: Session, partner_id: str, now: datetime) -> frozenset[str]:
        return purposes_for(self.view(session).policy, partner_id, now)


def consents_for(session: Session, subject_index: str) -> list[Consent]:
    """The subject's consents, as the engine reads them (withdrawals included)."""
    rows = session.execute(
        select(ConsentRecord, col(ConsentWithdrawal.withdrawn_at))
        .outerjoin(ConsentWithdrawal, col(ConsentWithdrawal.consent_id) == ConsentRecord.id)
        .where(col(ConsentRecord.subject_index) == subject_index)
    ).all()
    return [to_consent(record, withdrawn_at) for record, withdrawn_at in rows]


def to_consent(record: ConsentRecord, withdrawn_at: datetime | None) -> Consent:
    return Consent(
        id=record.id,
        recorded_by=record.recorded_by,
        purposes=tuple(record.purposes),
        recipients=tuple(record.recipients),
        categories=tuple(record.categories) if record.categories is not None else None,
        valid_from=record.valid_from,
        valid_until=record.valid_until,
        withdrawn_at=withdrawn_at,
        subject_tag=record.subject_tag,
    )


class LazyConsents(Sequence[Consent]):
    """A subject's consents, fetched only if a rule that needs consent is reached."""

    def __init__(self, load: Callable[[], list[Consent]]) -> None:
        self._load = load
        self._items: list[Consent] | None = None

    def _all(self) -> list[Consent]:
        if self._items is None:
            self._items = self._load()
        return self._items

    @overload
    def __getitem__(self, index: int) -> Consent: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Consent]: ...
    def __getitem__(self, index: int | slice) -> Consent | Sequence[Consent]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[Consent]:
        return iter(self._all())
