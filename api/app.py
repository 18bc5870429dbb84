"""The application factory: the /v1 API mounted under a root that serves discovery and health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from api import problems
from api.middleware import RequestEnvelope
from api.openapi import build_openapi
from api.ratelimit import RateLimiter
from api.routes import (
    agreements,
    audit,
    consents,
    decisions,
    me,
    notifications,
    oauth,
    partners,
    public,
    signals,
)
from wijkdeel import __version__
from wijkdeel.runtime import Runtime, build_runtime
from wijkdeel.worker import BackgroundWorker

TAGS = [
    {"name": "oauth", "description": "tokens for partner systems, administrators and auditors"},
    {"name": "partners", "description": "the partner registry and client credentials (admin)"},
    {"name": "agreements", "description": "sharing agreements (convenanten) and decisions"},
    {"name": "consents", "description": "consent records: recorded once, withdrawn by an event"},
    {"name": "signals", "description": "care signals, shared under agreements, bound to a purpose"},
    {"name": "notifications", "description": "signed webhooks (Standard Webhooks) to partners"},
    {"name": "audit", "description": "the tamper-evident audit log, for auditors"},
]


def create_v1(runtime: Runtime) -> FastAPI:
    v1 = FastAPI(
        title="wijkdeel",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        openapi_tags=TAGS,
    )
    v1.state.runtime = runtime
    for router in (
        oauth.router,
        me.router,
        partners.router,
        agreements.router,
        decisions.router,
        consents.router,
        signals.router,
        notifications.router,
        audit.router,
    ):
        v1.include_router(router)
    problems.install(v1)
    document: dict[str, Any] = {}

    @v1.get("/openapi.json", include_in_schema=False)
    async def openapi_document() -> Response:
        if not document:
            document.update(build_openapi(v1, server_url=f"{runtime.settings.issuer}/v1"))
        return JSONResponse(document, headers={"Access-Control-Allow-Origin": "*"})

    return v1


def create_app(runtime: Runtime | None = None, *, run_worker: bool = False) -> FastAPI:
    runtime = runtime or build_runtime()
    runtime.warm()
    worker = BackgroundWorker(runtime) if run_worker else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if worker:
            worker.start()
        try:
            yield
        finally:
            if worker:
                worker.stop()

    app = FastAPI(
        title="wijkdeel",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    v1 = create_v1(runtime)
    limiter = RateLimiter(rate=runtime.settings.rate_limit, burst=runtime.settings.rate_burst)
    app.state.rate_limiter = v1.state.rate_limiter = limiter
    app.include_router(public.router)
    app.mount("/v1", v1)
    problems.install(app)
    app.add_middleware(RequestEnvelope, api_version=__version__)

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        return JSONResponse(
            {
                "name": "wijkdeel",
                "version": __version__,
                "openapi": "/v1/openapi.json",
                "docs": "/docs",
            }
        )

    return app
