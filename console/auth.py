"""Who is asking for a console page: the session behind the cookie, the role a page needs,
and the CSRF token every state-changing form must carry."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.context import context
from audit.events import AuditDraft
from console import unit
from console.pages import render
from console.security import Cookies, csrf_secret, safe_return, same_origin
from core.errors import Forbidden
from people import sessions, signin
from people.sessions import SignedIn
from wijkdeel.runtime import Runtime

MAX_FIELDS = 20


class ConsoleInterrupt(Exception):
    """A page cannot be shown; `response` says what the browser gets instead."""

    def __init__(self, response: Response) -> None:
        super().__init__("console interrupt")
        self.response = response


def runtime_of(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def draft(request: Request, action: str, resource_type: str | None = None) -> AuditDraft:
    """The audit draft of a console request: its id and source address from the request
    envelope, its moment from the runtime's clock."""
    ctx = context(request)
    return AuditDraft(
        action=action,
        at=runtime_of(request).now(),
        request_id=ctx.request_id,
        ip=ctx.ip,
        resource_type=resource_type,
    )


def session_token(request: Request) -> str | None:
    return request.cookies.get(Cookies(runtime_of(request)).session)


async def current(request: Request) -> SignedIn | None:
    """The person signed in with this browser, or None. Resolving moves the idle clock."""
    token = session_token(request)
    if not token:
        return None
    actor: SignedIn | None = await unit.run(
        runtime_of(request), lambda tx: signin.resolve(tx, token), audit=None
    )
    return actor


def to_sign_in(request: Request, *, ended: bool) -> Response:
    query = {"next": safe_return(request.url.path)}
    if ended:
        query["m"] = "ended"
    response = RedirectResponse(f"/console/sign-in?{urlencode(query)}", status_code=303)
    if ended:
        Cookies(runtime_of(request)).clear(response, Cookies(runtime_of(request)).session)
    return response


async def _signed_in(request: Request) -> SignedIn:
    actor = await current(request)
    if actor is None:
        raise ConsoleInterrupt(to_sign_in(request, ended=session_token(request) is not None))
    if actor.must_change_password and request.url.path not in PASSWORD_PATHS:
        raise ConsoleInterrupt(RedirectResponse("/console/password", status_code=303))
    return actor


PASSWORD_PATHS = frozenset({"/console/password", "/console/sign-out"})
Actor = Annotated[SignedIn, Depends(_signed_in)]


def role(*roles: str, page: str) -> Callable[[Request, SignedIn], Awaitable[SignedIn]]:
    """A dependency admitting only people with one of `roles`; anyone else gets the 403 page,
    and the refusal is in the audit log under their name."""

    async def check(request: Request, actor: Actor) -> SignedIn:
        if actor.role in roles:
            return actor
        event = draft(request, "console.open", "page")
        event.resource_id = page

        def refuse(tx: unit.Tx) -> None:
            raise Forbidden("this page is not for this role", reasons=["role"])

        with contextlib.suppress(Forbidden):
            await unit.run(runtime_of(request), refuse, audit=event, actor=actor)
        raise ConsoleInterrupt(
            render(
                request,
                runtime_of(request),
                "error.html",
                title="Geen toegang",
                actor=actor,
                csrf=csrf_for(request),
                status=403,
                heading="Geen toegang",
                message="Deze pagina is niet beschikbaar voor uw rol. "
                "Neem contact op met een beheerder als u denkt dat dit niet klopt.",
            )
        )

    return check


def csrf_for(request: Request) -> str | None:
    token = session_token(request)
    return sessions.csrf_token(csrf_secret(runtime_of(request)), token) if token else None


def refused_form(request: Request, actor: SignedIn | None) -> ConsoleInterrupt:
    return ConsoleInterrupt(
        render(
            request,
            runtime_of(request),
            "error.html",
            title="Formulier geweigerd",
            actor=actor,
            csrf=csrf_for(request) if actor else None,
            status=403,
            heading="Formulier geweigerd",
            message="Dit formulier kwam niet van deze pagina of is verlopen. "
            "Open de pagina opnieuw en probeer het nog eens.",
        )
    )


async def checked_form(
    request: Request, actor: SignedIn, *, max_fields: int = MAX_FIELDS, max_files: int = 0
) -> FormData:
    """The form of a signed-in person's POST, once its origin and CSRF token hold."""
    form = await request.form(max_files=max_files, max_fields=max_fields)
    token = session_token(request)
    offered = form.get("csrf")
    if (
        not same_origin(request)
        or token is None
        or not isinstance(offered, str)
        or not sessions.csrf_matches(csrf_secret(runtime_of(request)), token, offered)
    ):
        raise refused_form(request, actor)
    return form


def text(form: FormData, name: str, limit: int) -> str:
    """A text field, cut at `limit` (a longer one is wrong anyway; refused downstream)."""
    value = form.get(name)
    return value[: limit + 1] if isinstance(value, str) else ""
