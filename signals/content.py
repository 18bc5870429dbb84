"""A signal's personal content, sealed field by field under the signal's own data key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from records.fields import DataKeyHandle
from records.hotpath import SignalRow
from records.models import Signal

CONTENT_FIELDS = ("subject", "summary", "details", "contact")
# Sealed fields that hold JSON (the others hold text).
_JSON_FIELDS = frozenset({"subject", "contact", "sender_professional", "informing"})


@dataclass(frozen=True)
class Content:
    subject: dict[str, Any]
    summary: str
    details: str | None
    contact: dict[str, Any] | None
    # Who sent it for the partner: name, function, work contact (None: the system alone).
    sender_professional: dict[str, Any] | None = None

    def seal_into(self, signal: Signal, key: DataKeyHandle) -> None:
        signal.data_key_id, signal.data_key_version = key.id, key.version
        signal.subject = key.seal(signal.id, "subject", orjson.dumps(self.subject))
        signal.summary = key.seal(signal.id, "summary", self.summary.encode())
        signal.details = (
            key.seal(signal.id, "details", self.details.encode()) if self.details else None
        )
        signal.contact = (
            key.seal(signal.id, "contact", orjson.dumps(self.contact)) if self.contact else None
        )
        if self.sender_professional is not None:
            signal.sender_professional = key.seal(
                signal.id, "sender_professional", orjson.dumps(self.sender_professional)
            )


def open_fields(
    signal: Signal | SignalRow, key: DataKeyHandle, fields: tuple[str, ...]
) -> dict[str, Any]:
    """Decrypt exactly `fields` (the ones a decision grants); the rest stay sealed."""
    opened: dict[str, Any] = {}
    for name in fields:
        blob = getattr(signal, name)
        if blob is None:
            continue
        plain = key.open(signal.id, name, blob)
        opened[name] = orjson.loads(plain) if name in _JSON_FIELDS else plain.decode()
    return opened
