"""Signing in and out: local password with TOTP, OpenID Connect, and sign-out."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import unit
from console.auth import (
    MAX_FIELDS,
    Actor,
    checked_form,
    current,
    draft,
    runtime_of,
    session_token,
    text,
)
from console.pages import LOCAL_TIME, render
from console.security import (
    Cookies,
    csrf_secret,
    flow_key,
    new_pre_token,
    pre_csrf,
    pre_csrf_matches,
    safe_return,
    same_origin,
)
from core.errors import Unauthorized
from people import oidc, sessions, signin
from people.oidc import OidcError, RelyingParty

router = APIRouter(prefix="/console", include_in_schema=False)

MESSAGES = {
    "ended": "Uw sessie is beëindigd. Meld u opnieuw aan.",
    "signed_out": "U bent afgemeld.",
}
REFUSED = "Aanmelden is niet gelukt. Controleer uw gebruikersnaam, wachtwoord en code."
PASSWORD_CHANGE = "/console/password"  # noqa: S105  (a path)


def relying_party(request: Request) -> RelyingParty | None:
    rp: RelyingParty | None = request.app.state.relying_party
    return rp


def _page(
    request: Request,
    *,
    next_path: str,
    pre: str,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    username: str = "",
) -> Response:
    rt = runtime_of(request)
    rp = relying_party(request)
    response = render(
        request,
        rt,
        "sign_in.html",
        title="Aanmelden",
        status=status,
        form_token=pre_csrf(csrf_secret(rt), pre),
        next_path=next_path,
        error=error,
        notice=notice,
        username=username,
        local_accounts=rt.settings.local_accounts,
        oidc_label=rt.settings.oidc_label if rp else None,
        oidc_url="/console/sign-in/oidc?" + urlencode({"next": next_path}) if rp else None,
    )
    cookies = Cookies(rt)
    cookies.set(response, cookies.pre, pre, max_age=None)
    return response


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    next_path = safe_return(request.query_params.get("next"))
    if await current(request) is not None:
        return RedirectResponse(next_path, status_code=303)
    pre = request.cookies.get(Cookies(runtime_of(request)).pre) or new_pre_token()
    return _page(
        request,
        next_path=next_path,
        pre=pre[:128],
        notice=MESSAGES.get(request.query_params.get("m", "")),
    )


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    rt = runtime_of(request)
    cookies = Cookies(rt)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    next_path = safe_return(text(form, "next", 200))
    pre = request.cookies.get(cookies.pre)
    if not same_origin(request) or not pre_csrf_matches(
        csrf_secret(rt), pre, text(form, "csrf", 128)
    ):
        return _page(
            request,
            next_path=next_path,
            pre=new_pre_token(),
            status=403,
            error="Het formulier was verlopen. Probeer het opnieuw.",
        )
    assert pre is not None
    if not rt.settings.local_accounts:
        return _page(
            request,
            next_path=next_path,
            pre=pre,
            status=403,
            error="Aanmelden met een lokaal account is uitgeschakeld.",
        )
    username = text(form, "username", 64)
    password = text(form, "password", 256)
    code = text(form, "code", 16)
    address = draft(request, "person.sign_in").ip
    attempt = await unit.run(rt, lambda tx: signin.begin_local(tx, username, address), audit=None)
    if attempt.locked_until is not None:
        return _page(
            request,
            next_path=next_path,
            pre=pre,
            status=429,
            username=username,
            error="Te veel mislukte pogingen. U kunt het om "
            f"{attempt.locked_until.astimezone(LOCAL_TIME):%H:%M} opnieuw proberen.",
        )
    verdict = await run_in_threadpool(signin.verify_local, rt, attempt, password, code)
    if not verdict.ok and not attempt.audit_failure:
        return _page(request, next_path=next_path, pre=pre, status=401, error=REFUSED)
    event = draft(request, "person.sign_in", "person")
    try:
        token = await unit.run(
            rt, lambda tx: signin.finish_local(tx, attempt, verdict), audit=event
        )
    except Unauthorized:
        return _page(
            request, next_path=next_path, pre=pre, status=401, error=REFUSED, username=username
        )
    return await _signed_in(request, token, next_path)


async def _signed_in(request: Request, token: str, next_path: str) -> Response:
    """Hand the new session to the browser: a new token, whatever it held before (rotation at
    sign-in; a session it still had is ended)."""
    rt = runtime_of(request)
    cookies = Cookies(rt)
    old = session_token(request)
    if old:
        old_hash = sessions.token_hash(old)
        await unit.run(
            rt,
            lambda tx: sessions.end(tx.session, old_hash, now=tx.now, reason="replaced"),
            audit=None,
        )
    actor = await unit.run(rt, lambda tx: signin.resolve(tx, token), audit=None)
    target = PASSWORD_CHANGE if actor and actor.must_change_password else next_path
    response = RedirectResponse(target, status_code=303)
    cookies.set(response, cookies.session, token, max_age=rt.settings.session_lifetime)
    cookies.clear(response, cookies.pre)
    return response


@router.get("/sign-in/oidc")
async def oidc_start(request: Request) -> Response:
    rt = runtime_of(request)
    rp = relying_party(request)
    next_path = safe_return(request.query_params.get("next"))
    if rp is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    try:
        url, flow = await run_in_threadpool(rp.start, next_path, rt.now())
    except OidcError:
        return _page(
            request,
            next_path=next_path,
            pre=new_pre_token(),
            status=502,
            error="De inlogdienst van uw organisatie is nu niet bereikbaar. "
            "Probeer het later opnieuw.",
        )
    response = RedirectResponse(url, status_code=303)
    cookies = Cookies(rt)
    cookies.set(
        response,
        cookies.flow,
        oidc.seal_flow(flow_key(rt), flow),
        max_age=int(oidc.FLOW_MAX_AGE.total_seconds()),
    )
    return page_safe(response)


def page_safe(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@router.get("/sign-in/oidc/callback")
async def oidc_callback(request: Request) -> Response:
    rt = runtime_of(request)
    rp = relying_party(request)
    cookies = Cookies(rt)
    if rp is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    flow = oidc.open_flow(flow_key(rt), request.cookies.get(cookies.flow), rt.now())
    params = {k: v[:2048] for k, v in request.query_params.items() if k in CALLBACK_PARAMS}
    address = draft(request, "person.sign_in").ip

    def failed(message: str, status: int = 400) -> Response:
        response = _page(
            request,
            next_path=flow.next if flow else "/console",
            pre=new_pre_token(),
            status=status,
            error=message,
        )
        cookies.clear(response, cookies.flow)
        return response

    if flow is None:
        return failed(
            "Het aanmelden is verlopen of in een andere browser begonnen. Probeer het opnieuw."
        )
    try:
        identity = await run_in_threadpool(rp.finish, flow, params, rt.now())
    except OidcError as error:
        await _refuse(request, lambda tx: signin.count_failure(tx, address), error.reason)
        return failed("Aanmelden via uw organisatie is niet gelukt. Probeer het opnieuw.")
    match = await unit.run(
        rt,
        lambda tx: signin.match_oidc(tx, identity.issuer, identity.subject, address),
        audit=None,
    )
    if match.locked_until is not None:
        return failed("Te veel mislukte pogingen. Probeer het later opnieuw.", 429)
    if match.person_id is None:
        if match.audit_refusal:
            event = draft(request, "person.sign_in", "person")
            with contextlib.suppress(Unauthorized):
                await unit.run(
                    rt,
                    lambda tx: signin.refuse_oidc(tx, identity.issuer, identity.subject),
                    audit=event,
                )
        response = render(
            request,
            rt,
            "unknown_person.html",
            title="Geen toegang",
            status=403,
            subject=identity.subject,
        )
        cookies.clear(response, cookies.flow)
        return response
    person_id = match.person_id
    event = draft(request, "person.sign_in", "person")
    try:
        token = await unit.run(rt, lambda tx: signin.finish_oidc(tx, person_id), audit=event)
    except Unauthorized:
        return failed("Uw account is niet actief.", 403)
    signed_in = await _signed_in(request, token, flow.next)
    cookies.clear(signed_in, cookies.flow)
    return signed_in


CALLBACK_PARAMS = frozenset({"code", "state", "iss", "error", "session_state"})


async def _refuse(request: Request, count: Callable[[unit.Tx], bool], reason: str) -> None:
    """The deny event of a sign-in the identity provider's answer did not carry, written once
    per address and window (the rest are counted)."""
    rt = runtime_of(request)
    should_audit = await unit.run(rt, count, audit=None)
    if not should_audit:
        return
    event = draft(request, "person.sign_in", "person")

    def refuse(tx: unit.Tx) -> None:
        raise Unauthorized("the identity provider's answer is refused", reasons=[reason])

    with contextlib.suppress(Unauthorized):
        await unit.run(rt, refuse, audit=event)


@router.post("/sign-out")
async def sign_out(request: Request, actor: Actor) -> Response:
    rt = runtime_of(request)
    await checked_form(request, actor)
    await unit.run(rt, signin.sign_out, audit=draft(request, "person.sign_out"), actor=actor)
    cookies = Cookies(rt)
    response = RedirectResponse("/console/sign-in?m=signed_out", status_code=303)
    cookies.clear(response, cookies.session)
    return response
