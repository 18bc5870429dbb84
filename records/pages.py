"""Keyset pagination: opaque cursors that stay stable while rows are added."""

from __future__ import annotations

import base64
import binascii
import re
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


# Every key a list pages by: partner slugs, client ids, UUIDs.
_POSITION = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_LARGEST_SEQ = 2**63 - 1


def encode_cursor(value: str | int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"after": value})).rstrip(b"=").decode()


def invalid_cursor() -> BadRequest:
    return BadRequest(
        "the cursor is not one this service gave out",
        code="invalid_cursor",
        invalid_params=[
            {
                "in": "query",
                "name": "cursor",
                "code": "invalid_cursor",
                "reason": "pass the nextCursor of the previous page unchanged",
            }
        ],
    )


def _after(cursor: str) -> object:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise invalid_cursor() from None
    if not isinstance(data, dict) or set(data) != {"after"}:
        raise invalid_cursor()
    return data["after"]


def decode_cursor(cursor: str) -> str:
    """The position (a row's key) a cursor of `encode_cursor` holds; a forged or garbled cursor
    is a 400, never a value handed to the database (where a wrong type or a NUL is a 500)."""
    after = _after(cursor)
    if not isinstance(after, str) or not _POSITION.fullmatch(after):
        raise invalid_cursor()
    return after


def decode_seq_cursor(cursor: str) -> int:
    """A cursor over a sequence number: a whole number the database can hold."""
    after = _after(cursor)
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= _LARGEST_SEQ:
        raise invalid_cursor()
    return after


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
