"""Rate limits that hold across API processes: token buckets per key (a verified client, a
source address).

Two ways to share them between processes:
- **Redis** (WIJKDEEL_REDIS_URL): one bucket per key in Redis, updated atomically by a script
  with Redis's own clock - exact, whatever the number of processes.
- **The database** (the default): every API process registers itself (records.census) and keeps
  its buckets in memory at rate / N and burst / N, N being the number of API processes alive.
  The processes together never allow more than the limit; with uneven load balancing they allow
  less. A new process is counted within a heartbeat.

Buckets are evicted least recently used first, so a flood of new keys costs memory in bounds
and never clears the buckets of clients that are being limited.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

MAX_KEYS = 50_000


class Limiter(Protocol):
    def take(self, key: str) -> float | None:
        """Spend one request for `key`: None when allowed, else seconds until the next one.
        Call it from a worker thread (the Redis limiter does network I/O)."""
        ...


class MemoryLimiter:
    """Token buckets in this process, each at 1/`share()` of the limit."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        share: Callable[[], int] = lambda: 1,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._share = share
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        processes = max(1, self._share())
        rate, burst = self.rate / processes, max(1.0, self.burst / processes)
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.pop(key, (burst, now))
            tokens = min(burst, tokens + (now - stamp) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / rate
            self._buckets[key] = (tokens - 1.0, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)  # the least recently used
            return None


_BUCKET_SCRIPT = """
local now = redis.call('TIME')
local moment = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local held = redis.call('HMGET', KEYS[1], 't', 's')
local tokens = tonumber(held[1]) or burst
local stamp = tonumber(held[2]) or moment
tokens = math.min(burst, tokens + math.max(0, moment - stamp) * rate)
local wait = 0
if tokens < 1 then wait = (1 - tokens) / rate else tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 's', tostring(moment))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RedisLimiter:
    """Token buckets in Redis, shared by every process that uses the same Redis."""

    def __init__(self, url: str, *, rate: float, burst: int, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script: Any = self._redis.register_script(_BUCKET_SCRIPT)
        self.rate, self.burst, self._prefix = rate, burst, prefix

    def take(self, key: str) -> float | None:
        wait = float(self._script(keys=[self._prefix + key], args=[self.rate, self.burst]))
        return wait if wait > 0 else None


def limiter(
    *, rate: float, burst: int, redis_url: str, prefix: str, share: Callable[[], int]
) -> Limiter:
    if redis_url:
        return RedisLimiter(redis_url, rate=rate, burst=burst, prefix=prefix)
    return MemoryLimiter(rate=rate, burst=burst, share=share)


def retry_after_header(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}
