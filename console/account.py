"""The signed-in person's own account: what wijkdeel knows of them, and their password."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import unit
from console.auth import Actor, checked_form, csrf_for, draft, runtime_of, text
from console.pages import render
from core.errors import Invalid, Unauthorized
from people import accounts, signin
from people.sessions import SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)

NOTICES = {"password_changed": "Uw wachtwoord is gewijzigd."}


@router.get("/account")
async def account(request: Request, actor: Actor) -> Response:
    return render(
        request,
        runtime_of(request),
        "account.html",
        title="Mijn account",
        actor=actor,
        csrf=csrf_for(request),
        notice=NOTICES.get(request.query_params.get("m", "")),
    )


def _password_page(
    request: Request,
    actor: SignedIn,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    message: str | None = None,
) -> Response:
    return render(
        request,
        runtime_of(request),
        "password.html",
        title="Wachtwoord wijzigen",
        actor=actor,
        csrf=csrf_for(request),
        status=status,
        errors=errors or {},
        message=message,
    )


@router.get("/password")
async def password_page(request: Request, actor: Actor) -> Response:
    return _password_page(request, actor)


@router.post("/password")
async def change_password(request: Request, actor: Actor) -> Response:
    rt = runtime_of(request)
    form = await checked_form(request, actor)
    if actor.method != "local":
        return _password_page(request, actor, status=403)
    current = text(form, "current", accounts.MAX_PASSWORD)
    new = text(form, "new", accounts.MAX_PASSWORD)
    errors: dict[str, str] = {}
    if not current:
        errors["current"] = "Vul uw huidige wachtwoord in."
    try:
        accounts.check_new_password(new)
    except Invalid:
        errors["new"] = (
            f"Kies een wachtwoord van {accounts.MIN_PASSWORD} tot {accounts.MAX_PASSWORD} tekens."
        )
    if not errors and new == current:
        errors["new"] = "Kies een ander wachtwoord dan uw huidige."
    if not errors and text(form, "repeat", accounts.MAX_PASSWORD) != new:
        errors["repeat"] = "De twee nieuwe wachtwoorden zijn niet gelijk."
    if errors:
        return _password_page(request, actor, status=422, errors=errors)
    address = draft(request, "person.password_change").ip
    attempt = await unit.run(
        rt, lambda tx: signin.begin_password_change(tx, address), audit=None, actor=actor
    )
    if attempt.locked_until is not None:
        return _password_page(
            request,
            actor,
            status=429,
            message="Te veel mislukte pogingen. Probeer het later opnieuw.",
        )
    stored = attempt.account.password_hash if attempt.account else None
    current_ok = await run_in_threadpool(rt.hasher.verify, stored, current)
    new_hash = await run_in_threadpool(rt.hasher.hash, new) if current_ok else ""
    event = draft(request, "person.password_change", "person")
    try:
        await unit.run(
            rt,
            lambda tx: signin.change_password(tx, attempt, current_ok, new_hash),
            audit=event,
            actor=actor,
        )
    except Unauthorized:
        return _password_page(
            request,
            actor,
            status=422,
            errors={"current": "Uw huidige wachtwoord klopt niet."},
        )
    return RedirectResponse("/console/account?m=password_changed", status_code=303)
