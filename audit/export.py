"""Exports of the log: CSV (RFC 4180) and NDJSON, streamed chunk by chunk.

Both carry exactly the fields of the JSON answer, values unchanged (null is an empty CSV cell),
so an exported event can be re-hashed by anyone: SHA-256 over the canonical JSON of every field
but `hash` gives `hash`. A CSV cell is never rewritten to defuse spreadsheet formulas, since
that would break exactly this; open the file as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from audit.queries import CSV_FIELDS

CSV = "text/csv"
NDJSON = "application/x-ndjson"
MEDIA_TYPES = {CSV: "text/csv; charset=utf-8", NDJSON: "application/x-ndjson"}


def csv_header() -> bytes:
    return _csv_rows([list(CSV_FIELDS)])


def _csv_rows(rows: Iterable[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def render(media_type: str, items: list[dict[str, Any]]) -> bytes:
    if media_type == CSV:
        return _csv_rows([[_cell(item.get(name)) for name in CSV_FIELDS] for item in items])
    return b"".join(orjson.dumps(item) + b"\n" for item in items)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict):
        return orjson.dumps(value).decode()  # `actor`, as compact JSON
    return value


def stream(media_type: str, chunks: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    if media_type == CSV:
        yield csv_header()
    for items in chunks:
        yield render(media_type, items)
