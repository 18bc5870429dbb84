"""A question for the figures (window, period, grouping) and its answer, shared by the API and
the console: the window widened to whole periods that have ended, then `report.compute`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlmodel import Session

from audit.events import AuditDraft
from core.errors import BadRequest
from figures import periods, report
from figures.queries import DIMENSIONS, Window
from wijkdeel.runtime import Runtime


class Unit(Protocol):
    """What the answer needs of a unit of work (the API's or the console's)."""

    @property
    def session(self) -> Session: ...
    @property
    def runtime(self) -> Runtime: ...
    @property
    def now(self) -> datetime: ...
    @property
    def audit(self) -> AuditDraft: ...


def invalid(name: str, reason: str) -> BadRequest:
    return BadRequest(
        f"{name} {reason}",
        code="invalid_parameter",
        invalid_params=[{"in": "query", "name": name, "code": "invalid", "reason": reason}],
    )


def dimensions(group_by: str | None) -> tuple[str, ...]:
    words = [w.strip() for w in (group_by or "").split(",") if w.strip()]
    if any(w not in DIMENSIONS for w in words):
        raise invalid("groupBy", f"must be a comma-separated list of {', '.join(DIMENSIONS)}")
    return tuple(d for d in DIMENSIONS if d in words)


def compute(
    tx: Unit, first: date | None, last: date | None, kind: periods.Kind, dims: tuple[str, ...]
) -> dict[str, Any]:
    """The answer (JSON-ready values) for the window, as of the unit's moment; noted in its
    audit event (window and grouping, and how many cells)."""
    default_first, default_last = periods.default_window(kind, tx.now)
    first, last = first or default_first, last or default_last
    if first > last:
        raise invalid("from", "must not be after to")
    found = periods.completed(first, last, kind, tx.now)
    if len(found) > periods.MAX_PERIODS:
        raise invalid("from", f"the window holds more than {periods.MAX_PERIODS} periods")
    audit = tx.audit
    audit.reason = f"{kind} {first.isoformat()}..{last.isoformat()} by:{','.join(dims) or '-'}"
    answer: dict[str, Any] = {"period": kind, "groupBy": list(dims), "cells": [], "totals": []}
    if found:
        window = Window(found, dims, postgres=not tx.runtime.db.is_sqlite)
        answer.update(report.compute(tx.session.connection(), window))
        answer["from"] = periods.local_start(found[0])
        answer["to"] = periods.local_start(found[-1], end=True) - timedelta(days=1)
    else:
        answer["from"], answer["to"] = first, last
    audit.count = len(answer["cells"])
    return answer
