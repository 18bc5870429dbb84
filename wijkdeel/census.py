"""This API process's place in the census: it reports itself every few seconds and learns how
many API processes share the rate limits (api.ratelimit)."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from records import census
from wijkdeel.runtime import Runtime

log = logging.getLogger("wijkdeel.census")

HEARTBEAT_SECONDS = 5.0
# A process that missed this many heartbeats no longer counts.
ALIVE_FOR = timedelta(seconds=HEARTBEAT_SECONDS * 3)


class Census:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.process_id = str(uuid.uuid4())
        self._count = 1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def processes(self) -> int:
        """The API processes alive at the last heartbeat (this one included)."""
        return self._count

    def beat(self) -> None:
        now = self.runtime.now()
        with self.runtime.db.session() as session:
            census.report(session, self.process_id, now)
            census.forget(session, now - ALIVE_FOR * 20)
            self._count = max(1, census.alive(session, now - ALIVE_FOR))

    def start(self) -> None:
        self._stop.clear()
        self.beat()
        self._thread = threading.Thread(target=self._loop, name="wijkdeel-census", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            with self.runtime.db.session() as session:
                census.leave(session, self.process_id)
        except Exception as exc:
            log.warning("could not leave the census: %s", type(exc).__name__)

    def _loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.beat()
            except Exception as exc:
                log.warning("census heartbeat failed: %s", type(exc).__name__)
