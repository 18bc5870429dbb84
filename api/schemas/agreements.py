"""Sharing agreements and decisions on the wire."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Body, Page, Public

EXAMPLE: dict[str, Any] = {
    "id": "convenant-noord",
    "title": "Convenant zorgsignalen Noord",
    "parties": ["kinderwerk-noord", "obs-de-linde", "wijkteam-noord"],
    "validFrom": "2026-01-01",
    "validUntil": "2028-12-31",
    "status": "active",
    "purposes": {
        "signalering": "Zorgsignalen doorgeleiden naar het wijkteam",
        "afstemming": "Ondersteuning rond een kind afstemmen",
    },
    "rules": [
        {
            "sender": "kinderwerk-noord",
            "recipient": "wijkteam-noord",
            "purposes": ["signalering"],
            "categories": ["opvoeding", "veiligheid", "gezondheid"],
            "fields": ["subject", "summary", "details", "contact"],
            "legalBasis": "public_task",
            "requiresConsent": False,
            "retentionDays": 365,
        },
        {
            "sender": "kinderwerk-noord",
            "recipient": "kind:school",
            "purposes": ["afstemming"],
            "categories": ["school"],
            "fields": ["subject", "summary", "contact"],
            "legalBasis": "consent",
            "requiresConsent": True,
            "retentionDays": 180,
        },
    ],
}


class RuleBody(Body):
    sender: str = Field(max_length=80, description="a party id or `kind:<kind>`")
    recipient: str = Field(max_length=80, description="a party id or `kind:<kind>`")
    purposes: list[str] = Field(max_length=20)
    categories: list[str] = Field(max_length=50)
    fields: list[str] = Field(max_length=4, description="subject, summary, details, contact")
    legal_basis: str = Field(max_length=32, description="GDPR art. 6(1) basis")
    requires_consent: bool
    retention_days: int = Field(description="1 to 730")
    requires_professional: bool = Field(
        default=False,
        description="sending under this rule needs a professional acting for the sender (a "
        "token with an actor token); without one the rule grants nothing "
        "(`professional_required`). Reading is not bound by it",
    )
    exchange_contact: bool = Field(
        default=False,
        description="when true, the rule's sender and recipient may see each other's "
        "professional (name, function, work contact) in a match about a child, for the rule's "
        "purposes (mutually); without such a rule no partner sees another's professional",
    )


class CoordinationBody(Body):
    purposes: list[str] = Field(max_length=20, description="purposes of this agreement")
    coordinator: str = Field(
        max_length=80,
        description="a party id, or `kind:<kind>` for the one involved party of that kind; it "
        "becomes the coordinator of a match whose signals were shared for one of `purposes`, "
        "once it is involved in it",
    )


class AgreementBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    id: str | None = Field(
        default=None, max_length=64, description="required on POST; on PUT, the path's id"
    )
    title: str = Field(min_length=1, max_length=200)
    parties: list[str] = Field(max_length=100)
    valid_from: date
    valid_until: date | None = None
    status: str = Field(
        description="draft, active (or proposed), suspended or terminated; an active version is "
        "proposed until every party has accepted it, the others take effect at once"
    )
    purposes: dict[str, str] = Field(max_length=20, description="purpose word → description")
    rules: list[RuleBody] = Field(max_length=500)
    coordination: list[CoordinationBody] = Field(
        default_factory=list,
        max_length=20,
        description="who coordinates (has regie over) a match, per purpose; a purpose at most once",
    )

    def document(self, agreement_id: str) -> dict[str, Any]:
        body = self.model_dump(mode="json", by_alias=True)
        body["id"] = agreement_id
        # What the second release added is stored only where it is used: a document that does
        # not use it reads (and exports, and hashes) as it did before.
        if not body["coordination"]:
            del body["coordination"]
        for rule in body["rules"]:
            for name in ("requiresProfessional", "exchangeContact"):
                if rule[name] is False:
                    del rule[name]
        return body


class RulePublic(Public):
    sender: str
    recipient: str
    purposes: list[str]
    categories: list[str]
    fields: list[str]
    legal_basis: str
    requires_consent: bool
    retention_days: int
    requires_professional: bool = False
    exchange_contact: bool = False


class CoordinationPublic(Public):
    purposes: list[str]
    coordinator: str


class AgreementPublic(Public):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**EXAMPLE, "version": 2, "createdAt": "2026-11-29T10:00:00Z"}]
        }
    )

    id: str
    version: int
    title: str
    parties: list[str]
    valid_from: date
    valid_until: date | None
    status: str = Field(
        description="proposed, active, rejected, suspended, terminated or draft: where the "
        "parties' decisions have brought this version"
    )
    status_reason: str | None = Field(
        default=None,
        description="why the status moved without a new version: `acceptance_revoked` (a "
        "party revoked its acceptance), `superseded` (a newer version replaced the proposal)",
    )
    purposes: dict[str, str]
    rules: list[RulePublic]
    coordination: list[CoordinationPublic] = Field(default_factory=list)
    content_hash: str = Field(
        description="what a party signs to accept: `sha256:` and the hex SHA-256 of the RFC 8785 "
        "canonical JSON of this version's document without `status`, with `version`"
    )
    created_at: datetime = Field(description="when this version was written")
    created_by: str = Field(description="the client (or `operator`) that wrote this version")


class AgreementPage(Page[AgreementPublic]):
    pass


class SubjectRef(Body):
    bsn: str = Field(
        max_length=9, min_length=9, description="never in a URL; never stored in plain"
    )


class DecisionRequest(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "sender": "kinderwerk-noord",
                    "recipient": "obs-de-linde",
                    "purpose": "afstemming",
                    "category": "school",
                    "subject": {"bsn": "111222333"},
                }
            ]
        }
    )

    sender: str = Field(max_length=64)
    recipient: str = Field(max_length=64)
    purpose: str = Field(max_length=64)
    category: str = Field(max_length=64)
    subject: SubjectRef | None = None
    professional: bool | None = Field(
        default=None,
        description="whether a professional acts for the sender; absent: a rule's "
        "`requiresProfessional` is not asked about (as when a signal is read)",
    )


class AgreementRefPublic(BaseModel):
    id: str
    version: int


class GroundPublic(Public):
    agreement: AgreementRefPublic
    rule_index: int
    legal_basis: str
    consent_id: str | None = None


class DecisionPublic(Public):
    model_config = ConfigDict(
        alias_generator=Public.model_config["alias_generator"],
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "allow": False,
                    "reasons": ["consent_required"],
                    "legalBasis": None,
                    "fields": [],
                    "agreement": None,
                    "rule": None,
                    "retentionDays": None,
                    "subjectRef": "sr_abc",
                    "grounds": [],
                }
            ]
        },
    )

    allow: bool
    reasons: list[str]
    legal_basis: str | None
    fields: list[str]
    agreement: AgreementRefPublic | None
    rule: RulePublic | None
    retention_days: int | None
    subject_ref: str | None = None
    grounds: list[GroundPublic] = Field(description="every rule that allows, the named one first")


SIGNATURE_EXAMPLE = (
    "eyJhbGciOiJFUzI1NiIsImtpZCI6ImstMSIsInR5cCI6IndpamtkZWVsLWFjY2VwdGFuY2UrandzIn0"
    ".eyJhZ3JlZW1lbnQiOiJjb252ZW5hbnQtbm9vcmQiLCJ2ZXJzaW9uIjoyfQ.c2lnbmF0dXJl"
)


class AcceptanceBody(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"decision": "accept", "signature": SIGNATURE_EXAMPLE}]}
    )

    decision: Literal["accept", "reject"]
    signature: str = Field(
        min_length=1,
        max_length=4096,
        description="a compact JWS (ES256, header `typ: wijkdeel-acceptance+jws`, `kid` of the "
        "client's registered key) over the JSON `{agreement, version, contentHash, decision}`",
    )


class AcceptancePublic(Public):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "019387a2-0c3e-7d4a-9b1e-5f2a6c8d9e01",
                    "agreementId": "convenant-noord",
                    "version": 2,
                    "partner": "obs-de-linde",
                    "decision": "accept",
                    "method": "client",
                    "clientId": "c-obs-1",
                    "kid": "k-1",
                    "contentHash": "sha256:9f2c…",
                    "signature": SIGNATURE_EXAMPLE,
                    "createdAt": "2026-12-01T10:00:00Z",
                    "versionStatus": "proposed",
                }
            ]
        }
    )

    id: str
    agreement_id: str
    version: int
    partner: str = Field(description="the party that decided")
    decision: str = Field(description="accept or reject")
    method: str = Field(
        description="client (signed with the partner client's key), console (signed by the "
        "service for a person of the gemeente) or migration (recorded when acceptance began; "
        "no signature)"
    )
    client_id: str | None = None
    person: str | None = Field(default=None, description="the console person's id")
    kid: str | None = Field(default=None, description="the key the statement was signed with")
    content_hash: str = Field(description="the contentHash that was signed")
    signature: str | None = Field(default=None, description="the statement as received")
    created_at: datetime
    revoked_at: datetime | None = None
    version_status: str = Field(description="the version's status now")


class AcceptancePage(Page[AcceptancePublic]):
    pass
