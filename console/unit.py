"""The one way a console page (and `people/`) reaches the database: run a domain function
`work(tx) -> T` in one transaction together with its audit event.

The lead's shared unit of work (`wijkdeel/unit.py`) replaces this module's body; its interface
is what pages rely on:

    await run(runtime, work, audit=draft, actor=signed_in) -> T

- `work` is a plain sync function of `tx` and knows nothing of HTTP. `tx.session` is a SQLModel
  Session (flush, never commit), `tx.runtime` the Runtime, `tx.now` the moment of the request
  (the draft's), `tx.audit` the AuditDraft it may fill in (resource, reason, count, actor), and
  `tx.actor` the signed-in person or None.
- It runs in a worker thread, never on the event loop, on `runtime.db.session()`.
- On return the draft is recorded as "allow" in the same transaction, which then commits.
- On a DomainError the transaction rolls back, the draft (as the work left it) is recorded as
  "deny" in a transaction of its own, and the error is raised again; on any other exception
  the same with "error".
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
from starlette.concurrency import run_in_threadpool

from audit.events import AuditDraft, Outcome, record
from core.errors import DomainError
from people.sessions import SignedIn
from wijkdeel.runtime import Runtime

T = TypeVar("T")


@dataclass
class Tx:
    session: Session
    runtime: Runtime
    now: datetime
    audit: AuditDraft
    actor: SignedIn | None


async def run(
    runtime: Runtime,
    work: Callable[[Tx], T],
    *,
    audit: AuditDraft | None,
    actor: SignedIn | None = None,
) -> T:
    return await run_in_threadpool(run_sync, runtime, work, audit=audit, actor=actor)


def run_sync(
    runtime: Runtime,
    work: Callable[[Tx], T],
    *,
    audit: AuditDraft | None,
    actor: SignedIn | None = None,
) -> T:
    """The same, for a caller already in a worker thread (or the CLI)."""
    draft = audit if audit is not None else AuditDraft(action="housekeeping", at=runtime.now())
    if actor is not None:
        draft.actor_person, draft.role = actor.person_id, actor.role
    try:
        with runtime.db.session() as session:
            result = work(Tx(session, runtime, draft.at, draft, actor))
            if audit is not None:
                record(session, draft, "allow")
        return result
    except DomainError as error:
        _refused(runtime, audit, "deny", ",".join(error.reasons) or error.code)
        raise
    except Exception:
        _refused(runtime, audit, "error", "server_error")
        raise


def _refused(runtime: Runtime, audit: AuditDraft | None, outcome: Outcome, reason: str) -> None:
    if audit is None:
        return
    with runtime.db.session() as session:
        record(session, audit, outcome, reason[:255])
