"""One deadline for the whole exchange of a webhook attempt.

httpx's timeouts hold per phase and per read, so a receiver that trickles its status line and
headers a byte at a time keeps a sending slot for as long as it likes. Here an attempt has one
deadline, from the first name lookup to the last header byte: every connect, TLS handshake, read
and write gets only the time that is left, and a watchdog shuts the attempt's sockets down when
the deadline passes - which also cuts a single blocking call that the per-call timeouts cannot
(a TLS handshake makes several reads under one timeout).

The attempt is found through a thread-local: httpcore runs a request's I/O on the thread that
sent it, and each delivery runs on a thread of its own.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore


class Attempt:
    """The deadline of one request and the sockets it has used so far."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._done = False
        self._lock = threading.Lock()
        # Duplicates of the sockets' descriptors, owned here: shutting one down cuts the
        # connection whatever wraps the original (an SSLSocket takes it over mid-handshake),
        # and it cannot be closed and reused for another connection while it is held.
        self._handles: dict[int, socket.socket] = {}

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def watch(self, stream: httpcore.NetworkStream) -> None:
        key = id(stream)
        if key in self._handles:
            return
        sock = stream.get_extra_info("socket")
        if not isinstance(sock, socket.socket) or sock.fileno() < 0:
            return
        handle = socket.fromfd(sock.fileno(), sock.family, sock.type)
        with self._lock:
            if self._done:
                handle.close()
                return
            self._handles[key] = handle
            if self.expired:
                _shut(handle)

    def expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for handle in self._handles.values():
                _shut(handle)

    def finish(self) -> None:
        with self._lock:
            self._done = True
            handles, self._handles = list(self._handles.values()), {}
        for handle in handles:
            handle.close()

    @property
    def done(self) -> bool:
        return self._done


def _shut(handle: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer or by httpcore
        handle.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """One thread that expires attempts at their deadlines."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._queue: list[tuple[float, int, Attempt]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, attempt: Attempt) -> None:
        with self._changed:
            heapq.heappush(self._queue, (attempt.deadline, next(self._order), attempt))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="wijkdeel-webhook-deadlines", daemon=True
                )
                self._thread.start()
            self._changed.notify()

    def _run(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                while self._queue and (self._queue[0][2].done or self._queue[0][0] <= now):
                    attempt = heapq.heappop(self._queue)[2]
                    if not attempt.done:
                        attempt.expire()
                wait = self._queue[0][0] - now if self._queue else None
                self._changed.wait(wait)


_WATCHDOG = Watchdog()
_current = threading.local()


def current() -> Attempt | None:
    attempt: Attempt | None = getattr(_current, "attempt", None)
    return attempt


@contextmanager
def attempt(seconds: float) -> Iterator[Attempt]:
    """Run one request on this thread under a deadline of `seconds` for the whole exchange."""
    running = Attempt(seconds)
    _current.attempt = running
    _WATCHDOG.add(running)
    try:
        yield running
    finally:
        _current.attempt = None
        running.finish()


def left(timeout: float | None, error: type[Exception]) -> float | None:
    """The time a call may take now: its own timeout, cut to what is left of the attempt's."""
    running = current()
    if running is None:
        return timeout
    remaining = running.remaining()
    if remaining <= 0 or running.expired:
        raise error(f"the attempt's {running.seconds:g} s are up")
    return remaining if timeout is None else min(timeout, remaining)


def resolve(lookup: Callable[[], list[str]]) -> list[str]:
    """Run a name lookup, which has no timeout of its own, within what is left of the attempt;
    a lookup that outlives it is left to finish on its own thread."""
    running = current()
    if running is None:
        return lookup()
    answer: list[list[str]] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            answer.append(lookup())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="wijkdeel-webhook-resolve", daemon=True)
    thread.start()
    thread.join(left(None, httpcore.ConnectTimeout))
    if thread.is_alive():
        raise httpcore.ConnectTimeout(f"the attempt's {running.seconds:g} s are up")
    if failure:
        raise failure[0]
    return answer[0]


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every call gets only what is left of the current attempt, and
    whose socket the attempt's watchdog can shut down."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def _guard(self) -> None:
        running = current()
        if running is not None:
            running.watch(self._inner)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._guard()
        return self._inner.read(max_bytes, left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._guard()
        self._inner.write(buffer, left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        self._guard()
        wrapped = self._inner.start_tls(
            ssl_context, server_hostname, left(timeout, httpcore.ConnectTimeout)
        )
        return DeadlineStream(wrapped)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)
