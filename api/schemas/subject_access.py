"""The access report for a parent on the wire (AVG art. 15)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from api.schemas.common import Body, OptionalDate, Page, Public, present
from api.schemas.signals import ContactPublic, SubjectPublic
from rights.access import (
    AccessHistory,
    AccessReport,
    Informing,
    Organisation,
    SignalAccess,
)

EXAMPLE_AT = "2026-11-29T10:00:00Z"
ORGANISATION_EXAMPLE = {"id": "kinderwerk-noord", "name": "Kinderwerk Noord"}
AGREEMENT_EXAMPLE = {"id": "convenant-noord", "version": 1, "title": "Convenant zorgsignalen Noord"}
REPORT_EXAMPLE: dict[str, Any] = {
    "subjectRef": "sr_n5ygfg6kdx4q2wq7ca7p5s3hbe",
    "organisation": ORGANISATION_EXAMPLE,
    "generatedAt": "2026-12-01T09:30:00Z",
    "items": [
        {
            "id": "019ad2c4-3f1e-7a2b-9c4d-5e6f7a8b9c0d",
            "createdAt": EXAMPLE_AT,
            "category": "opvoeding",
            "urgency": "normal",
            "state": "live",
            "involvement": "sent",
            "sender": ORGANISATION_EXAMPLE,
            "purposes": [
                {
                    "word": "signalering",
                    "description": "Zorgsignalen doorgeleiden naar het wijkteam",
                }
            ],
            "legalBases": [{"legalBasis": "public_task", "agreement": AGREEMENT_EXAMPLE}],
            "recipients": [
                {
                    "organisation": {"id": "wijkteam-noord", "name": "Wijkteam Noord"},
                    "legalBasis": "public_task",
                    "agreement": AGREEMENT_EXAMPLE,
                    "dataCategories": ["subject", "summary", "details", "contact"],
                }
            ],
            "dataCategories": ["subject", "summary", "details", "contact"],
            "data": {
                "subject": {"bsn": "111222333", "name": "Sam de Vries", "birthDate": "2017-03-02"},
                "summary": "Vaak zonder ontbijt naar de club, oogt moe",
                "details": "Sinds september ...",
                "contact": {"name": "Petra Jansen", "phone": "06-12345678"},
            },
            "retentionEnd": "2027-11-29T10:00:00Z",
            "informing": {"status": "unknown"},
            "accessHistory": [
                {
                    "organisation": ORGANISATION_EXAMPLE,
                    "events": [
                        {"at": EXAMPLE_AT, "action": "signal.create", "outcome": "allow"},
                        {
                            "at": EXAMPLE_AT,
                            "action": "signal.share",
                            "outcome": "allow",
                            "reason": "recipient:wijkteam-noord",
                        },
                    ],
                },
                {
                    "organisation": {"id": "wijkteam-noord", "name": "Wijkteam Noord"},
                    "events": [
                        {"at": "2026-11-29T10:05:00Z", "action": "signal.read", "outcome": "allow"}
                    ],
                },
                {
                    "organisation": {"id": "obs-de-linde", "name": "OBS De Linde"},
                    "events": [
                        {
                            "at": "2026-11-29T11:00:00Z",
                            "action": "signal.read",
                            "outcome": "deny",
                            "reason": "signal_not_found",
                        }
                    ],
                },
            ],
        }
    ],
    "nextCursor": None,
}


class SubjectAccessRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"bsn": "111222333"}]})

    bsn: str = Field(
        min_length=9, max_length=9, description="the child's BSN; used once, never stored"
    )


class OrganisationPublic(Public):
    id: str | None = Field(description="the partner's id; null for the municipality's own staff")
    name: str

    @classmethod
    def of(cls, organisation: Organisation) -> OrganisationPublic:
        return cls(id=organisation.id, name=organisation.name)


class AgreementRefPublic(Public):
    id: str
    version: int
    title: str | None = None


class PurposePublic(Public):
    word: str
    description: str | None = Field(default=None, description="as the agreement describes it")


class LegalBasisPublic(Public):
    legal_basis: str = Field(description="GDPR art. 6(1): public_task, consent, …")
    agreement: AgreementRefPublic


class RecipientPublic(Public):
    organisation: OrganisationPublic
    legal_basis: str
    agreement: AgreementRefPublic
    data_categories: list[str] = Field(description="the fields its rule granted")


class ProfessionalPublic(Public):
    name: str | None = None
    function: str | None = None
    email: str | None = None
    phone: str | None = None


class OwnData(Public):
    """The requesting organisation's own data: what it sent, or what it may see now of what
    it received."""

    subject: SubjectPublic | None = None
    summary: str | None = None
    details: str | None = None
    contact: ContactPublic | None = None


class InformingPublic(Public):
    status: str = Field(
        description="informed, postponed, pending; `unknown` where the signal records nothing "
        "about informing"
    )
    parties: list[str] | None = None
    at: datetime | None = None
    method: str | None = None
    reason: str | None = None
    until: OptionalDate = None

    @classmethod
    def of(cls, informing: Informing) -> InformingPublic:
        return cls(
            status=informing.status,
            parties=list(informing.parties) or None,
            at=informing.at,
            method=informing.method,
            reason=informing.reason,
            until=informing.until,
        )


class AccessPublic(Public):
    at: datetime
    action: str = Field(description="as in the audit log: signal.read, signal.share, …")
    outcome: str = Field(description="allow, deny or error")
    reason: str | None = Field(default=None, description="why it was refused, or to whom shared")
    professional: str | None = Field(
        default=None, description="the partner's own id of the professional who acted"
    )
    person_role: str | None = Field(
        default=None, description="the role of a person who acted in the console"
    )


class AccessHistoryPublic(Public):
    organisation: OrganisationPublic
    events: list[AccessPublic]

    @classmethod
    def of(cls, history: AccessHistory) -> AccessHistoryPublic:
        return cls(
            organisation=OrganisationPublic.of(history.organisation),
            events=[
                AccessPublic(
                    at=e.at,
                    action=e.action,
                    outcome=e.outcome,
                    reason=e.reason,
                    professional=e.professional,
                    person_role=e.person_role,
                )
                for e in history.events
            ],
        )


class SignalAccessPublic(Public):
    id: str
    created_at: datetime
    category: str
    urgency: str
    state: Literal["live", "erased", "expired"]
    erased_at: datetime | None = None
    involvement: Literal["sent", "received"] | None = Field(
        default=None, description="the requesting partner's part in it; absent for an auditor"
    )
    sender: OrganisationPublic
    sender_professional: ProfessionalPublic | None = Field(
        default=None,
        description="shown to the sender and to a recipient whose rule grants `contact`",
    )
    purposes: list[PurposePublic]
    legal_bases: list[LegalBasisPublic]
    recipients: list[RecipientPublic] = Field(description="a recipient's report names only itself")
    data_categories: list[str] = Field(description="subject, summary, details, contact")
    data: OwnData | None = Field(
        default=None,
        description="the requesting partner's own data (empty when it may no longer see it); "
        "absent for an auditor or administrator",
    )
    retention_end: datetime
    restriction: str | None = Field(
        default=None,
        description="while its use is restricted (GDPR art. 18), why: accuracy_contested, "
        "objection_pending, …",
    )
    revision: int | None = Field(
        default=None, description="1 as sent; one more with each correction (GDPR art. 16)"
    )
    informing: InformingPublic
    access_history: list[AccessHistoryPublic] = Field(
        description="per organisation, every access allowed or refused; a recipient's report "
        "shows its own organisation's only"
    )

    @classmethod
    def of(cls, item: SignalAccess) -> SignalAccessPublic:
        def agreement(ref: object) -> AgreementRefPublic:
            return AgreementRefPublic.model_validate(ref, from_attributes=True)

        return cls(
            id=item.id,
            created_at=item.created_at,
            category=item.category,
            urgency=item.urgency,
            state=item.state,
            erased_at=item.erased_at,
            involvement=item.involvement,
            sender=OrganisationPublic.of(item.sender),
            sender_professional=ProfessionalPublic.model_validate(item.sender_professional)
            if item.sender_professional
            else None,
            purposes=[PurposePublic(word=p.word, description=p.description) for p in item.purposes],
            legal_bases=[
                LegalBasisPublic(legal_basis=b.legal_basis, agreement=agreement(b.agreement))
                for b in item.legal_bases
            ],
            recipients=[
                RecipientPublic(
                    organisation=OrganisationPublic.of(r.organisation),
                    legal_basis=r.legal_basis,
                    agreement=agreement(r.agreement),
                    data_categories=list(r.data_categories),
                )
                for r in item.recipients
            ],
            data_categories=list(item.data_categories),
            data=OwnData.model_validate(item.data) if item.data is not None else None,
            retention_end=item.retention_end,
            restriction=item.restriction,
            revision=item.revision,
            informing=InformingPublic.of(item.informing),
            access_history=[AccessHistoryPublic.of(h) for h in item.access_history],
        )


class SubjectAccessReport(Page[SignalAccessPublic]):
    model_config = ConfigDict(
        alias_generator=Public.model_config["alias_generator"],
        populate_by_name=True,
        json_schema_extra={"examples": [REPORT_EXAMPLE]},
    )

    subject_ref: str = Field(
        description="the child's pseudonym as the requesting partner knows it (an auditor: the "
        "audit log's)"
    )
    organisation: OrganisationPublic | None = Field(
        default=None, description="whose report it is; absent for an auditor or administrator"
    )
    generated_at: datetime

    @classmethod
    def of(cls, report: AccessReport) -> SubjectAccessReport:
        """The report with its empty members absent (API.md), `nextCursor` set always; serialise
        with exclude_unset."""
        built = cls(
            subject_ref=report.subject_ref,
            organisation=OrganisationPublic.of(report.organisation)
            if report.organisation
            else None,
            generated_at=report.generated_at,
            items=[SignalAccessPublic.of(item) for item in report.items],
            next_cursor=report.next_cursor,
        )
        return cls.model_validate(
            {**present(built.model_dump(by_alias=True)), "nextCursor": report.next_cursor}
        )
