"""The access report a partner hands to a parent (AVG art. 15; scope subjects:access, and
auditors and administrators)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from api.context import audited
from api.deps import Cursor, Limit, Unit, unit_for
from api.negotiation import negotiate
from api.schemas.subject_access import SubjectAccessReport, SubjectAccessRequest
from auth.caller import Caller
from rights import access, page
from rights.access import AccessReport, Viewer
from wijkdeel.unit import Tx

router = APIRouter(tags=["subjects"])

Requester = Annotated[Unit, unit_for("subjects:access", "audit:read", "admin")]
JSON = "application/json"
HTML = "text/html"


@router.post(
    "/subject-access",
    summary="The access report for a parent (GDPR art. 15)",
    description="Per signal about the child that the calling partner sent or received (under "
    "any purpose; an auditor or administrator: every signal): the sender and sending "
    "professional, the purposes, the legal bases with the agreement version, the recipients, "
    "the kinds of data (the fields), the partner's own data (all it sent; of what it received, "
    "what a rule in force grants it now - never another partner's), the end of retention, "
    "whether the parent was informed, and the access history per organisation - every read, "
    "share and list appearance, allowed or refused (a recipient sees its own organisation's "
    "only). An auditor's or administrator's report holds no content. Signals come oldest first "
    "in pages of `limit`. A BSN nobody sent a signal about gives an empty report. The BSN is "
    "used once to find the child and is never stored or logged; the request is audited as "
    "`subject.access` with the child's pseudonym and the number of signals. "
    "`Accept: text/html` gives the same report as a printable Dutch page for the parent.",
    response_model=SubjectAccessReport,
    response_model_exclude_unset=True,
    responses={
        200: {
            "description": "the report; `text/html`: a printable page in Dutch",
            "content": {
                HTML: {
                    "schema": {"type": "string"},
                    "example": '<!doctype html><html lang="nl">…</html>',
                }
            },
        },
        406: {"description": "the Accept header names neither JSON nor HTML"},
    },
    openapi_extra=audited(access.ACTION, "subject"),
)
async def subject_access(
    body: SubjectAccessRequest,
    request: Request,
    unit: Requester,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Any:
    media = negotiate(request.headers.get("accept"), (JSON, HTML))

    def work(tx: Tx, caller: Caller) -> AccessReport:
        viewer = Viewer(caller.partner if caller.role == "partner" else None)
        tx.audit.reason = "html" if media == HTML else "json"
        return access.report(tx, viewer, body.bsn, cursor=cursor, limit=limit)

    # A write: the report seals what is committed so far, so its access history is complete.
    report = await unit.write(work)
    if media == HTML:
        response: Response = HTMLResponse(page.document(report))
        response.headers["Content-Security-Policy"] = page.DOCUMENT_CSP
        response.headers["Cache-Control"] = "no-store"
        return response
    return SubjectAccessReport.of(report)
