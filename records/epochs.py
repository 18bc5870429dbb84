"""Bumping and reading the epochs: one cheap read per request keeps every cache honest."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel import Session

from records.models import Epoch

POLICY = "policy"  # partners, their statuses, and agreements: what decisions are made from


def bump(session: Session, name: str = POLICY) -> None:
    """Advance an epoch in the caller's transaction, so it moves exactly when the change commits."""
    result = session.execute(update(Epoch).where(Epoch.name == name).values(value=Epoch.value + 1))  # type: ignore[arg-type]
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(Epoch(name=name, value=1))
        session.flush()


def read(session: Session, name: str = POLICY) -> int:
    return int(session.execute(select(Epoch.value).where(Epoch.name == name)).scalar() or 0)
