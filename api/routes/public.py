"""Routes outside /v1 that need no token: discovery, health, metrics. (The API docs at /docs
are the console's: console/docs.py.)"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from api.context import runtime, units
from api.metrics import CONTENT_TYPE, exposition, may_scrape
from api.problems import problem_response
from auth.scopes import SCOPES_BY_ROLE

router = APIRouter(include_in_schema=False)


@router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> Response:
    keys = await run_in_threadpool(runtime(request).signing_keys.jwks)
    return JSONResponse(keys, headers={"Cache-Control": "public, max-age=60"})


@router.get("/.well-known/oauth-authorization-server")
def metadata(request: Request) -> Response:
    issuer = runtime(request).settings.issuer
    methods = ["private_key_jwt", "client_secret_basic"]
    return JSONResponse(
        {
            "issuer": issuer,
            "token_endpoint": f"{issuer}/v1/oauth/token",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "revocation_endpoint": f"{issuer}/v1/oauth/revoke",
            "introspection_endpoint": f"{issuer}/v1/oauth/introspect",
            "grant_types_supported": ["client_credentials"],
            "response_types_supported": [],
            "token_endpoint_auth_methods_supported": methods,
            "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
            "revocation_endpoint_auth_methods_supported": methods,
            "introspection_endpoint_auth_methods_supported": methods,
            "scopes_supported": sorted({s for scopes in SCOPES_BY_ROLE.values() for s in scopes}),
            "service_documentation": f"{issuer}/docs",
        },
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/health")
async def health() -> Response:
    return JSONResponse({"status": "ok"})


@router.get("/ready")
async def ready(request: Request) -> Response:
    try:
        await units(request).probe()
    except Exception:
        return problem_response(503, "not_ready", "the database is not reachable or full")
    return JSONResponse({"status": "ready"})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    token = runtime(request).settings.metrics_token
    if not may_scrape(request.client.host if request.client else None, request.headers, token):
        # The same answer as for a path that does not exist: nothing says metrics are here.
        raise HTTPException(status_code=404)
    return Response(exposition(), media_type=CONTENT_TYPE)
