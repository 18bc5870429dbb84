"""INSERTs of new rows as fixed SQL on the unit of work's DBAPI connection.

On the hot write path the ORM's unit of work (flush ordering, identity map, events) costs more
than the statements, and even a Core INSERT spends most of its time in SQLAlchemy (compiling,
cache keys, parameter processing) rather than in the database. Rows that are only ever
inserted there go in as one prepared statement text per table and column set, executed on the
session's own DBAPI connection, in the session's transaction. The only conversion a value needs
is the one records.types makes (aware UTC datetimes; SQLite stores them as text); a table with a
column that needs more (JSON, dates) goes through Core instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlmodel import Session, SQLModel

from records.hotpath import Raw
from records.types import UTCDateTime

Convert = Callable[[Any], Any]
_PLAIN = frozenset({"AutoString", "String", "Integer", "BigInteger", "LargeBinary", "Text"})
# (table, columns, sqlite) → (SQL text, whether a column is a datetime)
_PREPARED: dict[tuple[str, tuple[str, ...], bool], tuple[str, tuple[bool, ...]]] = {}


def row_of(instance: SQLModel) -> dict[str, Any]:
    table = type(instance).__table__  # type: ignore[attr-defined]
    return {column.name: getattr(instance, column.key) for column in table.columns}


def insert_all(session: Session, instances: Sequence[SQLModel]) -> None:
    """Insert instances of one model in one statement (executemany for several)."""
    if instances:
        table = type(instances[0]).__table__  # type: ignore[attr-defined]
        insert_rows(session, table, [row_of(instance) for instance in instances])


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert plain rows (column name → value) into `table`, one statement per set of columns."""
    if not rows:
        return
    if not _plain(table):
        session.connection().execute(insert(table), [dict(row) for row in rows])
        return
    raw = Raw.of(session)
    groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    for names, members in groups.items():
        sql, moments = _prepared(table, names, raw.sqlite)
        values = [
            tuple(
                raw.moment(value) if moment and value is not None else value
                for value, moment in zip(row.values(), moments, strict=True)
            )
            for row in members
        ]
        cursor = raw.connection.cursor()
        try:
            if len(values) == 1:
                cursor.execute(sql, values[0])
            else:
                cursor.executemany(sql, values)
        finally:
            cursor.close()


def _plain(table: Table) -> bool:
    return all(
        isinstance(column.type, UTCDateTime) or type(column.type).__name__ in _PLAIN
        for column in table.columns
    )


def _prepared(table: Table, names: tuple[str, ...], sqlite: bool) -> tuple[str, tuple[bool, ...]]:
    key = (table.name, names, sqlite)
    found = _PREPARED.get(key)
    if found is None:
        columns = [table.columns[name] for name in names]  # a KeyError for a column not there
        marker = "?" if sqlite else "%s"
        quoted = ", ".join(f'"{column.name}"' for column in columns)
        markers = ", ".join(marker for _ in columns)
        sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({markers})'  # noqa: S608 (names from metadata)
        found = _PREPARED[key] = (sql, tuple(isinstance(c.type, UTCDateTime) for c in columns))
    return found
