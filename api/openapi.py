"""The OpenAPI document: FastAPI's, completed so it passes the Dutch API Design Rules linter.

Every 2xx answer declares the API-Version and X-Request-ID headers; every 4xx/5xx answer is
problem+json; every operation that takes input declares 400.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from api.schemas.common import Problem
from api.schemas.oauth import OAuthErrorBody
from auth.scopes import SCOPES_BY_ROLE
from wijkdeel import __version__

CONTACT = {
    "name": "wijkdeel beheer",
    "email": "beheer@wijkdeel.example.nl",
    "url": "https://wijkdeel.example.nl/contact",
}
DESCRIPTION = """\
wijkdeel lets neighbourhood partners (kinderwerk, schools, wijkteams, jongerenwerk) share care
signals about children lawfully: under sharing agreements the municipality writes, with consent
where the law asks for it, every access bound to one purpose, content encrypted per field, and
every request in a tamper-evident audit log.

Authenticate with an access token from `POST /v1/oauth/token` (client credentials; see
`/.well-known/oauth-authorization-server`). Errors are `application/problem+json` (RFC 9457)
with a stable `code`; policy denials add `reasons`. Each operation's `x-audit-action` names the
audit event it leaves.
"""
HEADERS = {
    "API-Version": {
        "description": "the full version of the API that answered",
        "schema": {"type": "string", "example": __version__},
    },
    "X-Request-ID": {
        "description": "the request's id: the one sent, or a new one; also in the audit log",
        "schema": {"type": "string"},
    },
}
DEFAULT_ERRORS = {
    "400": "the request is malformed (bad JSON, a bad parameter)",
    "401": "no access token, or one that is invalid, expired or revoked",
    "403": "the token lacks the scope, or the policy denies (see `reasons`)",
    "404": "there is nothing here, or nothing the caller may know of",
    "413": "the request body is larger than 1 MiB",
    "422": "the body breaks a rule (see `invalidParams`); unknown fields are refused too",
    "429": "too many requests from this client; see Retry-After",
    "500": "something went wrong on our side (the problem's instance names the request)",
    "503": "the service is full or its database is out of reach: try again after Retry-After "
    "(problem code `overloaded`)",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
SCOPE_DESCRIPTIONS = {
    "signals:read": "read signals shared with the partner, under the token's purpose",
    "signals:write": "send, update and erase the partner's signals",
    "consents:read": "read consents the partner recorded",
    "consents:write": "record and withdraw consents",
    "subscriptions": "manage webhook subscriptions",
    "admin": "the municipality's administration: partners, clients, agreements",
    "audit:read": "read and verify the audit log",
    "subjects:access": "the access report about a child for a parent (GDPR art. 15)",
    "statistics:read": "read the figures for the policymaker (small numbers hidden)",
}
# Where a handler's name alone makes a poor operationId for a generated client.
OPERATION_IDS = {
    "token": "getToken",
    "revoke": "revokeToken",
    "introspect": "introspectToken",
    "me": "readMe",
    "explain": "explainDecision",
    "list_events": "listAuditEvents",
    "verify_chain": "verifyAuditChain",
    "subject_report": "createSubjectReport",
    "subject_access": "createSubjectAccessReport",
    "rotate_secret": "rotateSubscriptionSecret",
}


def operation_id(route: APIRoute) -> str:
    """The operationId of a route: its handler's name in lowerCamelCase (`list_signals` →
    `listSignals`), so generated clients get methods a person would write."""
    if route.name in OPERATION_IDS:
        return OPERATION_IDS[route.name]
    head, *rest = re.split(r"_+", route.name.strip("_"))
    return head + "".join(word.capitalize() for word in rest)


def build_openapi(app: FastAPI, *, prefix: str, server_url: str, token_url: str) -> dict[str, Any]:
    """The document of the routes under `prefix`, with paths relative to the server URL (which
    carries the major version, as the design rules ask). Operations that take a token accept
    it as a bearer token or from the oauth2 client credentials flow at `token_url` (so
    Swagger UI's Authorize can fetch one)."""
    document = get_openapi(
        title="wijkdeel",
        version=__version__,
        openapi_version="3.1.0",
        summary="Lawful sharing of care signals about children between neighbourhood partners",
        description=DESCRIPTION,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=[{"url": server_url, "description": "this service"}],
        contact=CONTACT,
        license_info={"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
    )
    document["paths"] = {
        path.removeprefix(prefix): operations
        for path, operations in document.get("paths", {}).items()
        if path.startswith(prefix + "/")
    }
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    schemas["OAuthErrorBody"] = OAuthErrorBody.model_json_schema()
    components["headers"] = HEADERS
    schemes = components.setdefault("securitySchemes", {})
    scopes = sorted({scope for role in SCOPES_BY_ROLE.values() for scope in role})
    schemes["OAuth2"] = {
        "type": "oauth2",
        "description": "Client credentials: HTTP Basic with a client secret here; "
        "private_key_jwt from code. Partner clients add a `purpose` (use a bearer token).",
        "flows": {
            "clientCredentials": {
                "tokenUrl": token_url,
                "scopes": {scope: SCOPE_DESCRIPTIONS.get(scope, scope) for scope in scopes},
            }
        },
    }
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                _complete(method, operation)
                if operation.get("security"):
                    operation["security"] = [*operation["security"], {"OAuth2": []}]
    return document


def _complete(method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    parameters = operation.get("parameters", [])
    wanted = {"400"} if method in {"post", "put", "patch"} or parameters else set()
    if operation.get("security"):
        wanted |= {"401", "403", "429"}
    if any(parameter.get("in") == "path" for parameter in parameters):
        wanted.add("404")
    if operation.get("requestBody"):
        wanted.add("413")
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        wanted.add("422")
    wanted |= {"500", "503"}
    for code in sorted(wanted):
        responses.setdefault(code, {"description": DEFAULT_ERRORS[code]})
    for code, response in responses.items():
        if code[0] in "23":
            headers = response.setdefault("headers", {})
            for name in HEADERS:
                headers[name] = {"$ref": f"#/components/headers/{name}"}
        elif code[0] in "45":
            if "application/problem+json" not in response.get("content", {}):
                response["content"] = {"application/problem+json": {"schema": PROBLEM_REF}}
            if response.get("description") in (None, "", "Validation Error"):
                response["description"] = DEFAULT_ERRORS.get(code, "error")
