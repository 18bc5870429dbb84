"""The one way a console page (and `people/`) reaches the database: a domain function
`work(tx) -> T` run as a unit of work of wijkdeel.unit - the same runner, admission, single
connection and audit path as the API - with the signed-in person as the actor.

    await run(runtime, work, audit=draft, actor=signed_in) -> T

- `work` is a plain sync function of `tx` and knows nothing of HTTP. `tx.session` is a SQLModel
  Session (flush, never commit), `tx.runtime` the Runtime, `tx.now` the moment of the request
  (the draft's), `tx.audit` the AuditDraft it may fill in (resource, reason, count, actor),
  `tx.actor` the signed-in person or None, and `tx.base` the API's own Tx of the same unit (for
  domain code written for it, such as the decision engine's view).
- On return the draft is recorded as "allow" in the same transaction, which then commits.
- On a DomainError the transaction rolls back and the draft (as the work left it) is recorded
  as "deny"; on any other exception "error"; then the error is raised again.
- `audit=None` records nothing: for housekeeping that is no one's action (resolving a session,
  counting a refused attempt).
- With an actor, the draft names the person: `actor_person` and `role`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session

from audit.events import AuditDraft
from people.sessions import SignedIn
from wijkdeel import unit
from wijkdeel.runtime import Runtime

T = TypeVar("T")


@dataclass
class Tx:
    session: Session
    runtime: Runtime
    now: datetime
    audit: AuditDraft
    actor: SignedIn | None
    base: unit.Tx


async def run(
    runtime: Runtime,
    work: Callable[[Tx], T],
    *,
    audit: AuditDraft | None,
    actor: SignedIn | None = None,
    mode: unit.Mode = "write",
) -> T:
    if audit is None:
        # Housekeeping is nobody's action: it leaves no event, not even when it fails.
        draft = AuditDraft(action="housekeeping", at=runtime.now(), settled=True)
    else:
        draft = audit
    if actor is not None:
        draft.actor_person, draft.role = actor.person_id, actor.role

    def step(tx: unit.Tx) -> T:
        return work(Tx(tx.session, tx.runtime, tx.now, tx.audit, actor, tx))

    return await runtime.units.run(mode, draft, step, audited=audit is not None)
