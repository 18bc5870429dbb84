"""What every signal operation works with: the transaction, the runtime, the moment, the audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from audit.events import AuditDraft
from records.policy import PolicyView, consents_for
from signals.visibility import LazyConsents
from wijkdeel.runtime import Runtime


@dataclass
class Work:
    session: Session
    runtime: Runtime
    now: datetime
    audit: AuditDraft
    _view: PolicyView | None = field(default=None, repr=False)

    @property
    def view(self) -> PolicyView:
        if self._view is None:
            self._view = self.runtime.policy.view(self.session)
        return self._view

    def consents(self, subject_index: str) -> LazyConsents:
        return LazyConsents(lambda: consents_for(self.session, subject_index))
