"""10,000 webhook deliveries to a loopback receiver by 2 `wijkdeel worker` processes.

Guarded: it runs once `notifications.outbox` exists, and reports "not available yet" before.
The wijkteam subscribes to `signal.created` (`POST /v1/subscriptions`) with the receiver's URL;
the N events are enqueued with `notifications.outbox.emit` — what `POST /v1/signals` calls in its
transaction — in transactions of 1,000 (seconds instead of the minutes N signals over HTTP take;
should `emit` change its signature, the bench falls back to sending N signals through
`POST /v1/signals`). The server runs `--no-worker`, so nothing is delivered until two
`wijkdeel worker` processes start; the clock runs from their start until the receiver has seen
every `webhook-id`. The receiver checks each Standard Webhooks signature and counts duplicates.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from bench import load
from bench.load import LoadSpec
from bench.report import Figure
from bench.seed import World
from bench.server import free_port
from bench.stack import wijkdeel_only

TARGET_SECONDS = 60.0
WORKERS = 2


def available() -> bool:
    try:
        import notifications.outbox  # noqa: F401
    except ImportError:
        return False
    return True


class Receiver:
    """A tiny HTTP/1.1 server on 127.0.0.1 in a thread: 204 to every POST, counting ids."""

    def __init__(self) -> None:
        self.port = free_port()
        self.ids: set[str] = set()
        self.received = 0
        self.bad_signatures = 0
        self.secret: bytes | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="bench-receiver", daemon=True)
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the webhook receiver did not start")

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._connection, "127.0.0.1", self.port)
        self._ready.set()
        async with server:
            await self._stop.wait()

    def _verify(self, headers: dict[str, str], body: bytes) -> bool:
        if self.secret is None:
            return True
        message = f"{headers.get('webhook-id')}.{headers.get('webhook-timestamp')}.".encode() + body
        expected = base64.b64encode(hmac.new(self.secret, message, hashlib.sha256).digest())
        offered = [s.split(",", 1)[-1] for s in headers.get("webhook-signature", "").split()]
        return any(hmac.compare_digest(expected, s.encode()) for s in offered)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.received += 1
                if not self._verify(headers, body):
                    self.bad_signatures += 1
                webhook_id = headers.get("webhook-id")
                if webhook_id:
                    self.ids.add(webhook_id)
                writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


def _enqueue_direct(url: str, partner: str, count: int) -> int:
    """`count` signal.created events for `partner` through the outbox's own `emit`."""
    from datetime import UTC, datetime

    from notifications.outbox import emit
    from records.db import Database
    from records.ids import time_ordered_id
    from wijkdeel.settings import Settings

    attempts = len(str(Settings.model_fields["webhook_schedule"].default).split(","))
    database = Database(url)
    try:
        for start in range(0, count, 1000):
            with database.session() as session:
                for _ in range(min(1000, count - start)):
                    now = datetime.now(UTC)
                    data = {
                        "signalId": time_ordered_id(now),
                        "category": "opvoeding",
                        "urgency": "normal",
                        "sender": "kinderwerk-noord",
                        "purpose": "signalering",
                    }
                    emit(
                        session,
                        type="signal.created",
                        partner=partner,
                        data=data,
                        now=now,
                        max_attempts=attempts,
                    )
    finally:
        database.dispose()
    return count


def _enqueue_http(world: World, count: int) -> int:
    """`count` signals through POST /v1/signals: one signal.created each for the wijkteam."""
    result = load.run(
        LoadSpec(
            "insert",
            world.base,
            "/v1/signals",
            requests=count,
            headers=world.writer_headers(),
            force_asyncio=True,
            timeout=60,
        )
    )
    return result.ok


def _stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)
    for worker in workers:
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)


def figure(backend: str, workdir: Path, *, events: int, timeout: float) -> Figure:
    name = f"{events:,} webhook deliveries to loopback, {WORKERS} workers ({backend})"
    target = f"≤ {TARGET_SECONDS:.0f} s, none lost"
    if not available():
        return Figure(name, "not available yet (notifications.outbox missing)", target, "n/a")
    receiver = Receiver()
    receiver.start()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with wijkdeel_only(
            backend,
            workdir,
            signals=1,
            name="wijkdeel_bench_webhooks",
            extra_env={"WIJKDEEL_WEBHOOK_ALLOW_PRIVATE": "1"},
        ) as (installation, _service, world):
            answer = httpx.post(
                f"{world.base}/v1/subscriptions",
                json={"url": receiver.url, "events": ["signal.created"]},
                headers=world.reader_headers(),
                timeout=30,
            )
            if answer.status_code != 201:
                raise RuntimeError(
                    f"POST /v1/subscriptions: {answer.status_code} {answer.text[:300]}"
                )
            secret = str(answer.json()["secret"])
            receiver.secret = base64.b64decode(secret.removeprefix("whsec_"))
            clock = time.perf_counter()
            try:
                expected = _enqueue_direct(installation.db.url, "wijkteam-noord", events)
                how = "notifications.outbox.emit"
            except (TypeError, AttributeError, ImportError) as error:
                print(f"    emit unusable ({error}); enqueueing over HTTP", file=sys.stderr)
                expected = _enqueue_http(world, events)
                how = "POST /v1/signals"
            enqueue_s = time.perf_counter() - clock
            print(
                f"    webhooks ({backend}): {expected:,} signal.created events enqueued with "
                f"{how} in {enqueue_s:.1f} s",
                file=sys.stderr,
            )
            before = len(receiver.ids)  # nothing is delivered before the workers start
            started = time.perf_counter()
            for n in range(WORKERS):
                workers.append(
                    installation.popen("worker", log=installation.workdir / f"worker-{n}.log")
                )
            deadline = started + timeout
            while len(receiver.ids) - before < expected and time.perf_counter() < deadline:
                if any(w.poll() is not None for w in workers):
                    raise RuntimeError(
                        "a `wijkdeel worker` exited early; see its log in the run dir"
                    )
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            time.sleep(2)  # late duplicates
            _stop_workers(workers)
    finally:
        _stop_workers(workers)
        receiver.stop()
    delivered = len(receiver.ids)
    lost = max(0, expected - delivered)
    met = elapsed <= TARGET_SECONDS and lost == 0 and receiver.bad_signatures == 0
    return Figure(
        name,
        f"{elapsed:.1f} s, {delivered:,}/{expected:,} delivered, {lost} lost, "
        f"{receiver.received - delivered} duplicates, {receiver.bad_signatures} bad signatures",
        target,
        "yes" if met else "no",
        None,
        {
            "seconds": elapsed,
            "expected": expected,
            "delivered_unique": delivered,
            "received": receiver.received,
            "bad_signatures": receiver.bad_signatures,
            "enqueued_with": how,
            "enqueue_s": enqueue_s,
        },
    )
