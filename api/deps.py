"""Typed dependencies: the request's transaction, the caller, and the scope it must hold."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.context import bearer_token, context, draft, runtime
from api.ratelimit import retry_after_header
from audit.events import AuditDraft, record
from auth import jwt
from auth.caller import Caller
from auth.tokens import resolve_caller
from records.pages import MAX_LIMIT
from wijkdeel.errors import Forbidden, TooManyRequests, Unauthorized
from wijkdeel.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="An access token from /v1/oauth/token")


def _session(request: Request) -> Iterator[Session]:
    """The request's transaction: committed with its audit event before the response leaves."""
    ctx = context(request)
    with runtime(request).session() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        if ctx.caller is not None and not ctx.audited:
            record(session, draft(request), "allow")
            ctx.audited = True
        session.commit()


SessionDep = Annotated[Session, Depends(_session, scope="function")]


# Dependencies that do no I/O are async: FastAPI runs plain `def` ones in the threadpool, and
# each hop there costs more than the work.
async def _runtime(request: Request) -> Runtime:
    return runtime(request)


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


async def _now(request: Request) -> datetime:
    """The request's moment: the same `now` for its decisions and its audit event."""
    return draft(request).at


Now = Annotated[datetime, Depends(_now)]


async def _audit(request: Request) -> AuditDraft:
    return draft(request)


Audit = Annotated[AuditDraft, Depends(_audit)]


def _caller(
    request: Request,
    session: SessionDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    rt = runtime(request)
    token = bearer_token(request)
    challenge = {"WWW-Authenticate": 'Bearer realm="wijkdeel"'}
    if token is None:
        raise Unauthorized(
            "a bearer access token is required", code="missing_token", headers=challenge
        )
    event = draft(request)
    try:
        claims = rt.verifier.verify(token, event.at)
    except jwt.TokenError as error:
        raise Unauthorized(
            f"the access token is refused ({error.reason})",
            code="invalid_token",
            headers={"WWW-Authenticate": 'Bearer realm="wijkdeel", error="invalid_token"'},
        ) from None
    event.who(
        client_id=claims["client_id"],
        partner=claims["partner"],
        role=claims["role"],
        purpose=claims.get("purpose"),
    )
    caller = resolve_caller(session, claims)
    wait = request.app.state.rate_limiter.take(caller.client_id)
    if wait is not None:
        raise TooManyRequests(
            "this client sends too many requests", headers=retry_after_header(wait)
        )
    context(request).caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(_caller)]


def require(*scopes: str) -> Callable[[Caller], Caller]:
    """A dependency admitting callers whose token holds any of `scopes`."""

    async def check(caller: CallerDep) -> Caller:
        if not any(caller.has(scope) for scope in scopes):
            raise Forbidden(
                f"this needs a token with scope {' or '.join(scopes)}", code="insufficient_scope"
            )
        return caller

    return check


AdminCaller = Annotated[Caller, Depends(require("admin"))]
AuditorCaller = Annotated[Caller, Depends(require("audit:read"))]


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size, at most 1000")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="the `nextCursor` of the previous page"),
]
