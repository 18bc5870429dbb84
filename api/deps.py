"""Typed dependencies: the request's transaction, the caller, and the scope it must hold.

A request that changes something runs in one write transaction that also holds its audit event
(and outbox rows). A request that changes nothing reads from the read pool and its audit event
is group-committed (audit.writer) before the answer leaves: same guarantee, and readers never
queue behind SQLite's single writer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.context import bearer_token, context, draft, runtime
from api.ratelimit import retry_after_header
from audit.events import AuditDraft, record
from auth import jwt
from auth.caller import Caller
from auth.tokens import caller_from, resolve_caller
from core.errors import Forbidden, TooManyRequests, Unauthorized
from records.hotpath import Raw
from records.pages import MAX_LIMIT
from wijkdeel.runtime import Runtime

T = TypeVar("T")

bearer_scheme = HTTPBearer(auto_error=False, description="An access token from /v1/oauth/token")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


@contextmanager
def write_unit(request: Request) -> Iterator[Session]:
    """Commits the change with its audit event, before the response leaves; or nothing."""
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


@contextmanager
def read_unit(request: Request) -> Iterator[Session]:
    """Reads in a read-only transaction; the audit event is committed before the answer leaves."""
    ctx = context(request)
    rt = runtime(request)
    with rt.db.read_session() as session:
        yield session
    if ctx.caller is not None and not ctx.audited:
        rt.audit_writer.write(draft(request).rows("allow"))
        ctx.audited = True


def _session(request: Request) -> Iterator[Session]:
    with write_unit(request) as session:
        yield session


def _read_session(request: Request) -> Iterator[Session]:
    with read_unit(request) as session:
        yield session


SessionDep = Annotated[Session, Depends(_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(_read_session, scope="function")]


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


def authenticate(request: Request, session: Session, raw: Raw | None = None) -> Caller:
    """The caller behind the bearer token: verified, not revoked, partner active, in budget."""
    rt = runtime(request)
    token = bearer_token(request)
    if token is None:
        raise Unauthorized(
            "a bearer access token is required",
            code="missing_token",
            headers={"WWW-Authenticate": 'Bearer realm="wijkdeel"'},
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
    caller = caller_from(raw, claims) if raw is not None else resolve_caller(session, claims)
    wait = request.app.state.rate_limiter.take(caller.client_id)
    if wait is not None:
        raise TooManyRequests(
            "this client sends too many requests", headers=retry_after_header(wait)
        )
    context(request).caller = caller
    return caller


def check_scopes(caller: Caller, scopes: tuple[str, ...]) -> Caller:
    if not any(caller.has(scope) for scope in scopes):
        raise Forbidden(
            f"this needs a token with scope {' or '.join(scopes)}", code="insufficient_scope"
        )
    return caller


def _caller(request: Request, session: SessionDep, _: Credentials) -> Caller:
    return authenticate(request, session)


def _read_caller(request: Request, session: ReadSessionDep, _: Credentials) -> Caller:
    return authenticate(request, session)


CallerDep = Annotated[Caller, Depends(_caller)]
ReadCallerDep = Annotated[Caller, Depends(_read_caller)]


def require(*scopes: str) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency admitting callers whose token holds any of `scopes` (write transaction)."""

    async def check(caller: CallerDep) -> Caller:
        return check_scopes(caller, scopes)

    return check


def require_read(*scopes: str) -> Callable[[Caller], Awaitable[Caller]]:
    """The same for routes that change nothing (read transaction, group-committed audit)."""

    async def check(caller: ReadCallerDep) -> Caller:
        return check_scopes(caller, scopes)

    return check


AdminCaller = Annotated[Caller, Depends(require("admin"))]
AdminReader = Annotated[Caller, Depends(require_read("admin"))]
AuditorCaller = Annotated[Caller, Depends(require("audit:read"))]
AuditorReader = Annotated[Caller, Depends(require_read("audit:read"))]


async def in_one_hop(
    request: Request,
    work: Callable[[Session, Caller, Raw | None], T],
    *,
    scopes: tuple[str, ...],
    read: bool,
) -> T:
    """The whole request — caller, work, audit, commit — without the three or four threadpool
    hops that sync dependencies cost: the same transaction and audit rules as above.

    A read runs its hot statements on a pooled DBAPI connection (records.hotpath); its session
    only connects if a rare path needs the ORM; its audit event is awaited from the group commit
    without holding a thread. On PostgreSQL the work goes to the threadpool in one trip. On
    SQLite it runs on the event loop itself: its statements take microseconds, reads never wait
    for the writer (WAL), writes queue for the one writer connection anyway, and a thread hop
    would cost more than the work.
    """
    if not read:

        def write() -> T:
            with write_unit(request) as session:
                caller = check_scopes(authenticate(request, session), scopes)
                return work(session, caller, None)

        rt = runtime(request)
        return write() if rt.db.is_sqlite else await run_in_threadpool(write)

    rt = runtime(request)

    def look() -> T:
        pooled = rt.db.read_engine.raw_connection()
        try:
            raw = Raw(pooled.driver_connection, sqlite=rt.db.is_sqlite)
            with rt.db.read_session() as session:
                caller = check_scopes(authenticate(request, session, raw), scopes)
                return work(session, caller, raw)
        finally:
            pooled.close()  # back to the pool, which rolls back what the reads began

    result = look() if rt.db.is_sqlite else await run_in_threadpool(look)
    ctx = context(request)
    if ctx.caller is not None and not ctx.audited:
        await rt.audit_writer.write_async(draft(request).rows("allow"))
        ctx.audited = True
    return result


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size, at most 1000")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="the `nextCursor` of the previous page"),
]
