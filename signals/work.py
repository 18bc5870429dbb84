"""What every signal operation works with: the transaction, the runtime, the moment, the audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from audit.events import AuditDraft
from records.hotpath import Raw
from records.policy import PolicyView, consents_for
from signals.visibility import LazyConsents
from wijkdeel.runtime import Runtime


@dataclass
class Work:
    session: Session
    runtime: Runtime
    now: datetime
    audit: AuditDraft
    epoch: int | None = None  # the policy epoch, when the caller's check already read it
    connection: Raw | None = None  # the DBAPI connection of the hot path, when it has one
    _view: PolicyView | None = field(default=None, repr=False)

    @property
    def raw(self) -> Raw:
        if self.connection is None:
            self.connection = Raw.of(self.session)
        return self.connection

    @property
    def view(self) -> PolicyView:
        if self._view is None:
            self._view = self.runtime.policy.view(self.session, self.epoch)
        return self._view

    def consents(self, subject_index: str) -> LazyConsents:
        return LazyConsents(lambda: consents_for(self.session, subject_index))
