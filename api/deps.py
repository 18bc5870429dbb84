"""Typed dependencies: the request's unit of work, bound to the caller its route admits.

A handler declares the unit it needs (`unit: SignalWriter`) and hands it one plain function of
the transaction and the caller; the unit runs that function with the caller's authentication in
one trip to a worker thread, on one connection, and commits it with its audit event (see
wijkdeel.unit). Handlers stay `async def`: they never touch the database themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.context import bearer_token, context, draft, units
from api.ratelimit import retry_after_header
from audit.events import AuditDraft
from auth import jwt
from auth.caller import Caller
from auth.tokens import caller_from, professional_of
from core.errors import Forbidden, TooManyRequests, Unauthorized
from records.pages import MAX_LIMIT
from wijkdeel.runtime import Runtime
from wijkdeel.unit import Mode, Tx

T = TypeVar("T")

bearer_scheme = HTTPBearer(auto_error=False, description="An access token from /v1/oauth/token")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]

Work = Callable[[Tx, Caller], T]


def verified_claims(request: Request, rt: Runtime, event: AuditDraft) -> dict[str, Any]:
    """The claims of the request's bearer token if it is ours, signed and unexpired (whether it
    is still good - not revoked, client and partner active - only the database can tell)."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized(
            "a bearer access token is required",
            code="missing_token",
            headers={"WWW-Authenticate": 'Bearer realm="wijkdeel"'},
        )
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
    # NEN 7513 asks for the person: every event of a request made for a professional names
    # them, by the partner's own id (the event's partner scopes it).
    event.actor_professional = professional_of(claims)
    return claims


def _check_scopes(scopes: tuple[str, ...], held: str) -> None:
    if scopes and not set(scopes) & set(held.split()):
        raise Forbidden(
            f"this needs a token with scope {' or '.join(scopes)}", code="insufficient_scope"
        )


def authenticate(request: Request, tx: Tx, scopes: tuple[str, ...]) -> Caller:
    """The caller behind the bearer token: verified, not revoked, partner active, in budget,
    holding one of `scopes` (any token when there are none)."""
    claims = verified_claims(request, tx.runtime, tx.audit)
    caller = caller_from(tx.raw, claims)
    tx.epoch = caller.policy_epoch
    wait = request.app.state.rate_limiter.take(caller.client_id)
    if wait is not None:
        raise TooManyRequests(
            "this client sends too many requests", headers=retry_after_header(wait)
        )
    context(request).caller = caller
    _check_scopes(scopes, claims["scope"])
    return caller


class Unit:
    """The request's unit of work for callers holding one of `scopes` (no I/O until awaited)."""

    def __init__(self, request: Request, scopes: tuple[str, ...]) -> None:
        self.request = request
        self.scopes = scopes

    @property
    def audit(self) -> AuditDraft:
        return draft(self.request)

    @property
    def runtime(self) -> Runtime:
        rt: Runtime = self.request.app.state.runtime
        return rt

    async def slow(self, work: Callable[..., T], *args: object) -> T:
        """Slow work (argon2) outside the unit of work, a bounded number at a time."""
        return await units(self.request).slow(work, *args)

    async def read(self, work: Work[T], *, audited: bool = True) -> T:
        """Run `work` on a read connection; its audit event is committed before it returns
        (with `audited=False` only a refusal leaves one: a later unit writes the request's)."""
        return await self._run("read", work, audited=audited)

    async def write(self, work: Work[T]) -> T:
        """Run `work` in a write transaction that commits it with its audit event."""
        return await self._run("write", work)

    async def quietly(self, mode: Mode, work: Callable[[Tx], T]) -> T:
        """A further step of a request whose unit has already run (an export's next chunk):
        admitted and run like any unit, without checking the caller again or a new event."""
        return await units(self.request).run(mode, self.audit, work, audited=False)

    async def _run(self, mode: Mode, work: Work[T], *, audited: bool = True) -> T:
        def step(tx: Tx) -> T:
            return work(tx, authenticate(self.request, tx, self.scopes))

        return await units(self.request).run(mode, self.audit, step, audited=audited)


def unit_for(*scopes: str) -> Any:
    """A dependency giving the route's unit of work for callers holding any of `scopes`."""

    async def make(request: Request, _: Credentials) -> Unit:
        # A request without a valid token, or without the scope, is refused before its body
        # is even read, as the signed token alone can tell; the unit checks the rest.
        rt: Runtime = request.app.state.runtime
        event = draft(request)
        token = bearer_token(request)
        if token is not None and not rt.verifier.knows(token):
            # A first verification may re-read the published keys: in a thread.
            claims = await anyio.to_thread.run_sync(verified_claims, request, rt, event)
        else:
            claims = verified_claims(request, rt, event)
        _check_scopes(scopes, claims["scope"])
        return Unit(request, scopes)

    return Depends(make)


AnyCaller = Annotated[Unit, unit_for()]
AdminUnit = Annotated[Unit, unit_for("admin")]
AuditorUnit = Annotated[Unit, unit_for("audit:read")]


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size, at most 1000")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="the `nextCursor` of the previous page"),
]
