"""A real webhook receiver on 127.0.0.1 for tests: records every delivery, answers as told."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    port: int
    answers: list[int] = field(default_factory=list)  # status codes to answer in turn, then 204
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: Counter[str] = field(default_factory=Counter)
    overlaps: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received]

    def accepted_ids(self) -> set[str]:
        return {
            r.headers["webhook-id"] for r in self.received if r.headers.get("x-answered") == "2xx"
        }

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def receiving(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            message = headers.get("webhook-id", "")
            with receiver.lock:
                receiver.in_flight[message] += 1
                if receiver.in_flight[message] > 1:
                    receiver.overlaps.append(message)
                status = receiver.answers.pop(0) if receiver.answers else 204
            if receiver.delay:
                time.sleep(receiver.delay)
            headers["x-answered"] = "2xx" if 200 <= status < 300 else str(status)
            with receiver.lock:
                receiver.received.append(Received(headers, body, time.monotonic()))
                receiver.in_flight[message] -= 1
            self.send_response(status)
            for name, value in receiver.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Connection:
    accepted_at: float
    closed_at: float | None = None
    sent: int = 0


@dataclass
class Trickler:
    """A receiver that never finishes answering in time: it reads the request, sends `prefix`
    at once, then one byte of `trickle` every `interval` seconds (each read on the client side
    returns well within a per-read timeout), and notes when the client hangs up."""

    interval: float = 0.2
    prefix: bytes = b""
    trickle: bytes = b"HTTP/1.1 200 OK\r\nx-slow: " + b"a" * 400 + b"\r\ncontent-length: 0\r\n\r\n"
    http: bool = True  # read a whole HTTP request first; otherwise whatever arrives first
    port: int = 0
    connections: list[Connection] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.connections) < count and time.monotonic() < deadline:
            time.sleep(0.02)

    def serve(self, conn: socket.socket, seen: Connection) -> None:
        with conn:
            try:
                self._read_request(conn)
                conn.sendall(self.prefix)
                for byte in self.trickle:
                    readable, _, _ = select.select([conn], [], [], self.interval)
                    if readable and not conn.recv(4096):
                        break  # the client hung up
                    conn.sendall(bytes([byte]))
                    seen.sent += 1
            except OSError:
                pass
            seen.closed_at = time.monotonic()

    def _read_request(self, conn: socket.socket) -> None:
        data = conn.recv(65536)
        if not self.http:
            return
        while b"\r\n\r\n" not in data:
            more = conn.recv(65536)
            if not more:
                return
            data += more
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            more = conn.recv(65536)
            if not more:
                return
            body += more


@contextmanager
def trickling(trickler: Trickler) -> Iterator[Trickler]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)  # so the accepting thread sees `stopping`
    trickler.port = int(listener.getsockname()[1])
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            seen = Connection(time.monotonic())
            trickler.connections.append(seen)
            threading.Thread(target=trickler.serve, args=(conn, seen), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield trickler
    finally:
        stopping.set()
        thread.join(timeout=5)
        listener.close()
