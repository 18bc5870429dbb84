"""Per-request state: the request id, who is calling, and the audit draft being filled in."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from starlette.requests import Request

from audit.events import AuditDraft
from auth.caller import Caller
from wijkdeel.runtime import Runtime
from wijkdeel.unit import Units

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Path values recorded in the audit log must be identifiers, never something personal a
# caller put in a URL by mistake.
RESOURCE_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
STATE_KEY = "wijkdeel"


@dataclass
class RequestContext:
    request_id: str
    ip: str | None
    caller: Caller | None = None
    draft: AuditDraft | None = None
    logged: bool = field(default=False)
    response_started: bool = field(default=False)


def request_id_from(header: str | None) -> str:
    if header and REQUEST_ID_RE.match(header):
        return header
    return str(uuid.uuid4())


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def units(request: Request) -> Units:
    found: Units = request.app.state.units
    return found


def context(request: Request) -> RequestContext:
    ctx: RequestContext | None = request.scope.get(STATE_KEY)
    if ctx is None:
        client = request.client
        ctx = RequestContext(request_id_from(None), client.host if client else None)
        request.scope[STATE_KEY] = ctx
    return ctx


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header or header[:7].lower() != "bearer ":
        return None
    token = header[7:].strip()
    return token or None


def route_audit(request: Request) -> tuple[str, str | None]:
    """The audit action and resource type declared on the matched route."""
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    return extra.get("x-audit-action", "request"), extra.get("x-audit-resource")


def draft(request: Request) -> AuditDraft:
    """The request's audit draft, created on first use from the route's declaration."""
    ctx = context(request)
    if ctx.draft is None:
        action, resource_type = route_audit(request)
        resource_id = None
        if request.path_params:
            value = str(list(request.path_params.values())[-1])
            resource_id = value if RESOURCE_ID_RE.match(value) else None
        ctx.draft = AuditDraft(
            action=action,
            at=runtime(request).now(),
            request_id=ctx.request_id,
            ip=ctx.ip,
            resource_type=resource_type,
            resource_id=resource_id,
        )
    return ctx.draft


def audited(action: str, resource: str | None = None) -> dict[str, str]:
    """Route metadata naming the audit action (shown in the OpenAPI document too)."""
    extra = {"x-audit-action": action}
    if resource:
        extra["x-audit-resource"] = resource
    return extra
