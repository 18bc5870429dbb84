"""Care signals on the wire."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, ConfigDict, EmailStr, Field

from api.schemas.agreements import AgreementRefPublic
from api.schemas.common import SLUG_PATTERN, Body, OptionalDate, Page, Public

Urgency = Literal["low", "normal", "high", "acute"]
HandlingStatus = Literal["acknowledged", "in_progress", "closed"]
# The rights' fixed words (their one definition is in signals.correction, .restriction and
# .objection; tests/signals/test_rights.py holds these to them).
CorrectionReason = Literal["requested_by_parent", "requested_by_child", "sender_error", "outdated"]
RestrictionReason = Literal[
    "accuracy_contested",
    "unlawful_processing_claimed",
    "needed_for_legal_claims",
    "objection_pending",
]
ObjectionReason = Literal[
    "particular_situation", "disputes_necessity", "disputes_recipient", "other"
]
ObjectionDecision = Literal["upheld", "rejected"]
DecisionReason = Literal[
    "no_compelling_grounds",
    "not_necessary",
    "interests_of_child",
    "compelling_legitimate_grounds",
    "safety_of_child",
    "legal_obligation",
    "legal_claims",
]

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


class SubjectCorrection(Body):
    name: str | None = Field(default=None, max_length=200, description="null removes it")
    birth_date: OptionalDate = Field(
        default=None,
        description="null removes it; consents recorded for another birth date stop counting",
    )


class SignalUpdate(Body):
    """A recipient's `status`; the sender's `informing`; or the sender's correction: any of
    `summary`, `details`, `contact`, `subject.name`, `subject.birthDate`, with a
    `correctionReason`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "acknowledged"},
                {
                    "summary": "Komt soms zonder ontbijt naar de club",
                    "correctionReason": "requested_by_parent",
                },
            ]
        }
    )

    status: HandlingStatus | None = Field(default=None, description="a recipient's handling")
    informing: InformingBody | None = Field(default=None, description="the sender only")
    summary: str | None = Field(default=None, min_length=1, max_length=500)
    details: str | None = Field(default=None, max_length=10_000, description="null removes it")
    contact: Contact | None = Field(default=None, description="null removes it")
    subject: SubjectCorrection | None = None
    correction_reason: CorrectionReason | None = Field(
        default=None, description="required with a correction (a fixed word: no free text)"
    )

    def corrections(self) -> dict[str, Any]:
        """The corrected fields by wire name (`subject.birthDate`, …) → their new values."""
        changes: dict[str, Any] = {}
        for name in ("summary", "details"):
            if name in self.model_fields_set:
                changes[name] = getattr(self, name)
        if "contact" in self.model_fields_set:
            changes["contact"] = (
                self.contact.model_dump(mode="json", exclude_none=True) if self.contact else None
            )
        if "subject" in self.model_fields_set:
            subject = self.subject
            if subject is None:
                changes["subject"] = None  # refused: the subject itself stays
            else:
                if "name" in subject.model_fields_set:
                    changes["subject.name"] = subject.name
                if "birth_date" in subject.model_fields_set:
                    changes["subject.birthDate"] = subject.birth_date
        return changes


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


class RestrictionPublic(Public):
    reason: RestrictionReason
    since: datetime


class NoticePublic(Public):
    """A recipient told of a change (AVG art. 19), by the event that carried it."""

    partner: str
    event_id: str
    at: datetime


class CorrectionPublic(Public):
    revision: int
    reason: CorrectionReason
    fields: list[str] = Field(description="wire names of the corrected fields")
    corrected_by: str
    corrected_at: datetime
    notified: list[NoticePublic]


class ObjectionPublic(Public):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5f0c2a8e-2d7b-4a41-9a57-0f3c2f1e9b10",
                    "signalId": "019ad2c4-3f1e-7a2b-9c4d-5e6f7a8b9c0d",
                    "status": "pending",
                    "reason": "disputes_recipient",
                    "recordedBy": "kinderwerk-noord",
                    "recordedAt": "2026-11-30T09:00:00Z",
                }
            ]
        }
    )

    id: str
    signal_id: str
    status: Literal["pending", "upheld", "rejected"]
    reason: ObjectionReason | None = None
    recorded_by: str
    recorded_at: datetime
    decision_reason: DecisionReason | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None


class RestrictionBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "accuracy_contested"}]})

    reason: RestrictionReason


class ObjectionBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "disputes_recipient"}]})

    reason: ObjectionReason | None = None


class ObjectionDecisionBody(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"decision": "upheld", "reason": "no_compelling_grounds"},
                {"decision": "rejected", "reason": "safety_of_child"},
            ]
        }
    )

    decision: ObjectionDecision
    reason: DecisionReason = Field(
        description="upheld: no_compelling_grounds, not_necessary or interests_of_child; "
        "rejected: compelling_legitimate_grounds, safety_of_child, legal_obligation or "
        "legal_claims"
    )


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
                    "revision": 1,
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
    revision: int = Field(default=1, description="1 as sent; one more with each correction")
    restriction: RestrictionPublic | None = Field(
        default=None,
        description="present while the signal is restricted: its recipients may not read it",
    )


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
    corrections: list[CorrectionPublic] | None = Field(
        default=None, description="sender only: every correction and whom it was told to"
    )
    objection: ObjectionPublic | None = Field(
        default=None, description="sender only: the newest objection, if any"
    )


class SignalPage(Page[SignalCreated]):
    pass
