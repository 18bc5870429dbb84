"""Who is calling: the verified identity every authenticated request carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auth.scopes import ClientRole


@dataclass(frozen=True)
class Caller:
    client_id: str
    partner: str
    partner_kind: str
    role: ClientRole
    scopes: frozenset[str]
    purpose: str | None
    expires_at: datetime
    jti: str
    policy_epoch: int | None = None  # read with the caller, so the policy cache needs no query
    professional: str | None = None  # the partner's id of the professional it acts for (`act`)

    def has(self, scope: str) -> bool:
        return scope in self.scopes
