"""A real uvicorn server for an application, on a free port in a thread: what concurrent
clients, slow peers and the event loop's own behaviour are tested against."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from tests.receiver import free_port


@contextmanager
def serving(app: FastAPI, *, trusted_proxies: str = "") -> Iterator[str]:
    """The base URL of `app` served by uvicorn until the block ends, configured as
    `wijkdeel serve` configures it (X-Forwarded-For only from `trusted_proxies`)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            proxy_headers=bool(trusted_proxies),
            forwarded_allow_ips=trusted_proxies,
        )
    )
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
