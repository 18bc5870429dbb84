"""The start page: one per role."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from console.auth import Actor, csrf_for, runtime_of
from console.pages import render

router = APIRouter(prefix="/console", include_in_schema=False)

START_PAGES = {
    "admin": "start_admin.html",
    "auditor": "start_auditor.html",
    "policymaker": "start_policymaker.html",
}


@router.get("")
async def start(request: Request, actor: Actor) -> Response:
    return render(
        request,
        runtime_of(request),
        START_PAGES[actor.role],
        title="Start",
        actor=actor,
        csrf=csrf_for(request),
    )
