"""problem+json (RFC 9457) for every error, and the audit event a refused request leaves."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from typing import Any

import anyio.to_thread
import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from api.context import bearer_token, context, draft, runtime, units
from audit.events import Outcome
from auth import jwt
from core.errors import DomainError

log = logging.getLogger("wijkdeel.api")

PROBLEM_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    410: "Gone",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class ProblemResponse(Response):
    media_type = PROBLEM_TYPE

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    reasons: Sequence[str] = (),
    invalid_params: Sequence[dict[str, str]] = (),
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": f"urn:wijkdeel:problem:{code}",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if reasons:
        body["reasons"] = list(reasons)
    if invalid_params:
        body["invalidParams"] = list(invalid_params)
    return ProblemResponse(body, status_code=status, headers=headers)


def _field_name(loc: Sequence[Any]) -> str:
    name = ""
    for part in loc[1:]:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or str(loc[0])


def validation_params(errors: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """Name each failing field and rule; the submitted value is never echoed back."""
    return [
        {
            "in": str(error["loc"][0]) if error.get("loc") else "body",
            "name": _field_name(error.get("loc") or ("body",)),
            "code": str(error.get("type", "invalid")),
            "reason": str(error.get("msg", "is invalid")),
        }
        for error in errors
    ]


async def audit_refusal(request: Request, status: int, reason: str) -> None:
    """A request refused before or outside its unit of work (a malformed body, an unknown path)
    still leaves its deny (4xx) or error (5xx) event; one nobody can be named for is counted."""
    event = draft(request)
    if event.settled:
        return
    token = bearer_token(request)
    if event.client_id is None and token is not None:
        # In a thread: a verification may re-read the published keys.
        await anyio.to_thread.run_sync(_identify, request, token)
    outcome: Outcome = "error" if status >= 500 else "deny"
    try:
        await units(request).settle(event, outcome, reason)
    except Exception as exc:
        log.error(
            "no audit event for refused request %s: %s", context(request).request_id,
            type(exc).__name__,
        )  # fmt: skip


def _identify(request: Request, token: str) -> None:
    """Fill in who called from a token whose signature holds, even if it is otherwise refused."""
    rt = runtime(request)
    try:
        claims = rt.verifier.verify(token, rt.now())
    except jwt.TokenError:
        return
    draft(request).who(
        client_id=claims["client_id"],
        partner=claims["partner"],
        role=claims["role"],
        purpose=claims.get("purpose"),
    )


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    reason = ",".join(exc.reasons) if exc.reasons else exc.code
    await audit_refusal(request, exc.status, reason)
    return problem_response(
        exc.status,
        exc.code,
        exc.detail,
        title=exc.title,
        reasons=exc.reasons,
        invalid_params=exc.invalid_params,
        headers=exc.headers,
    )


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    params = validation_params(errors)
    if any(error.get("type") == "json_invalid" for error in errors):
        status, code, detail = 400, "malformed_json", "the request body is not valid JSON"
        params = [{"in": "body", "name": "body", "code": "json_invalid", "reason": "not JSON"}]
    elif all(param["in"] != "body" for param in params):
        status, code, detail = 400, "invalid_parameter", "a parameter is invalid"
    else:
        status, code, detail = 422, "validation_failed", "the request body is invalid"
    await audit_refusal(request, status, code)
    return problem_response(status, code, detail, invalid_params=params)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    code = HTTP_CODES.get(status, "bad_request" if status < 500 else "server_error")
    detail = {
        404: "there is nothing at this path",
        405: "this method is not allowed on this path",
    }.get(status, str(exc.detail))
    await audit_refusal(request, status, code)
    return problem_response(status, code, detail, headers=dict(exc.headers or {}))


def log_unexpected(exc: BaseException, request_id: str) -> None:
    """Log where it failed, not the message: driver errors can carry the values they got."""
    stack = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unexpected %s in request %s\n%s", type(exc).__name__, request_id, stack)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    ctx = context(request)
    log_unexpected(exc, ctx.request_id)
    ctx.logged = True
    await audit_refusal(request, 500, "server_error")
    return problem_response(500, "server_error", "something went wrong on our side")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
