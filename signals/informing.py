"""The duty to inform the family (AVG art. 13/14), recorded on a signal.

At sending, or later by the sender alone (signals.informing_update), a signal records that the
guardians and/or the child were informed (when, how), that informing is postponed (a reason
from a fixed list, until a day), or that it is still pending. Who must be told follows the
child's age on the day of informing (policies.informing). The state stays in clear on the
signal (auditors filter by it, the reminder finds due postponements by it); the details are
sealed under the signal's data key like its other content and shredded with it.

Each change leaves a `signal.informing` audit event whose reason is `informing:<status>`, so
`GET /v1/audit/events?informing=<status>` finds them. When a postponement ends the sender gets
`signal.informing_due` (ids only), once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import select
from sqlmodel import Session, col

from audit.events import AuditDraft, record
from core.errors import Invalid
from notifications import events
from policies.dates import AMSTERDAM, local_date
from policies.informing import party_problems, postponement_problems
from records.fields import DataKeyHandle
from records.models import Signal
from wijkdeel.unit import Tx

ACTION = "signal.informing"
FIELD = "informing"
# A moment of informing may lie this far ahead of the service's clock (clocks differ a little).
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Informing:
    """What is recorded about informing, as the caller stated it (validated by the schema)."""

    status: str
    parties: tuple[str, ...] = ()
    at: datetime | None = None
    method: str | None = None
    reason: str | None = None
    until: date | None = None

    def document(self, recorded_at: datetime) -> dict[str, Any]:
        """The sealed record, in the shape GET answers with (camelCase, no empty members)."""
        shown: dict[str, Any] = {"status": self.status}
        if self.status == "informed":
            shown.update(parties=list(self.parties), at=self.at, method=self.method)
        elif self.status == "postponed":
            shown.update(reason=self.reason, until=self.until)
        shown["recordedAt"] = recorded_at
        return shown


PENDING = Informing("pending")


def _refuse(words: list[str], name: str, detail: str) -> Invalid:
    return Invalid(
        detail,
        code=words[0],
        invalid_params=[
            {"in": "body", "name": name, "code": word, "reason": word.replace("_", " ")}
            for word in words
        ],
    )


def check(informing: Informing, birth_date: date | None, now: datetime) -> None:
    """Raise 422 with the rule's word when `informing` does not meet the duty to inform."""
    if informing.status == "informed":
        assert informing.at is not None  # the schema requires it
        if informing.at > now + CLOCK_SKEW:
            raise _refuse(["at_in_future"], "informing.at", "informing cannot lie in the future")
        problems = party_problems(informing.parties, birth_date, local_date(informing.at))
        if problems:
            raise _refuse(
                problems,
                "informing.parties",
                "the parties informed do not meet the duty to inform at the child's age",
            )
    elif informing.status == "postponed":
        assert informing.until is not None and informing.reason is not None  # the schema
        problems = postponement_problems(informing.until, local_date(now))
        if problems:
            raise _refuse(problems, "informing.until", "a postponement ends after today")


def _due_at(until: date) -> datetime:
    """A postponement until a day ends at the start of that day in the Netherlands."""
    return datetime.combine(until, time(0), AMSTERDAM)


def apply(
    tx: Tx,
    signal: Signal,
    key: DataKeyHandle,
    informing: Informing,
    birth_date: date | None,
) -> None:
    """Check and record `informing` on `signal` (sealed under `key`), with its audit event."""
    check(informing, birth_date, tx.now)
    blob = orjson.dumps(informing.document(tx.now), option=orjson.OPT_UTC_Z)
    signal.informing = key.seal(signal.id, FIELD, blob)
    signal.informing_status = informing.status
    signal.informing_due_at = (
        _due_at(informing.until)
        if informing.status == "postponed" and informing.until is not None
        else None
    )
    tx.audit.also(
        action=ACTION,
        resource_type="signal",
        resource_id=signal.id,
        subject_ref=signal.subject_ref,
        reason=f"informing:{informing.status}",
    )


def remind_due(
    session: Session, now: datetime, *, max_attempts: int, skip_locked: bool, batch: int = 200
) -> int:
    """Tell each sender whose postponement has ended (`signal.informing_due`), once, with a
    system audit event, in the caller's transaction; returns how many."""
    query = (
        select(Signal)
        .where(
            col(Signal.informing_due_at) <= now,
            col(Signal.informing_status) == "postponed",
            col(Signal.erased_at).is_(None),
        )
        .order_by(col(Signal.informing_due_at))
        .limit(batch)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    due = list(session.scalars(query))
    for signal in due:
        signal.informing_due_at = None
        session.add(signal)
        events.informing_due(session, signal, now=now, max_attempts=max_attempts)
        event = AuditDraft(
            action="signal.informing_due",
            at=now,
            role="system",
            resource_type="signal",
            resource_id=signal.id,
            subject_ref=signal.subject_ref,
            purpose=signal.purpose,
            partner=signal.sender,
        )
        record(session, event, "allow", "informing:postponed")
    session.flush()
    return len(due)
