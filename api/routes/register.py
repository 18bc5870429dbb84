"""The register of processing (AVG art. 30): generated from the agreements in force, for
administrators and auditors, as JSON, CSV or a printable Dutch page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from sqlmodel import col, select
from starlette.responses import HTMLResponse, Response

from api.context import audited
from api.deps import Unit, unit_for
from api.negotiation import negotiate
from api.schemas.register import RegisterPublic
from api.spreadsheet import CSV_MEDIA_TYPE, table
from auth.caller import Caller
from console.pages import ENVIRONMENT, dutch_time
from console.security import page_headers
from policies import register
from policies.dates import local_date
from records.models import Partner
from wijkdeel.unit import Tx

router = APIRouter(tags=["register"])

RegisterReader = Annotated[Unit, unit_for("admin", "audit:read")]
JSON, CSV, HTML = "application/json", "text/csv", "text/html"
FORMATS = (JSON, CSV, HTML)
CSV_HEADER = (
    "id",
    "agreementId",
    "agreementVersion",
    "agreementTitle",
    "purpose",
    "description",
    "controllers",
    "dataSubjects",
    "dataCategories",
    "signalCategories",
    "recipients",
    "retentionDays",
    "legalBasis",
    "measures",
)
CSV_EXAMPLE = (
    ",".join(CSV_HEADER) + "\r\nconvenant-noord:signalering,convenant-noord,1,Convenant "
    "zorgsignalen Noord,signalering,Zorgsignalen doorgeleiden naar het wijkteam,"
    "kinderwerk-noord;wijkteam-noord,child;professional,subject;summary;details;contact,"
    "gezondheid;opvoeding;veiligheid,wijkteam-noord,365,public_task,AES-256-GCM ...\r\n"
)


def current(tx: Tx) -> register.Register:
    """The register as of now: the agreements the decision engine uses, those in force."""
    partners = {
        row.id: (row.name, row.kind)
        for row in tx.session.execute(select(col(Partner.id), col(Partner.name), col(Partner.kind)))
    }
    measures = tx.runtime.settings.register_measures or register.DEFAULT_MEASURES
    return register.build(
        tx.view.policy.agreements.values(),
        partners,
        today=local_date(tx.now),
        measures=measures,
    )


def csv_body(found: register.Register) -> bytes:
    def names(entries: tuple[register.Controller, ...]) -> str:
        return ";".join(entry.id for entry in entries)

    return table(
        CSV_HEADER,
        [
            (
                a.id,
                a.agreement_id,
                a.agreement_version,
                a.agreement_title,
                a.purpose,
                a.description,
                names(a.controllers),
                ";".join(a.data_subjects),
                ";".join(a.data_categories),
                ";".join(a.signal_categories),
                names(a.recipients),
                a.retention_days,
                ";".join(a.legal_basis),
                a.measures,
            )
            for a in found.activities
        ],
    )


@router.get(
    "/register",
    response_model=RegisterPublic,
    summary="The register of processing activities (AVG art. 30)",
    description="Generated from the agreements in force today: one processing activity per "
    "agreement and purpose, with the controllers (every party that discloses or receives "
    "under it), the categories of data subjects and of personal data, recipients, the longest "
    "retention, the legal bases and the technical and organisational measures "
    "(`WIJKDEEL_REGISTER_MEASURES`). `version` changes whenever the register does. Every "
    "audit event of a request that acts under an agreement's purpose carries the activity's "
    "`id` as `processingActivityId`. `Accept: text/csv` gives one row per activity (lists "
    "joined with `;`, cells defused against spreadsheet formulas); `Accept: text/html` a "
    "printable page in Dutch. For administrators and auditors.",
    responses={
        200: {
            "description": "the register",
            "content": {
                CSV: {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
                HTML: {"schema": {"type": "string"}},
            },
        },
        406: {"description": "the Accept header names none of JSON, CSV and HTML"},
    },
    openapi_extra=audited("register.read", "register"),
)
async def read_register(request: Request, unit: RegisterReader) -> Any:
    media = negotiate(request.headers.get("accept"), FORMATS)

    def work(tx: Tx, _: Caller) -> tuple[register.Register, str]:
        found = current(tx)
        tx.audit.resource_id = found.version
        tx.audit.count = len(found.activities)
        tx.audit.reason = {JSON: "json", CSV: "csv", HTML: "html"}[media]
        return found, dutch_time(tx.now)

    found, generated = await unit.read(work)
    if media == CSV:
        return Response(
            csv_body(found),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="verwerkingsregister.csv"'},
        )
    if media == HTML:
        page = ENVIRONMENT.get_template("register.html").render(register=found, generated=generated)
        return page_headers(HTMLResponse(page), unit.runtime)
    return RegisterPublic.model_validate(
        {"version": found.version, "activities": [register.as_json(a) for a in found.activities]}
    )
