"""One pure ASGI middleware for what every response needs: ids, version, size limit, metrics,
and the access log line."""

from __future__ import annotations

import ipaddress
import logging
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.context import STATE_KEY, RequestContext, request_id_from
from api.metrics import observe_request, route_template
from api.problems import log_unexpected, problem_response

MAX_BODY_BYTES = 1024 * 1024
access_log = logging.getLogger("wijkdeel.access")
# The method comes from the caller as any token it likes; log only the ones HTTP defines.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, "the request body is larger than 1 MiB")


class RequestEnvelope:
    def __init__(self, app: ASGIApp, *, api_version: str) -> None:
        self.app = app
        self.version_header = (b"api-version", api_version.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        client = scope.get("client")
        ctx = RequestContext(
            request_id_from(_decode(headers.get(b"x-request-id"))),
            address_of(client[0] if client else None),
        )
        scope[STATE_KEY] = ctx
        id_header = (b"x-request-id", ctx.request_id.encode())
        status = 500
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise BodyTooLarge()
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                ctx.response_started = True
                message["headers"] = [*message.get("headers", []), self.version_header, id_header]
            await send(message)

        try:
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                too_large = problem_response(
                    413, "payload_too_large", "the request body is larger than 1 MiB"
                )
                await too_large(scope, receive, send_with_headers)
            else:
                await self.app(scope, limited_receive, send_with_headers)
        except Exception as exc:
            # Handled here so the server never logs the exception's message (it may hold data).
            if not ctx.logged:
                log_unexpected(exc, ctx.request_id)
            if not ctx.response_started:
                failure = problem_response(500, "server_error", "something went wrong on our side")
                await failure(scope, receive, send_with_headers)
        finally:
            seconds = time.perf_counter() - started
            template = route_template(scope)
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            observe_request(method, template, status, seconds)
            if access_log.isEnabledFor(logging.INFO):
                _log_access(ctx, method, template, status, seconds)


def _log_access(
    ctx: RequestContext, method: str, template: str, status: int, seconds: float
) -> None:
    """One line per request. The route template, never the path: paths hold ids, and a
    caller may put anything in one."""
    client_id = ctx.caller.client_id if ctx.caller else None
    if client_id is None and ctx.draft is not None:
        client_id = ctx.draft.client_id  # the token endpoint knows its client without a token
    access_log.info(
        "request",
        extra={
            "requestId": ctx.request_id,
            "method": method,
            "route": template,
            "status": status,
            "durationMs": round(seconds * 1000, 1),
            "clientId": client_id,
        },
    )


def address_of(host: str | None) -> str | None:
    """The peer's address as the audit log records it: an IP address, or nothing. (uvicorn puts
    X-Forwarded-For here only from WIJKDEEL_TRUSTED_PROXIES; whatever it holds is checked.)"""
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _decode(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None
