"""INSERTs of new rows as Core statements.

On the hot write path the ORM's unit of work (flush ordering, identity map, events) costs more
than the statements; rows that are only ever inserted there go in with plain INSERTs on the
session's connection, in the session's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, SQLModel


def row_of(instance: SQLModel) -> dict[str, Any]:
    table = type(instance).__table__  # type: ignore[attr-defined]
    return {column.name: getattr(instance, column.key) for column in table.columns}


def insert_all(session: Session, instances: Sequence[SQLModel]) -> None:
    """Insert instances of one model in one statement (executemany for several)."""
    if not instances:
        return
    table = type(instances[0]).__table__  # type: ignore[attr-defined]
    rows = [row_of(instance) for instance in instances]
    session.connection().execute(insert(table), rows if len(rows) > 1 else rows[0])
