"""The start page: one per role. A policymaker's shows the figures, as charts and a table."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from console import unit
from console.auth import Actor, csrf_for, draft, runtime_of
from console.charts import bar_chart
from console.pages import render
from figures import answer
from figures.periods import Kind
from people.sessions import SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)

START_PAGES = {
    "admin": "start_admin.html",
    "auditor": "start_auditor.html",
    "policymaker": "start_policymaker.html",
}
PERIODS: dict[str, Kind] = {"maand": "month", "kwartaal": "quarter"}
GROUPINGS = {
    "": "geen",
    "senderKind": "soort organisatie",
    "partner": "organisatie",
    "category": "categorie",
    "purpose": "doel",
}
MEASURES = {
    "signals": "Signalen",
    "recipients": "Ontvangers",
    "consentsGiven": "Toestemmingen gegeven",
    "consentsWithdrawn": "Toestemmingen ingetrokken",
    "matches": "Matches",
    "medianHoursToAcknowledge": "Mediaan uren tot bevestiging",
    "medianHoursToClose": "Mediaan uren tot afsluiting",
}


@router.get("")
async def start(
    request: Request, actor: Actor, periode: str = "maand", groepering: str = ""
) -> Response:
    values: dict[str, Any] = {}
    if actor.role == "policymaker":
        values = await _figures(request, actor, periode, groepering)
    return render(
        request,
        runtime_of(request),
        START_PAGES[actor.role],
        title="Start",
        actor=actor,
        csrf=csrf_for(request),
        **values,
    )


async def _figures(request: Request, actor: SignedIn, periode: str, groepering: str) -> Any:
    """The last year's figures, read as the person (their own audit event)."""
    periode = periode if periode in PERIODS else "maand"
    groepering = groepering if groepering in GROUPINGS else ""
    dims = (groepering,) if groepering else ()
    found = await unit.run(
        runtime_of(request),
        lambda tx: answer.compute(tx, None, None, PERIODS[periode], dims),
        audit=draft(request, "statistics.read", "statistics"),
        actor=actor,
        mode="read",
    )
    per_period = [
        (entry["period"], entry["signals"])
        for entry in (found["totals"] if dims else found["cells"])
        if entry["group"] == {}
    ]
    charts = [bar_chart(f"Signalen per {periode}", per_period)]
    if dims and found["cells"]:
        last = found["cells"][-1]["period"]
        charts.append(
            bar_chart(
                f"Signalen in {last} per {GROUPINGS[groepering]}",
                [
                    (str(c["group"][groepering] or "(geen)"), c["signals"])
                    for c in found["cells"]
                    if c["period"] == last
                ],
            )
        )
    return {
        "figures": found,
        "charts": charts,
        "periode": periode,
        "groepering": groepering,
        "groupings": GROUPINGS,
        "measures": MEASURES,
    }
