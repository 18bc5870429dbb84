"""Keyset pagination: opaque cursors that stay stable while rows are added."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from core.errors import BadRequest

T = TypeVar("T")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"after": value})).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> Any:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return data["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise BadRequest(
            "the cursor is not one this service gave out",
            code="invalid_cursor",
            invalid_params=[{"name": "cursor", "in": "query", "code": "invalid_cursor"}],
        ) from None


def keyset_page(
    session: Session, query: SelectOfScalar[T], key: Any, *, cursor: str | None, limit: int
) -> Page[T]:
    """One page of `query` ordered by the unique column `key`."""
    if cursor is not None:
        query = query.where(key > decode_cursor(cursor))
    rows = list(session.exec(query.order_by(key).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(getattr(rows[-1], key.key)) if more and rows else None
    return Page(rows, next_cursor)
