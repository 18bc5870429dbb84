"""Consent records on the wire."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Body, OptionalDate, Page, Public


class ConsentSubject(Body):
    bsn: str = Field(min_length=9, max_length=9, description="validated with the elfproef")
    birth_date: OptionalDate = Field(
        default=None,
        description="required when `grantedBy` is `subject`: only a subject of 16 or older "
        "may consent themselves",
    )


class Evidence(Body):
    method: Literal["written", "digital", "verbal"]
    reference: str | None = Field(default=None, max_length=200, description="stored encrypted")


class ConsentCreate(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject": {"bsn": "111222333", "birthDate": "2017-03-02"},
                    "grantedBy": "guardian",
                    "grantorName": "J. de Vries",
                    "purposes": ["afstemming"],
                    "recipients": ["obs-de-linde"],
                    "categories": ["school"],
                    "validFrom": "2026-11-01",
                    "validUntil": "2027-11-01",
                    "evidence": {
                        "method": "written",
                        "reference": "toestemmingsformulier 2026-11-03",
                    },
                }
            ]
        }
    )

    subject: ConsentSubject
    granted_by: Literal["guardian", "subject"]
    grantor_name: str | None = Field(default=None, max_length=200, description="stored encrypted")
    purposes: list[str] = Field(min_length=1, max_length=20)
    recipients: list[str] = Field(min_length=1, max_length=50)
    categories: list[str] | None = Field(default=None, max_length=50, description="absent: all")
    valid_from: date
    valid_until: date | None = None
    evidence: Evidence


class ConsentWithdraw(Body):
    reason: str | None = Field(default=None, max_length=500, description="stored encrypted")


class ConsentSearch(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"bsn": "111222333"}]})

    bsn: str = Field(min_length=9, max_length=9)


class EvidencePublic(BaseModel):
    method: str
    reference: str | None = Field(default=None, description="only for the recording partner")


class ConsentPublic(Public):
    model_config = ConfigDict(
        alias_generator=Public.model_config["alias_generator"],
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "5d9f0c1e-8a53-4c3e-9a51-2f0b8e6c7d10",
                    "subjectRef": "sr_n5ygfg6kdx4q2wq7ca7p5s3hbe",
                    "status": "active",
                    "recordedBy": "kinderwerk-noord",
                    "grantedBy": "guardian",
                    "purposes": ["afstemming"],
                    "recipients": ["obs-de-linde"],
                    "categories": ["school"],
                    "validFrom": "2026-11-01",
                    "validUntil": "2027-11-01",
                    "evidence": {"method": "written"},
                    "createdAt": "2026-11-03T09:12:00Z",
                }
            ]
        },
    )

    id: str
    subject_ref: str | None = Field(
        default=None,
        description="the child's pseudonym as the calling partner sees it (another partner sees "
        "another one); absent for a recipient the consent names, unless it searched by BSN",
    )
    status: Literal["active", "pending", "expired", "withdrawn"]
    recorded_by: str
    granted_by: str
    purposes: list[str]
    recipients: list[str]
    categories: list[str] | None = Field(default=None, description="absent: every category")
    valid_from: date
    valid_until: date | None = Field(default=None, description="absent: until withdrawn")
    evidence: EvidencePublic
    grantor_name: str | None = Field(default=None, description="only for the recording partner")
    created_at: datetime
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = Field(
        default=None, description="only for the recording partner"
    )


class ConsentPage(Page[ConsentPublic]):
    pass
