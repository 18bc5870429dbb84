"""`wijkdeel serve`: the API under uvicorn, in one process or several, with the start and stop
lines an operator reads in the container log."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from wijkdeel import logs
from wijkdeel.runtime import Runtime, build_runtime
from wijkdeel.settings import ConfigurationError, Settings, get_settings

log = logging.getLogger("wijkdeel.server")

# What the processes of `serve --workers N` build their application from (an import string:
# each is a fresh interpreter, started by uvicorn's supervisor).
PROCESS_APP = "wijkdeel.serving:process_app"


@dataclass(frozen=True)
class Plan:
    host: str
    port: int
    processes: int
    background: bool

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def serve(settings: Settings, plan: Plan, runtime: Runtime) -> None:
    """Serve until stopped by a signal. `runtime` is this process's (built from `settings`)."""
    if plan.processes > 1:
        if runtime.db.is_sqlite:
            raise ConfigurationError(
                "--workers needs PostgreSQL: SQLite lets one process write at a time"
            )
        _serve_processes(settings, plan, runtime)
    else:
        _serve_one(plan, runtime)


def _uvicorn_options(plan: Plan, settings: Settings) -> dict[str, Any]:
    return {
        "host": plan.host,
        "port": plan.port,
        # Our own logging: uvicorn must neither replace it nor write its own access lines.
        "log_config": None,
        "access_log": False,
        # X-Forwarded-For names the caller only when the peer is a proxy the operator trusts;
        # from anyone else it is ignored (the audit log's `ip` is the socket's peer).
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": settings.trusted_proxies,
        "server_header": False,
    }


class _Server(uvicorn.Server):
    """uvicorn's server, saying so once it really listens and once it has stopped."""

    def __init__(self, config: uvicorn.Config, plan: Plan, runtime: Runtime) -> None:
        super().__init__(config)
        self._plan, self._runtime = plan, runtime

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            _started(self._plan, self._runtime)

    async def shutdown(self, sockets: Any = None) -> None:
        # Here, not after run(): uvicorn re-raises the signal that stopped it once it is done.
        await super().shutdown(sockets)
        _stopped(self._plan)


def _serve_one(plan: Plan, runtime: Runtime) -> None:
    from api.app import create_app

    application = create_app(runtime, run_worker=plan.background)
    config = uvicorn.Config(application, **_uvicorn_options(plan, runtime.settings))
    server = _Server(config, plan, runtime)
    server.run()
    if not server.started:
        raise SystemExit(1)  # uvicorn logged why (e.g. the port is taken)


def _serve_processes(settings: Settings, plan: Plan, runtime: Runtime) -> None:
    from wijkdeel.worker import BackgroundWorker

    # The processes are new interpreters that read their settings from the environment: hand
    # them the issuer this process worked out from the address.
    os.environ["WIJKDEEL_ISSUER"] = settings.issuer
    config = uvicorn.Config(
        PROCESS_APP, factory=True, workers=plan.processes, **_uvicorn_options(plan, settings)
    )
    sock = config.bind_socket()
    # Background work runs once, here in the supervisor, however many processes serve.
    worker = BackgroundWorker(runtime) if plan.background else None
    if worker:
        worker.start()
    _started(plan, runtime)
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        if worker:
            worker.stop()
        sock.close()
        _stopped(plan)


def _started(plan: Plan, runtime: Runtime) -> None:
    settings = runtime.settings
    log.info(
        "wijkdeel listening",
        extra=logs.fields(
            address=plan.address,
            issuer=settings.issuer,
            database=runtime.db.dialect,
            databaseLocation=runtime.db.url.render_as_string(hide_password=True),
            worker="on" if plan.background else "off",
            processes=plan.processes,
            environment=settings.env,
        ),
    )


def _stopped(plan: Plan) -> None:
    log.info("wijkdeel stopped", extra=logs.fields(address=plan.address))


def process_app() -> FastAPI:
    """The application of one of several serving processes (background work runs in their
    supervisor, not here)."""
    from api.app import create_app

    settings = get_settings()
    logs.configure(level=settings.log_level, form=settings.log_form)
    return create_app(build_runtime(settings), run_worker=False)
