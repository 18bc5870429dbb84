"""Wiring the console into the application: its routers, its static files, its error pages."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from console import (
    acceptance,
    account,
    agreements,
    audit_log,
    decisions,
    docs,
    partners,
    people,
    sign_in,
    start,
    subject_access,
    webhooks,
)
from console.auth import ConsoleInterrupt, csrf_for, current, runtime_of
from console.pages import render
from people.oidc import RelyingParty
from wijkdeel.runtime import Runtime


class Static(StaticFiles):
    """The console's and the API docs' assets; nothing else is served from /static."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "public, max-age=3600"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        return response


async def _interrupted(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleInterrupt)
    return exc.response


def install(app: FastAPI, runtime: Runtime) -> None:
    app.state.relying_party = (
        RelyingParty(runtime.settings) if runtime.settings.oidc_enabled else None
    )
    for module in (
        sign_in,
        start,
        account,
        people,
        docs,
        audit_log,
        partners,
        agreements,
        decisions,
        webhooks,
        subject_access,
        acceptance,
    ):
        app.include_router(module.router)

    @app.get("/console/{rest:path}", include_in_schema=False)
    async def not_found(request: Request, rest: str) -> Response:
        actor = await current(request)
        return render(
            request,
            runtime_of(request),
            "error.html",
            title="Niet gevonden",
            actor=actor,
            csrf=csrf_for(request) if actor else None,
            status=404,
            heading="Niet gevonden",
            message="Deze pagina bestaat niet.",
        )

    app.mount("/static", Static(packages=[("console", "static")]), name="static")
    app.add_exception_handler(ConsoleInterrupt, _interrupted)
