"""The audit log for auditors (scope audit:read): events and exports, verification, and the
subject report. Every one of these reads is itself an audit event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime
from starlette.responses import StreamingResponse

from api.context import audited
from api.deps import AuditorUnit, Cursor, Limit, Unit
from api.negotiation import negotiate
from api.schemas.audit import (
    CSV_EXAMPLE,
    NDJSON_EXAMPLE,
    SUBJECT_REF_PATTERN,
    AuditEventPage,
    HeadPublic,
    SubjectReportPage,
    SubjectReportRequest,
    VerificationPublic,
)
from api.schemas.common import SLUG_PATTERN
from audit import checkpoints, export, queries
from audit.chain import Verification
from audit.events import AuditDraft
from audit.queries import EventFilter, Export
from auth.caller import Caller
from core.clock import rfc3339
from records.consents import invalid_bsn
from records.subjects import elfproef
from wijkdeel.unit import Tx

router = APIRouter(tags=["audit"])

JSON = "application/json"
FORMATS = (JSON, export.CSV, export.NDJSON)
EXTENSIONS = {export.CSV: "csv", export.NDJSON: "ndjson"}


def _formats(what: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": f"{what}: JSON by default; `Accept: text/csv` or "
            "`Accept: application/x-ndjson` streams every matching event (not one page) in the "
            "same fields",
            "content": {
                export.CSV: {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
                export.NDJSON: {"schema": {"type": "string"}, "example": NDJSON_EXAMPLE},
            },
        },
        406: {"description": "the Accept header names none of the formats this answer has"},
    }


PartnerFilter = Annotated[
    str | None, Query(pattern=SLUG_PATTERN, description="the partner that called")
]
ClientFilter = Annotated[
    str | None,
    Query(alias="clientId", pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="the client"),
]
ActionFilter = Annotated[
    str | None,
    Query(pattern=r"^[a-z_]{1,32}(\.[a-z_]{1,32}){0,3}$", description="e.g. signal.read"),
]
OutcomeFilter = Annotated[
    Literal["allow", "deny", "error"] | None, Query(description="allowed, denied or failed")
]
SubjectFilter = Annotated[
    str | None,
    Query(alias="subjectRef", pattern=SUBJECT_REF_PATTERN, description="the child's pseudonym"),
]
InformingFilter = Annotated[
    Literal["informed", "postponed", "pending"] | None,
    Query(
        description="only the events that record informing the family (action "
        "`signal.informing`, one per signal sent and per later change) in this state; their "
        "`reason` is `informing:<state>` and `subjectRef` names the child"
    ),
]
Since = Annotated[
    AwareDatetime | None, Query(description="at or after this moment (RFC 3339 with offset)")
]
Until = Annotated[AwareDatetime | None, Query(description="before this moment (RFC 3339)")]


def _export(unit: Unit, export_of: Export, media: str, name: str) -> StreamingResponse:
    """Everything that matches, up to the newest event sealed when the request began, read
    after its transaction has committed, a chunk at a time, each in a read slot of its own."""

    async def body() -> AsyncIterator[bytes]:
        if media == export.CSV:
            yield export.csv_header()
        while not export_of.done:
            items = await unit.quietly("read", lambda tx: export_of.next_chunk(tx.session))
            if items:
                yield export.render(media, items)

    return StreamingResponse(
        body(),
        media_type=export.MEDIA_TYPES[media],
        headers={"Content-Disposition": f'attachment; filename="{name}.{EXTENSIONS[media]}"'},
    )


def _note(audit: AuditDraft, media: str, where: EventFilter) -> None:
    audit.subject_ref = where.subject_ref
    audit.reason = " ".join(filter(None, [EXTENSIONS.get(media, "json"), where.describe()]))[:255]


@router.get(
    "/audit/events",
    response_model=AuditEventPage,
    response_model_exclude_unset=True,
    summary="Search the audit log",
    description="Sealed events in chain order (`seq`), filtered; pages follow `nextCursor` and "
    "never skip or repeat an event while new ones are appended. `since` is inclusive, `until` "
    "exclusive. With `Accept: text/csv` (RFC 4180, a header row) or `application/x-ndjson` "
    "every matching event after `cursor` up to the newest one is streamed; `limit` applies to "
    "JSON pages only. Each event can be re-hashed from what is shown: `hash` is SHA-256 over "
    "the canonical JSON of the other fields. Events hold no personal data beyond `subjectRef`.",
    responses=_formats("a page of events"),
    openapi_extra=audited("audit.read", "audit"),
)
async def list_events(
    request: Request,
    unit: AuditorUnit,
    partner: PartnerFilter = None,
    client_id: ClientFilter = None,
    action: ActionFilter = None,
    outcome: OutcomeFilter = None,
    subject_ref: SubjectFilter = None,
    since: Since = None,
    until: Until = None,
    informing: InformingFilter = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Any:
    media = negotiate(request.headers.get("accept"), FORMATS)
    where = EventFilter(
        partner=partner,
        client_id=client_id,
        action=action,
        outcome=outcome,
        subject_ref=subject_ref,
        since=since,
        until=until,
        informing=informing,
    )
    answer = await unit.write(lambda tx, _: _search(tx, where, media, cursor, limit))
    if isinstance(answer, Export):
        return _export(unit, answer, media, "audit-events")
    return AuditEventPage.model_validate({"items": answer.items, "nextCursor": answer.next_cursor})


def _search(
    tx: Tx, where: EventFilter, media: str, cursor: str | None, limit: int
) -> queries.Page[dict[str, Any]] | Export:
    """A page of events, or (for CSV and NDJSON) the export to stream once this commits;
    what is committed so far is sealed first, so the answer holds every event up to now."""
    _note(tx.audit, media, where)
    queries.seal_recent(tx.session, lock=not tx.runtime.db.is_sqlite)
    if media != JSON:
        return Export(where, queries.after_cursor(cursor), queries.last_seq(tx.session))
    return queries.page(tx.session, where, cursor=cursor, limit=limit)


@router.get(
    "/audit/verify",
    response_model=VerificationPublic,
    response_model_exclude_unset=True,
    summary="Verify the hash chain",
    description="Walks the chain of sealed events and recomputes every hash and link - by "
    "default the **whole** chain, from the first event (`mode: full`, `checkedFrom: 0`), in "
    "several processes when it is long. An event changed, removed or reordered anywhere "
    "makes it `valid: false` with the first seq affected. `from=checkpoint` is for routine "
    "monitoring: it starts at the newest checkpoint (the head an earlier verification found "
    "intact, whose event is re-hashed first) and walks only what was sealed since; its answer "
    "says `mode: incremental` and the `checkedFrom` seq, because an event changed *before* "
    "that checkpoint is not seen by it. Either way every recorded checkpoint is compared with "
    "the event it names, so a log cut short or re-chained fails, and a valid head is recorded "
    "as a new checkpoint. Events committed in the last second may still be `unsealed`; they "
    "are not part of the answer yet.",
    openapi_extra=audited("audit.verify", "audit"),
)
async def verify_chain(
    unit: AuditorUnit,
    start: Annotated[
        Literal["start", "checkpoint"],
        Query(
            alias="from",
            description="`start` (default): the whole chain; `checkpoint`: only what was "
            "sealed since the newest checkpoint",
        ),
    ] = "start",
) -> Any:
    # The walk holds a read connection, never SQLite's writer; the checkpoint it records is
    # written afterwards, in the request's unit of work, with its audit event.
    runtime = unit.runtime
    incremental = start == "checkpoint"
    walked = await unit.read(
        lambda tx, _: checkpoints.walk(
            runtime.db,
            tx.session.connection(),
            incremental=incremental,
            workers=runtime.settings.audit_verify_workers,
        ),
        audited=False,
    )

    def conclude(tx: Tx, _: Caller) -> Verification:
        result = checkpoints.conclude(tx.session, walked, now=tx.now)
        tx.audit.reason = _outcome(result)
        return result

    result = await unit.write(conclude)
    if not result.valid:
        return VerificationPublic.model_validate(
            {
                "valid": False,
                "mode": result.mode,
                "checkedFrom": result.checked_from,
                "firstInvalidSeq": result.first_invalid_seq,
                "reason": result.reason,
            }
        )
    head = result.head
    return VerificationPublic(
        valid=True,
        mode=result.mode,
        checked_from=result.checked_from,
        count=result.count,
        head=HeadPublic(seq=head.seq, hash=head.hash, at=rfc3339(head.at)) if head else None,
        unsealed=result.unsealed,
    )


def _outcome(result: Verification) -> str:
    mode = "full" if result.mode == "full" else f"from:{result.checked_from}"
    if result.valid:
        return f"{mode} valid count:{result.count}"
    return f"{mode} invalid seq:{result.first_invalid_seq} {result.reason}"


@router.post(
    "/audit/subject-report",
    response_model=SubjectReportPage,
    response_model_exclude_unset=True,
    summary="Every event about one child (GDPR art. 15)",
    description="Who (partner, client, role) did what (action, resource, outcome), when, for "
    "which purpose, on which legal basis and agreement version - every sealed event about the "
    "child, allowed or denied, including each share to a recipient, each time the child's "
    "signal appeared in a list, and earlier reports like this one; in chain order. The BSN is "
    "only used to derive the child's pseudonym (`subjectRef`); it is not stored or logged. "
    "`Accept: text/csv` or `application/x-ndjson` streams the whole report; JSON comes in pages "
    "of `limit` (default 1000).",
    responses=_formats("the child's events"),
    openapi_extra=audited("audit.subject_report", "audit"),
)
async def subject_report(
    body: SubjectReportRequest,
    request: Request,
    unit: AuditorUnit,
    cursor: Cursor = None,
    limit: Limit = 1000,
) -> Any:
    media = negotiate(request.headers.get("accept"), FORMATS)
    if not elfproef(body.bsn):
        raise invalid_bsn("bsn")
    subject_ref = unit.runtime.subjects.identify(body.bsn)[1]
    where = EventFilter(subject_ref=subject_ref)
    answer = await unit.write(lambda tx, _: _search(tx, where, media, cursor, limit))
    if isinstance(answer, Export):
        return _export(unit, answer, media, "subject-report")
    return SubjectReportPage.model_validate(
        {"subjectRef": subject_ref, "items": answer.items, "nextCursor": answer.next_cursor}
    )
