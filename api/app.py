"""The application factory: the /v1 API mounted under a root that serves discovery and health."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import JSONResponse, Response

from api import metrics, problems
from api.middleware import RequestEnvelope
from api.openapi import build_openapi, operation_id
from api.ratelimit import limiter
from api.routes import (
    acceptances,
    agreements,
    audit,
    consents,
    decisions,
    matches,
    me,
    notifications,
    oauth,
    partners,
    public,
    register,
    rights,
    signals,
    statistics,
    subject_access,
)
from console.app import install as install_console
from wijkdeel import __version__
from wijkdeel.census import Census
from wijkdeel.runtime import Runtime, build_runtime
from wijkdeel.unit import Units
from wijkdeel.worker import BackgroundWorker

API_PREFIX = "/v1"

TAGS = [
    {"name": "oauth", "description": "tokens for partner systems, administrators and auditors"},
    {"name": "partners", "description": "the partner registry and client credentials (admin)"},
    {"name": "agreements", "description": "sharing agreements (convenanten) and decisions"},
    {"name": "consents", "description": "consent records: recorded once, withdrawn by an event"},
    {"name": "signals", "description": "care signals, shared under agreements, bound to a purpose"},
    {"name": "matches", "description": "two or more signals about a child, and who coordinates"},
    {"name": "notifications", "description": "signed webhooks (Standard Webhooks) to partners"},
    {"name": "audit", "description": "the tamper-evident audit log, for auditors"},
    {"name": "subjects", "description": "the rights of the child and parent: the access report"},
    {"name": "register", "description": "the register of processing (AVG art. 30)"},
    {"name": "statistics", "description": "figures for the policymaker, small numbers hidden"},
]


def create_app(runtime: Runtime | None = None, *, run_worker: bool = False) -> FastAPI:
    runtime = runtime or build_runtime()
    runtime.bootstrap()
    worker = BackgroundWorker(runtime) if run_worker else None
    units = runtime.units
    census = Census(runtime)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Enough threads for every database slot and the other work that runs in a thread, so
        # no admitted unit of work ever waits for one (the settings check the sum).
        threads = anyio.to_thread.current_default_thread_limiter()
        threads.total_tokens = runtime.settings.threadpool_size
        await anyio.to_thread.run_sync(census.start)
        if worker:
            worker.start()
        counting = asyncio.create_task(_count_refusals(units))
        watching = asyncio.create_task(metrics.watch_event_loop())
        try:
            yield
        finally:
            counting.cancel()
            watching.cancel()
            with contextlib.suppress(Exception):
                await units.flush_refusals(everything=True)
            if worker:
                worker.stop()
            await anyio.to_thread.run_sync(census.stop)

    # One application, the API under /v1 by router prefix: a mounted sub-application would
    # put a second middleware stack on every request.
    app = FastAPI(
        title="wijkdeel",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        openapi_tags=TAGS,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.state.runtime = runtime
    app.state.units = units
    settings = runtime.settings
    app.state.census = census
    app.state.rate_limiter = limiter(
        rate=settings.rate_limit,
        burst=settings.rate_burst,
        redis_url=settings.redis_url,
        prefix="wijkdeel:rate:client:",
        share=census.processes,
    )
    # Token requests per source address, before any client is known (argon2 is dear).
    app.state.source_limiter = limiter(
        rate=settings.token_source_rate,
        burst=settings.token_source_burst,
        redis_url=settings.redis_url,
        prefix="wijkdeel:rate:source:",
        share=census.processes,
    )
    app.include_router(public.router)
    # The signal routes first: route matching walks the list, and they carry the load.
    for router in (
        signals.router,
        matches.router,
        rights.router,
        oauth.router,
        me.router,
        partners.router,
        agreements.router,
        acceptances.router,
        decisions.router,
        consents.router,
        notifications.router,
        audit.router,
        subject_access.router,
        register.router,
        statistics.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    install_console(app, runtime)
    problems.install(app)
    app.add_middleware(RequestEnvelope, api_version=__version__)
    document: dict[str, Any] = {}
    # Under /v1 like every API route, so its route template (metrics, access log) is the same
    # kind of thing as theirs.
    contract = APIRouter(include_in_schema=False)

    @contract.get("/openapi.json")
    async def openapi_document() -> Response:
        if not document:
            document.update(
                build_openapi(
                    app,
                    prefix=API_PREFIX,
                    server_url=runtime.settings.issuer + API_PREFIX,
                    token_url=runtime.settings.token_endpoint,
                )
            )
        return JSONResponse(document, headers={"Access-Control-Allow-Origin": "*"})

    app.include_router(contract, prefix=API_PREFIX)

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        return JSONResponse(
            {
                "name": "wijkdeel",
                "version": __version__,
                "openapi": f"{API_PREFIX}/openapi.json",
                "docs": "/docs",
                "console": "/console",
            }
        )

    return app


REFUSAL_FLUSH_SECONDS = 15.0


async def _count_refusals(units: Units) -> None:
    """Write the counts of anonymous refusals once their minute is over, also when no new
    refusal arrives to trigger it."""
    while True:
        await asyncio.sleep(REFUSAL_FLUSH_SECONDS)
        with contextlib.suppress(Exception):
            await units.flush_refusals()
