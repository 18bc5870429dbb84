"""Identifiers that sort by creation time (the UUIDv7 layout of RFC 9562)."""

from __future__ import annotations

import os
import uuid
from datetime import datetime


def time_ordered_id(now: datetime) -> str:
    millis = int(now.timestamp() * 1000) & ((1 << 48) - 1)
    random = int.from_bytes(os.urandom(10), "big")
    value = (millis << 80) | (0x7 << 76) | ((random >> 68) & 0xFFF) << 64
    value |= (0b10 << 62) | (random & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))
