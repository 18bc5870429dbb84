"""Figures for the policymaker on the wire."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from api.schemas.common import Public

Count = Annotated[
    int | Literal["<5", "x"],
    Field(
        description='a count; `"<5"` when 1 to 4 (or a zero needed as cover), `"x"` when 5 or '
        "more but withheld so that no total or combination of published counts reveals one "
        "of those"
    ),
]
Median = Annotated[
    float | None,
    Field(description="hours, one decimal; null under 5 recipients, and in totals"),
]


class CellPublic(Public):
    period: str = Field(examples=["2026-03", "2026-Q1"], description="a month or quarter")
    group: dict[str, str | None] = Field(
        description="the value of each grouping dimension (in a total: those not summed "
        "over); null where the source has no such value - a refusal or a match has no "
        "category, a match no purpose, a consent for every category none",
        examples=[{"senderKind": "kinderwerk", "category": "opvoeding"}],
    )
    signals: Count = Field(description="signals sent")
    recipients: Count = Field(description="partners reached by those signals")
    refusals: dict[str, Count] = Field(
        description="signals refused, by reason (a refusal with two reasons counts under both)",
        examples=[{"consent_required": "<5", "no_agreement": 12}],
    )
    consents_given: Count = Field(
        description="consents recorded (by the recording partner; under each purpose and "
        "category a consent names)"
    )
    consents_withdrawn: Count
    matches: Count = Field(
        description="matches opened: two or more partners could see live signals about one "
        "child (grouped by partner, a match counts under each involved partner)"
    )
    matches_with_coordinator: Count = Field(description="of those, the ones with a coordinator")
    median_hours_to_acknowledge: Median
    median_hours_to_close: Median
    informed: Count = Field(description="signals whose parents or the child were informed")
    informing_postponed: Count = Field(description="signals whose informing is postponed")


class StatisticsPublic(Public):
    from_: date = Field(alias="from", description="the first day of the first period counted")
    to: date = Field(description="the last day of the last period counted")
    period: Literal["month", "quarter"]
    group_by: list[str]
    cells: list[CellPublic] = Field(description="one per period and group with any count")
    totals: list[CellPublic] = Field(
        description="per period, the sums over each set of grouping dimensions, down to the "
        "period's grand total (group `{}`), suppressed together with the cells"
    )
