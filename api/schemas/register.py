"""The register of processing (AVG art. 30) on the wire."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Public


class Named(Public):
    id: str = Field(description="the partner's id")
    name: str


class AgreementRef(Public):
    id: str
    version: int
    title: str


class ActivityPublic(Public):
    id: str = Field(
        description="stable across versions of the agreement: `<agreement>:<purpose>` (a "
        "digest after the colon when that is too long); audit events carry it as "
        "`processingActivityId`",
        examples=["convenant-noord:signalering"],
    )
    agreement: AgreementRef
    purpose: str
    description: str = Field(description="the purpose as the agreement describes it")
    controllers: list[Named] = Field(
        description="every party that discloses or receives under this purpose"
    )
    data_subjects: list[str] = Field(
        description="`child`; `professional` when contact details are shared; `guardian` "
        "when consent is recorded"
    )
    data_categories: list[str] = Field(description="the signal fields shared (personal data)")
    signal_categories: list[str] = Field(description="the kinds of concern shared")
    recipients: list[Named]
    retention_days: int = Field(description="the longest retention of the rules used")
    legal_basis: list[str] = Field(description="GDPR art. 6(1) bases of the rules used")
    measures: str = Field(description="technical and organisational measures (art. 32)")


class RegisterPublic(Public):
    version: str = Field(
        description="a digest of the register's content: it changes whenever an agreement "
        "in force (or the measures) changes"
    )
    activities: list[ActivityPublic]
