"""CSV answers meant to be opened in a spreadsheet (RFC 4180, UTF-8, CRLF).

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
spreadsheet programs; a title or description written by an administrator could be one. Such a
cell is prefixed with `'` so it shows as the text it is (OWASP's advice). Unlike the audit
export, these files are not re-hashed by anyone, so defusing them changes nothing that counts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    """A negative number is data, not a formula."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode()
