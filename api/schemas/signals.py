"""Care signals on the wire."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, ConfigDict, EmailStr, Field, model_validator

from api.schemas.agreements import AgreementRefPublic
from api.schemas.common import SLUG_PATTERN, Body, OptionalDate, Page, Public

Urgency = Literal["low", "normal", "high", "acute"]
HandlingStatus = Literal["acknowledged", "in_progress", "closed"]

CREATE_EXAMPLE: dict[str, Any] = {
    "subject": {"bsn": "111222333", "name": "Sam de Vries", "birthDate": "2017-03-02"},
    "category": "opvoeding",
    "urgency": "normal",
    "summary": "Vaak zonder ontbijt naar de club, oogt moe",
    "details": "Sinds september ...",
    "contact": {
        "name": "Petra Jansen",
        "phone": "06-12345678",
        "email": "petra@kinderwerk.example",
    },
    "recipients": ["wijkteam-noord"],
}


class SignalSubject(Body):
    bsn: str = Field(min_length=9, max_length=9, description="validated with the elfproef")
    name: str | None = Field(default=None, max_length=200)
    birth_date: OptionalDate = None


class Contact(Body):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: EmailStr | None = Field(default=None, max_length=254)


InformedParty = Literal["guardian", "child"]
InformingMethod = Literal["in_person", "phone", "letter", "digital"]
PostponeReason = Literal[
    "safety_of_child",
    "safety_of_others",
    "safety_of_professional",
    "not_reachable",
    "investigation",
]


def _distinct(parties: list[str]) -> list[str]:
    if len(set(parties)) != len(parties):
        raise ValueError("each party at most once")
    return parties


class Informed(Body):
    """The family was informed: who (by the child's age on that day: under 12 the guardians;
    12 to 15 the guardians and the child; from 16 the child alone), when and how."""

    status: Literal["informed"]
    parties: Annotated[list[InformedParty], AfterValidator(_distinct)] = Field(
        min_length=1, max_length=2
    )
    at: AwareDatetime = Field(description="when they were informed (not in the future)")
    method: InformingMethod


class Postponed(Body):
    """Informing waits, for a reason from the fixed list, until a day after today (at most a
    year ahead); on that day the sender gets `signal.informing_due`."""

    status: Literal["postponed"]
    reason: PostponeReason
    until: date


class Pending(Body):
    """Not informed yet, and not postponed (the default)."""

    status: Literal["pending"]


# A plain union (each member's `status` is a literal, so one member matches): a discriminator
# would put a `mapping` into the document whose `postponed` key the ADR linter takes for an
# operation.
InformingBody = Informed | Postponed | Pending


class SignalCreate(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [CREATE_EXAMPLE]})

    subject: SignalSubject
    category: str = Field(pattern=SLUG_PATTERN, description="a category word of the agreement")
    urgency: Urgency
    summary: str = Field(min_length=1, max_length=500)
    details: str | None = Field(default=None, max_length=10_000)
    contact: Contact | None = None
    recipients: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="default: every lawful recipient; a named one that is not lawful refuses all",
    )
    informing: InformingBody | None = Field(
        default=None, description="informing the family (AVG art. 13/14); default pending"
    )


class SignalUpdate(Body):
    """A recipient moves its handling status forward; the sender records informing. At least
    one of them."""

    status: HandlingStatus | None = None
    informing: InformingBody | None = Field(default=None, description="the sender only")

    @model_validator(mode="after")
    def _something(self) -> SignalUpdate:
        if self.status is None and self.informing is None:
            raise ValueError("give status or informing")
        return self


class SubjectPublic(Public):
    bsn: str
    name: str | None = None
    birth_date: OptionalDate = None


class ContactPublic(Public):
    name: str | None = None
    phone: str | None = None
    email: str | None = None


class ProfessionalPublic(Public):
    name: str
    function: str
    email: str | None = None
    phone: str | None = None


class InformingPublic(Public):
    status: Literal["informed", "postponed", "pending"]
    parties: list[InformedParty] | None = None
    at: datetime | None = None
    method: InformingMethod | None = None
    reason: PostponeReason | None = None
    until: date | None = None
    recorded_at: datetime | None = Field(default=None, description="when this was recorded")


class RecipientStatus(Public):
    partner: str
    status: str
    legal_basis: str
    agreement: AgreementRefPublic
    updated_at: datetime


class RelatedSignal(Public):
    id: str
    sender: str
    category: str
    urgency: str
    created_at: datetime


class SignalCreated(Public):
    model_config = ConfigDict(
        alias_generator=Public.model_config["alias_generator"],
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "019ad2c4-3f1e-7a2b-9c4d-5e6f7a8b9c0d",
                    "subjectRef": "sr_n5ygfg6kdx4q2wq7ca7p5s3hbe",
                    "category": "opvoeding",
                    "urgency": "normal",
                    "status": "open",
                    "sender": "kinderwerk-noord",
                    "purpose": "signalering",
                    "recipients": ["wijkteam-noord"],
                    "createdAt": "2026-11-29T10:00:00Z",
                    "expiresAt": "2027-11-29T10:00:00Z",
                    "agreement": {"id": "convenant-noord", "version": 1},
                }
            ]
        },
    )

    id: str
    subject_ref: str | None = Field(
        default=None,
        description="the child's pseudonym as the calling partner sees it: stable for this "
        "partner, unrelated to another partner's. Absent for a recipient whose rule does not "
        "grant `subject`: it gets no stable reference for the child at all",
    )
    category: str
    urgency: str
    status: str
    sender: str
    purpose: str
    recipients: list[str]
    created_at: datetime
    expires_at: datetime
    agreement: AgreementRefPublic


class SignalPublic(SignalCreated):
    """Metadata, plus exactly the content fields the current decision grants (absent otherwise)."""

    legal_basis: str | None = Field(default=None, description="the basis this read stands on")
    subject: SubjectPublic | None = None
    summary: str | None = None
    details: str | None = None
    contact: ContactPublic | None = None
    sender_professional: ProfessionalPublic | None = Field(
        default=None,
        description="the professional who sent it for the sender (an actor token): shown to "
        "the sender and to a recipient whose rule grants `contact`",
    )
    informing: InformingPublic | None = Field(
        default=None, description="informing the family (AVG art. 13/14)"
    )
    related_signals: list[RelatedSignal] | None = None
    recipient_statuses: list[RecipientStatus] | None = Field(
        default=None, description="sender only"
    )


class SignalPage(Page[SignalCreated]):
    pass
