"""Refusals of requests that nobody can be named for, counted instead of logged one by one.

A request whose token or client cannot be verified at all says nothing about who called, and
such requests cost an attacker nothing to send. Each one still leaves a trace, but as a count:
one event per source address, action, reason and minute (API.md, Audit), so that anonymous
noise cannot grow the permanent chain without bound.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from typing import Any

# Per minute at most this many (source, action, reason) keys; more are counted under no source.
MAX_KEYS = 5_000

Key = tuple[datetime, str | None, str, str]


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class RefusalCounter:
    """Counts in memory until the minute is over; `due` hands over the finished minutes."""

    def __init__(self, *, max_keys: int = MAX_KEYS) -> None:
        self._counts: dict[Key, int] = {}
        self._keys_per_minute: dict[datetime, int] = {}
        self._max_keys = max_keys
        self._lock = threading.Lock()

    def add(self, *, ip: str | None, action: str, reason: str, at: datetime) -> None:
        minute = minute_of(at)
        with self._lock:
            key: Key = (minute, ip, action, reason)
            if key not in self._counts:
                if self._keys_per_minute.get(minute, 0) >= self._max_keys:
                    key = (minute, None, action, reason)
                else:
                    self._keys_per_minute[minute] = self._keys_per_minute.get(minute, 0) + 1
            self._counts[key] = self._counts.get(key, 0) + 1

    def pending(self) -> int:
        with self._lock:
            return len(self._counts)

    def due(self, now: datetime, *, everything: bool = False) -> list[dict[str, Any]]:
        """Audit rows for every minute that has ended (all of them with `everything`), removed
        from the counter."""
        current = minute_of(now)
        with self._lock:
            done = [key for key in self._counts if everything or key[0] < current]
            taken = {key: self._counts.pop(key) for key in done}
            for minute in {key[0] for key in done}:
                if everything or minute < current:
                    self._keys_per_minute.pop(minute, None)
        return [_row(key, count) for key, count in sorted(taken.items(), key=_order)]

    def put_back(self, rows: list[dict[str, Any]]) -> None:
        """Counts whose event could not be written: kept for the next attempt."""
        with self._lock:
            for row in rows:
                key: Key = (row["at"], row["ip"], row["action"], row["reason"])
                self._counts[key] = self._counts.get(key, 0) + int(row["count"])


def _order(item: tuple[Key, int]) -> tuple[datetime, str, str, str]:
    (minute, ip, action, reason), _ = item
    return minute, ip or "", action, reason


def _row(key: Key, count: int) -> dict[str, Any]:
    minute, ip, action, reason = key
    return {
        "id": str(uuid.uuid4()),
        # The minute the requests arrived in; the event is written once it is over.
        "at": minute,
        "client_id": None,
        "partner": None,
        "role": None,
        "action": action,
        "resource_type": None,
        "resource_id": None,
        "subject_ref": None,
        "purpose": None,
        "legal_basis": None,
        "agreement_id": None,
        "agreement_version": None,
        "outcome": "deny",
        "reason": reason,
        "request_id": None,
        "ip": ip,
        "count": count,
        "actor_person": None,
        "actor_professional": None,
        "processing_activity_id": None,
    }
