"""The API documentation at /docs: Swagger UI from wijkdeel's own static files."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from console.auth import runtime_of
from console.pages import render
from console.security import DOCS_CSP

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def docs(request: Request) -> Response:
    rt = runtime_of(request)
    if not rt.settings.docs_enabled:
        return render(
            request,
            rt,
            "error.html",
            title="Niet gevonden",
            status=404,
            heading="Niet gevonden",
            message="De API-documentatie is op deze installatie uitgeschakeld.",
        )
    return render(request, rt, "docs.html", title="wijkdeel API", csp=DOCS_CSP)
