"""Care signals on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, EmailStr, Field

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


class SignalUpdate(Body):
    status: HandlingStatus


class SubjectPublic(Public):
    bsn: str
    name: str | None = None
    birth_date: OptionalDate = None


class ContactPublic(Public):
    name: str | None = None
    phone: str | None = None
    email: str | None = None


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
    related_signals: list[RelatedSignal] | None = None
    recipient_statuses: list[RecipientStatus] | None = Field(
        default=None, description="sender only"
    )


class SignalPage(Page[SignalCreated]):
    pass
