"""The access report for a parent, from the console: an administrator or auditor types the
child's BSN into a form (POST, never a URL) and gets the report the API gives - the same domain
function, audited under the person as `subject.access`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from console import unit
from console.auth import checked_form, csrf_for, draft, role, runtime_of, text
from console.pages import render
from console.security import CONSOLE_CSP
from core.errors import Invalid
from people.sessions import SignedIn
from records.pages import MAX_LIMIT
from rights import access, page
from rights.access import AccessReport, Viewer

router = APIRouter(prefix="/console", include_in_schema=False)

Requester = Annotated[SignedIn, Depends(role("admin", "auditor", page="subject-access"))]
PATH = "/console/subject-access"
# The report's stylesheet is embedded in the page and allowed by its hash, beside the console's.
REPORT_CSP = CONSOLE_CSP.replace("style-src 'self'", f"style-src 'self' {page.STYLE_SOURCE}")
BSN_ERROR = "Vul een geldig burgerservicenummer in: 9 cijfers, dat de elfproef doorstaat."


def _form(
    request: Request, actor: SignedIn, *, status: int = 200, error: str | None = None
) -> Response:
    return render(
        request,
        runtime_of(request),
        "subject_access.html",
        title="Inzage voor ouders",
        actor=actor,
        csrf=csrf_for(request),
        status=status,
        error=error,
        report=None,
    )


@router.get("/subject-access")
async def form(request: Request, actor: Requester) -> Response:
    return _form(request, actor)


@router.post("/subject-access")
async def show(request: Request, actor: Requester) -> Response:
    fields = await checked_form(request, actor)
    bsn = text(fields, "bsn", 9).strip()
    event = draft(request, access.ACTION, "subject")
    event.reason = "console"
    rt = runtime_of(request)

    def work(tx: unit.Tx) -> AccessReport:
        # Everything about the child, and no content: a person at the municipality holds no
        # records of their own to copy.
        return access.report(tx, Viewer(None), bsn, limit=MAX_LIMIT)

    try:
        report = await unit.run(rt, work, audit=event, actor=actor)
    except Invalid:
        # The refusal is in the audit log under the person; the BSN typed is not echoed.
        return _form(request, actor, status=422, error=BSN_ERROR)
    return render(
        request,
        rt,
        "subject_access.html",
        title="Inzage voor ouders",
        actor=actor,
        csrf=csrf_for(request),
        csp=REPORT_CSP,
        style=page.style(),
        report=page.fragment(report),
        error=None,
    )
