"""Figures for the policymaker (scope statistics:read: policymakers and auditors): counts per
period and group, computed in the database, small numbers hidden. No child is named."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.context import audited
from api.deps import Unit, unit_for
from api.negotiation import negotiate
from api.schemas.statistics import StatisticsPublic
from api.spreadsheet import CSV_MEDIA_TYPE, table
from figures import answer

router = APIRouter(tags=["statistics"])

StatisticsReader = Annotated[Unit, unit_for("statistics:read")]
JSON, CSV = "application/json", "text/csv"
COLUMNS = (
    "signals",
    "recipients",
    "consentsGiven",
    "consentsWithdrawn",
    "matches",
    "matchesWithCoordinator",
    "medianHoursToAcknowledge",
    "medianHoursToClose",
    "informed",
    "informingPostponed",
)


def csv_body(answer: dict[str, Any]) -> bytes:
    dims = answer["groupBy"]
    reasons = sorted({r for entry in answer["cells"] for r in entry["refusals"]})
    header = ["row", "period", *dims, *COLUMNS, *(f"refusals.{r}" for r in reasons)]
    rows = []
    for kind, entries in (("cell", answer["cells"]), ("total", answer["totals"])):
        for entry in entries:
            group = entry["group"]
            rows.append(
                [
                    kind,
                    entry["period"],
                    *(group.get(d, "*") if d in group else "*" for d in dims),
                    *(entry[c] for c in COLUMNS),
                    *(entry["refusals"].get(r) for r in reasons),
                ]
            )
    return table(header, rows)


@router.get(
    "/statistics",
    response_model=StatisticsPublic,
    summary="Figures for the policymaker: signals, refusals, consents, matches, handling times",
    description="Counts per month or quarter (Dutch calendar), grouped by any of `senderKind`, "
    "`partner`, `category` and `purpose` (comma-separated; none: one cell per period), computed "
    "by aggregate queries in the database. Only whole periods that have ended are counted "
    "(`from` and `to` widen to whole periods; the running period is left out), so a published "
    "figure does not change later. Default window: the last 12 months or 4 quarters.\n\n"
    '**Small numbers are hidden:** a count from 1 to 4 is the string `"<5"` (a zero is 0, '
    'or `"<5"` where it is needed as cover); further counts are withheld as `"x"` (5 or '
    "more; secondary suppression) wherever a total or a "
    "combination of published cells and totals would otherwise reveal one. The answer holds "
    "the totals over every grouping dimension too (`totals`), suppressed together with the "
    "cells. Medians of the hours from sending to a recipient's acknowledgement and closing are "
    "given per cell when over at least 5 recipients. No child is named or referenced.\n\n"
    "Where a source has no value for a dimension it is null: a refusal has no category (the "
    "refused signal was never stored), a match no category or purpose, and `senderKind` and "
    "`partner` of a consent are the recording partner's, of a match the partner that sees "
    "it (a match counts once under each involved partner, and once ungrouped). "
    "`matchesWithCoordinator` counts the matches that have a coordinator now; `informed` and "
    "`informingPostponed` the signals whose informing is recorded so. `Accept: text/csv` gives "
    "one row per cell and per total (`row`: cell or total; a dimension summed over is `*`). For "
    "policymakers and auditors (scope `statistics:read`).",
    responses={
        200: {
            "description": "the figures",
            "content": {CSV: {"schema": {"type": "string"}}},
        },
        400: {
            "description": "a parameter is invalid (an unknown dimension, `from` after `to`, "
            "more than 60 periods)"
        },
        406: {"description": "the Accept header names neither JSON nor CSV"},
    },
    openapi_extra=audited("statistics.read", "statistics"),
)
async def read_statistics(
    request: Request,
    unit: StatisticsReader,
    first: Annotated[
        date | None,
        Query(alias="from", description="a day in the first period (default: a year back)"),
    ] = None,
    last: Annotated[
        date | None,
        Query(alias="to", description="a day in the last period (default: the last ended one)"),
    ] = None,
    period: Annotated[
        Literal["month", "quarter"], Query(description="months or quarters")
    ] = "month",
    group_by: Annotated[
        str | None,
        Query(
            alias="groupBy",
            max_length=100,
            pattern=r"^[A-Za-z,]*$",
            description="any of senderKind, partner, category, purpose, comma-separated",
        ),
    ] = None,
) -> Any:
    media = negotiate(request.headers.get("accept"), (JSON, CSV))
    dims = answer.dimensions(group_by)
    found = await unit.read(lambda tx, _: answer.compute(tx, first, last, period, dims))
    if media == CSV:
        return Response(
            csv_body(found),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="cijfers.csv"'},
        )
    return StatisticsPublic.model_validate(found)
