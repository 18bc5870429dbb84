"""Matches and their regie on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from api.schemas.common import SLUG_PATTERN, Body, Page, Public
from api.schemas.signals import RelatedSignal

MatchStatus = Literal["open", "ended"]
CoordinationAction = Literal["take", "handover", "accept", "decline", "assign"]


class ProfessionalPublic(Public):
    name: str
    function: str
    email: str | None = None
    phone: str | None = None


class MatchPartnerPublic(Public):
    partner: str
    professional: ProfessionalPublic | None = Field(
        default=None,
        description="the partner's professional on this child (from its newest signal), only "
        "where a rule of an agreement in force between the two partners says `exchangeContact` "
        "for the token's purpose; the caller's own always",
    )


class HandoverPublic(Public):
    to: str
    since: datetime


class CoordinatorPublic(Public):
    partner: str
    since: datetime
    handover: HandoverPublic | None = Field(
        default=None,
        description="a proposed handover, shown to the coordinator and the partner it is for",
    )


class MatchSummary(Public):
    id: str
    subject_ref: str = Field(description="the child's pseudonym as the calling partner sees it")
    signals: list[RelatedSignal] = Field(description="the match's live signals the caller sees")
    coordinator: CoordinatorPublic | None
    status: MatchStatus = Field(description="`ended` once every signal is closed or erased")
    created_at: datetime


class MatchPublic(MatchSummary):
    model_config = ConfigDict(
        alias_generator=Public.model_config["alias_generator"],
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1c2a90-3b7e-4c1d-9a55-2f0e8d7b4c11",
                    "subjectRef": "sr_9QfX2mB7",
                    "signals": [
                        {
                            "id": "019384aa-0000-7000-8000-000000000001",
                            "sender": "wijkteam-noord",
                            "category": "opvoeding",
                            "urgency": "normal",
                            "createdAt": "2026-12-01T09:00:00Z",
                        }
                    ],
                    "partners": [
                        {"partner": "obs-de-linde"},
                        {
                            "partner": "wijkteam-noord",
                            "professional": {
                                "name": "Anouk Bakker",
                                "function": "jeugdprofessional",
                                "email": "a.bakker@wijkteam.example",
                            },
                        },
                    ],
                    "coordinator": {"partner": "wijkteam-noord", "since": "2026-12-01T09:05:00Z"},
                    "status": "open",
                    "createdAt": "2026-12-01T09:05:00Z",
                }
            ]
        },
    )

    partners: list[MatchPartnerPublic] = Field(
        description="the partners involved that the caller knows of through the signals it "
        "sees, the coordinator, and the caller itself"
    )


class MatchPage(Page[MatchSummary]):
    pass


class CoordinationBody(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"action": "handover", "to": "obs-de-linde"}]}
    )

    action: CoordinationAction = Field(
        description="`take` regie nobody holds; `handover` (the coordinator) proposes it `to` "
        "another involved partner, who will `accept` or `decline`; `assign` (an administrator) "
        "gives it `to` an involved partner"
    )
    to: str | None = Field(
        default=None,
        max_length=64,
        pattern=SLUG_PATTERN,
        description="the partner, for handover and assign",
    )


class MatchRegie(Public):
    id: str
    coordinator: CoordinatorPublic | None
    status: MatchStatus
