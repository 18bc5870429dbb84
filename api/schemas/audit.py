"""The audit log on the wire: events, pages, exports, verification, the subject report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from api.schemas.common import Body, Page, Public
from audit import export
from audit.chain import event_hash
from audit.queries import FIELDS

_EXAMPLE_VALUES = (
    1042,
    "0b7e3c52-5d0e-4c4e-9f55-2a4be5a0c9d1",
    datetime(2026, 11, 29, 10, 0, 1, 250000, tzinfo=UTC),
    "cl_5f0c8e2a9b1d4c3e7a6f0b12",
    "wijkteam-noord",
    "partner",
    "signal.read",
    "signal",
    "019ad2c4-3f1e-7a2b-9c4d-5e6f7a8b9c0d",
    "sr_n5ygfg6kdx4q2wq7ca7p5s3hbe",
    "signalering",
    "public_task",
    "convenant-noord",
    1,
    "allow",
    None,
    "3f7d1c9e-0a4b-4e2f-8c6d-1b2a3c4d5e6f",
    "192.0.2.10",
    "9d4e1f0a" * 8,
    None,
    None,
    None,
    None,
)
EVENT_EXAMPLE: dict[str, Any] = {
    **dict(
        zip(FIELDS, (*_EXAMPLE_VALUES[: len(FIELDS) - 1], event_hash(_EXAMPLE_VALUES)), strict=True)
    ),
    "at": "2026-11-29T10:00:01.250000Z",
}
CSV_EXAMPLE = (export.csv_header() + export.render(export.CSV, [EVENT_EXAMPLE])).decode()
NDJSON_EXAMPLE = export.render(export.NDJSON, [EVENT_EXAMPLE]).decode()
SUBJECT_REF_PATTERN = r"^sr_[a-z2-7]{26}$"


class AuditActor(Public):
    """Who acted in person: a person signed in to the console (`person`, with the `role` they
    acted in), or a partner's professional on whose behalf its system called (`professional`,
    the partner's own stable id for them)."""

    person: str | None = None
    role: str | None = None
    professional: str | None = None


class AuditEventPublic(Public):
    """One audit event. `hash` is SHA-256 over the canonical JSON (sorted keys, no whitespace)
    of every other field here; `prevHash` is the `hash` of event `seq` - 1."""

    model_config = ConfigDict(
        alias_generator=Public.model_config["alias_generator"],
        populate_by_name=True,
        json_schema_extra={"examples": [EVENT_EXAMPLE]},
    )

    seq: int = Field(description="the event's position in the chain, from 1")
    id: str
    at: str = Field(
        description="when the request began (RFC 3339, UTC, microseconds: the hashed form)",
        json_schema_extra={"format": "date-time"},
    )
    client_id: str | None = Field(description="the client (system credential) that called")
    partner: str | None = Field(description="the organisation on whose behalf it called")
    role: str | None = Field(description="partner, admin, auditor, or operator (the CLI)")
    action: str = Field(description="a dotted word such as signal.read or token.issue")
    resource_type: str | None
    resource_id: str | None
    subject_ref: str | None = Field(description="the child's pseudonym; never a BSN")
    purpose: str | None = Field(description="the purpose the caller's token is bound to")
    legal_basis: str | None = Field(description="GDPR art. 6(1) basis of an allowed share or read")
    agreement_id: str | None
    agreement_version: int | None
    outcome: Literal["allow", "deny", "error"]
    reason: str | None = Field(description="denial reasons, error code, or what was done")
    request_id: str | None
    ip: str | None
    prev_hash: str | None
    hash: str | None
    count: int | None = Field(
        default=None,
        description="for refusals of requests that could not be identified: how many alike "
        "(same source, action and reason) arrived in that minute; absent otherwise",
    )
    actor: AuditActor | None = Field(
        default=None, description="the person or professional who acted; absent when a system did"
    )
    processing_activity_id: str | None = Field(
        default=None,
        description="the processing activity of the register (AVG art. 30) this falls under",
    )


class AuditEventPage(Page[AuditEventPublic]):
    pass


class SubjectReportRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"bsn": "111222333"}]})

    bsn: str = Field(
        min_length=9, max_length=9, description="the child's BSN; used once, never stored"
    )


class SubjectReportPage(Page[AuditEventPublic]):
    model_config = ConfigDict(
        alias_generator=Public.model_config["alias_generator"],
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "subjectRef": EVENT_EXAMPLE["subjectRef"],
                    "items": [EVENT_EXAMPLE],
                    "nextCursor": None,
                }
            ]
        },
    )

    subject_ref: str = Field(description="the child's pseudonym, as in every event below")


class HeadPublic(Public):
    seq: int
    hash: str
    at: str = Field(description="the head event's `at`", json_schema_extra={"format": "date-time"})


class VerificationPublic(Public):
    """`{valid: true, mode, checkedFrom, count, head, unsealed}` or `{valid: false, mode,
    checkedFrom, firstInvalidSeq, reason}`."""

    model_config = ConfigDict(
        alias_generator=Public.model_config["alias_generator"],
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "valid": True,
                    "mode": "full",
                    "checkedFrom": 0,
                    "count": 1042,
                    "head": {
                        "seq": 1042,
                        "hash": EVENT_EXAMPLE["hash"],
                        "at": EVENT_EXAMPLE["at"],
                    },
                    "unsealed": 0,
                },
                {
                    "valid": True,
                    "mode": "incremental",
                    "checkedFrom": 1000,
                    "count": 1042,
                    "head": {
                        "seq": 1042,
                        "hash": EVENT_EXAMPLE["hash"],
                        "at": EVENT_EXAMPLE["at"],
                    },
                    "unsealed": 0,
                },
                {
                    "valid": False,
                    "mode": "full",
                    "checkedFrom": 0,
                    "firstInvalidSeq": 17,
                    "reason": "altered_event",
                },
            ]
        },
    )

    valid: bool
    mode: Literal["full", "incremental"] = Field(
        description="`full`: every event from the first was re-hashed; `incremental`: only the "
        "checkpoint event `checkedFrom` and what was sealed after it (an event changed before "
        "it is not seen)"
    )
    checked_from: int = Field(
        description="the walk re-hashed events from this seq on (the checkpoint's own event "
        "first), up to `head.seq`; 0 when it began at the first event"
    )
    count: int | None = Field(default=None, description="events in the chain (its head's seq)")
    head: HeadPublic | None = Field(
        default=None, description="the newest sealed event: where the walk ended"
    )
    unsealed: int | None = Field(
        default=None, description="events committed but not chained yet (sealed within seconds)"
    )
    first_invalid_seq: int | None = Field(default=None, description="where the chain breaks")
    reason: (
        Literal["missing_event", "broken_link", "altered_event", "checkpoint_mismatch"] | None
    ) = Field(default=None, description="what is wrong there")
