"""Bumping and reading the epochs: one cheap read per request keeps every cache honest."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from records.models import Epoch

POLICY = "policy"  # partners, their statuses, and agreements: what decisions are made from


def bump(session: Session, name: str = POLICY) -> None:
    """Advance an epoch in the caller's transaction, so it moves exactly when the change commits."""
    result = session.execute(update(Epoch).where(Epoch.name == name).values(value=Epoch.value + 1))  # type: ignore[arg-type]
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(Epoch(name=name, value=1))
        session.flush()


EPOCHS = Epoch.__table__  # type: ignore[attr-defined]
_READ = select(EPOCHS.c.value).where(EPOCHS.c.name == bindparam("name"))


def read(session: Session, name: str = POLICY) -> int:
    return int(session.connection().execute(_READ, {"name": name}).scalar() or 0)
