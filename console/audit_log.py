"""The auditor's pages: the audit log with the API's filters, an event, the downloads, the
chain verification and its signed checkpoints, and the report and timeline of one child.

Every page reads through the same functions as `GET /v1/audit/events`, `GET /v1/audit/verify`,
`POST /v1/audit/subject-report` and `wijkdeel audit checkpoint`, in a unit of work under the
signed-in person, and is itself an audit event. A BSN arrives in a POST body only; the pages
and their links carry the child's pseudonym (`subjectRef`) instead.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from api.schemas.audit import SUBJECT_REF_PATTERN
from api.schemas.common import SLUG_PATTERN
from audit import anchoring, checkpoints, export, queries
from audit.anchoring import CheckpointRefused, SignedHead
from audit.chain import Head, Verification
from audit.events import AuditDraft
from audit.queries import EventFilter, Export
from console import names, unit
from console.auth import checked_form, csrf_for, draft, role, runtime_of, text
from console.pages import LOCAL_TIME, render
from core.errors import DomainError
from people.sessions import SignedIn
from records.consents import invalid_bsn
from records.pages import Page
from records.subjects import elfproef
from wijkdeel.runtime import Runtime

router = APIRouter(prefix="/console/audit", include_in_schema=False)

Auditor = Annotated[SignedIn, Depends(role("auditor", page="audit"))]

PAGE_SIZE = 50
REPORT_LIMIT = 1000
DOWNLOADS = {"csv": export.CSV, "ndjson": export.NDJSON}
# The filters of GET /v1/audit/events, with the API's own patterns.
PATTERNS = {
    "partner": (SLUG_PATTERN, "Een partner-id bestaat uit 2 tot 64 kleine letters, cijfers of -."),
    "clientId": (r"^[A-Za-z0-9._:-]{1,64}$", "Een koppeling-id is bijvoorbeeld cl_5f0c8e2a…"),
    "action": (
        r"^[a-z_]{1,32}(\.[a-z_]{1,32}){0,3}$",
        "Een handeling is een woord met punten, zoals signal.read.",
    ),
    "subjectRef": (SUBJECT_REF_PATTERN, "Een pseudoniem begint met sr_ en heeft 26 tekens erna."),
}
OUTCOME_CHOICES = (("", "alle"), *names.OUTCOMES.items())
REFUSALS = {
    "malformed": "Dit is geen controlepuntregel van wijkdeel.",
    "unusable_public_key": "Deze publieke sleutel is geen EC P-256-sleutel (JWK of JWK-set).",
    "unknown_key": "Deze regel is ondertekend met een sleutel die hier niet bekend is.",
    "bad_signature": "De handtekening klopt niet: de regel is gewijzigd of niet van wijkdeel.",
}
CHAIN_REASONS = {
    "missing_event": "er ontbreekt een gebeurtenis",
    "broken_link": "een gebeurtenis verwijst niet naar de vorige",
    "altered_event": "een gebeurtenis is gewijzigd",
    "checkpoint_mismatch": "een eerder controlepunt komt niet meer overeen",
}


@dataclass(frozen=True)
class Filters:
    where: EventFilter
    values: dict[str, str]  # as typed, for the form and the links
    errors: dict[str, str]

    def query(self, **extra: str) -> str:
        kept = {name: value for name, value in self.values.items() if value}
        return urlencode({**kept, **extra})


def _moment(value: str) -> datetime:
    """A moment from the form: `datetime-local` (Dutch local time) or RFC 3339 with an offset."""
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=LOCAL_TIME) if moment.tzinfo is None else moment


def parse_filters(query: Mapping[str, str]) -> Filters:
    values = {
        name: query.get(name, "").strip()[:80]
        for name in ("partner", "clientId", "action", "outcome", "subjectRef", "since", "until")
    }
    errors: dict[str, str] = {}
    for name, (pattern, message) in PATTERNS.items():
        if values[name] and not re.match(pattern, values[name]):
            errors[name] = message
    if values["outcome"] not in {"", "allow", "deny", "error"}:
        errors["outcome"] = "Kies toegestaan, geweigerd of mislukt."
    moments: dict[str, datetime | None] = {"since": None, "until": None}
    for name in moments:
        if values[name]:
            try:
                moments[name] = _moment(values[name])
            except ValueError:
                errors[name] = "Geef een datum en tijd, bijvoorbeeld 2026-11-29T10:00."
    since, until = moments["since"], moments["until"]
    if since and until and until <= since:
        errors["until"] = "Het einde moet na het begin liggen."
    where = EventFilter(
        partner=values["partner"] or None,
        client_id=values["clientId"] or None,
        action=values["action"] or None,
        outcome=values["outcome"] or None,
        subject_ref=values["subjectRef"] or None,
        since=since,
        until=until,
    )
    return Filters(where, values, errors)


def _note(audit: AuditDraft, form: str, where: EventFilter) -> None:
    """As the API notes a search: the format and the filters (the subject in subjectRef)."""
    audit.subject_ref = where.subject_ref
    audit.reason = " ".join(filter(None, [form, where.describe()]))[:255]


@dataclass
class Found:
    page: Page[dict[str, Any]]
    names: names.Names


def _search(tx: unit.Tx, where: EventFilter, form: str, cursor: str | None, limit: int) -> Found:
    _note(tx.audit, form, where)
    queries.seal_recent(tx.session, lock=not tx.runtime.db.is_sqlite)
    page = queries.page(tx.session, where, cursor=cursor, limit=limit)
    return Found(page, names.for_events(tx.session, page.items))


def _problem(request: Request, actor: SignedIn, error: DomainError) -> Response:
    return render(
        request,
        runtime_of(request),
        "error.html",
        title="Niet mogelijk",
        actor=actor,
        csrf=csrf_for(request),
        status=error.status,
        heading="Dat lukte niet",
        message="Deze vraag kon niet worden beantwoord. Open de pagina opnieuw en probeer het "
        "nog eens.",
    )


@router.get("")
async def log(request: Request, actor: Auditor) -> Response:
    rt = runtime_of(request)
    filters = parse_filters(request.query_params)
    cursor = request.query_params.get("cursor") or None
    limit = request.query_params.get("limit", "")
    size = int(limit) if limit.isdigit() and 1 <= int(limit) <= 500 else PAGE_SIZE
    found = None
    if not filters.errors:
        event = draft(request, "audit.read", "audit")
        try:
            found = await unit.run(
                rt,
                lambda tx: _search(tx, filters.where, "html", cursor, size),
                audit=event,
                actor=actor,
            )
        except DomainError as error:
            return _problem(request, actor, error)
    extra = {"limit": str(size)} if size != PAGE_SIZE else {}
    known = await unit.run(rt, lambda tx: names.all_partners(tx.session), audit=None, mode="read")
    partner_choices = [("", "alle partners")]
    partner_choices += [(pid, f"{name} ({pid})") for pid, name in known.items()]
    return render(
        request,
        rt,
        "audit_log.html",
        title="Auditlog",
        actor=actor,
        csrf=csrf_for(request),
        status=422 if filters.errors else 200,
        filters=filters,
        errors=filters.errors,
        outcomes=OUTCOME_CHOICES,
        partners=partner_choices,
        found=found,
        names=found.names if found else None,
        action_name=names.action_name,
        outcome_name=names.OUTCOMES,
        next_link=f"/console/audit?{filters.query(cursor=found.page.next_cursor, **extra)}"
        if found and found.page.next_cursor
        else None,
    )


@router.get("/events/{number}")
async def event(request: Request, actor: Auditor, number: str) -> Response:
    rt = runtime_of(request)
    seq = int(number) if number.isdigit() and len(number) <= 18 else 0

    def read(tx: unit.Tx) -> Found:
        tx.audit.resource_id = number[:64]
        statement = queries.statement(EventFilter(), after=seq - 1, upto=seq)
        found = tx.session.execute(statement).all() if 1 <= seq <= 2**62 else []
        items = [queries.public(row) for row in found]
        if items:
            tx.audit.subject_ref = items[0]["subjectRef"]
        return Found(Page(items, None), names.for_events(tx.session, items))

    found = await unit.run(
        rt, read, audit=draft(request, "audit.read", "audit"), actor=actor, mode="read"
    )
    if not found.page.items:
        return render(
            request,
            rt,
            "error.html",
            title="Niet gevonden",
            actor=actor,
            csrf=csrf_for(request),
            status=404,
            heading="Niet gevonden",
            message="Er is (nog) geen verzegelde gebeurtenis met dit volgnummer.",
        )
    item = found.page.items[0]
    return render(
        request,
        rt,
        "audit_event.html",
        title=f"Gebeurtenis {seq}",
        actor=actor,
        csrf=csrf_for(request),
        item=item,
        names=found.names,
        action_name=names.action_name,
        outcome_name=names.OUTCOMES,
        document=json.dumps(item, indent=2, ensure_ascii=False),
    )


@router.get("/export")
async def download(request: Request, actor: Auditor) -> Response:
    """Every matching event as CSV or NDJSON, exactly as the API exports them."""
    rt = runtime_of(request)
    filters = parse_filters(request.query_params)
    media = DOWNLOADS.get(request.query_params.get("format", ""))
    if filters.errors or media is None:
        return await log(request, actor)
    extension = request.query_params["format"]

    def begin(tx: unit.Tx) -> Export:
        _note(tx.audit, extension, filters.where)
        queries.seal_recent(tx.session, lock=not tx.runtime.db.is_sqlite)
        return Export(filters.where, 0, queries.last_seq(tx.session))

    export_of = await unit.run(rt, begin, audit=draft(request, "audit.read", "audit"), actor=actor)

    async def body() -> AsyncIterator[bytes]:
        if media == export.CSV:
            yield export.csv_header()
        while not export_of.done:
            items = await unit.run(
                rt, lambda tx: export_of.next_chunk(tx.session), audit=None, mode="read"
            )
            if items:
                yield export.render(media, items)

    response = StreamingResponse(
        body(),
        media_type=export.MEDIA_TYPES[media],
        headers={"Content-Disposition": f'attachment; filename="auditlog.{extension}"'},
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# Chain verification and checkpoints


def outcome(result: Verification) -> str:
    """The audit reason of a verification, worded as the API words it."""
    mode = "full" if result.mode == "full" else f"from:{result.checked_from}"
    if result.valid:
        return f"{mode} valid count:{result.count}"
    return f"{mode} invalid seq:{result.first_invalid_seq} {result.reason}"


async def _walk(rt: Runtime, *, incremental: bool, anchor: Head | None = None) -> Verification:
    """The walk on a read connection (never SQLite's writer), as the API walks; what is
    committed so far is sealed first (as `wijkdeel audit checkpoint` does), so the head is now's."""
    await unit.run(
        rt,
        lambda tx: queries.seal_recent(tx.session, lock=not tx.runtime.db.is_sqlite),
        audit=None,
    )
    return await unit.run(
        rt,
        lambda tx: checkpoints.walk(
            rt.db,
            tx.session.connection(),
            incremental=incremental,
            anchor=anchor,
            workers=rt.settings.audit_verify_workers,
        ),
        audit=None,
        mode="read",
    )


def _verify_page(
    request: Request,
    actor: SignedIn,
    *,
    result: Verification | None = None,
    signed: SignedHead | None = None,
    line: str = "",
    jwks: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
    unsigned: bool = False,
) -> Response:
    return render(
        request,
        runtime_of(request),
        "audit_verify.html",
        title="Ketencontrole",
        actor=actor,
        csrf=csrf_for(request),
        status=status,
        result=result,
        signed=signed,
        line=line,
        jwks=jwks,
        errors=errors or {},
        unsigned=unsigned,
        chain_reasons=CHAIN_REASONS,
    )


@router.get("/verify")
async def verify_page(request: Request, actor: Auditor) -> Response:
    return _verify_page(request, actor)


@router.post("/verify")
async def verify(request: Request, actor: Auditor) -> Response:
    form = await checked_form(request, actor)
    rt = runtime_of(request)
    incremental = text(form, "mode", 16) == "checkpoint"
    walked = await _walk(rt, incremental=incremental)

    def conclude(tx: unit.Tx) -> Verification:
        result = checkpoints.conclude(tx.session, walked, now=tx.now)
        tx.audit.reason = outcome(result)
        return result

    result = await unit.run(
        rt, conclude, audit=draft(request, "audit.verify", "audit"), actor=actor
    )
    return _verify_page(request, actor, result=result)


@router.post("/checkpoint")
async def checkpoint(request: Request, actor: Auditor) -> Response:
    """Verify the whole chain, then hand over its head as one signed line to keep elsewhere."""
    await checked_form(request, actor)
    rt = runtime_of(request)
    rt.keyrings.get()  # the master keys, loaded before the write holds SQLite's writer
    walked = await _walk(rt, incremental=False)

    def sign(tx: unit.Tx) -> tuple[Verification, str | None]:
        result = checkpoints.conclude(tx.session, walked, now=tx.now)
        tx.audit.reason = outcome(result)
        if not result.valid or result.head is None:
            return result, None
        tx.audit.resource_id = str(result.head.seq)
        line = anchoring.sign_head(
            tx.session, rt.keyrings, result.head, issuer=rt.settings.issuer, now=tx.now
        )
        return result, line

    result, line = await unit.run(
        rt, sign, audit=draft(request, "audit.checkpoint", "audit"), actor=actor
    )
    if line is None or result.head is None:
        return _verify_page(request, actor, result=result, unsigned=True, status=409)
    response = Response(
        line + "\n",
        media_type="text/plain; charset=utf-8",
        headers={
            "Content-Disposition": "attachment; "
            f'filename="wijkdeel-controlepunt-{result.head.seq}.txt"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
    return response


@router.get("/public-key")
async def public_key(request: Request, actor: Auditor) -> Response:
    """The JWK set that verifies checkpoint lines: to keep beside them, outside wijkdeel."""
    rt = runtime_of(request)
    rt.keyrings.get()
    keys = await unit.run(
        rt,
        lambda tx: anchoring.public_keys(tx.session, rt.keyrings),
        audit=draft(request, "audit.public_key", "audit_key"),
        actor=actor,
        mode="read",
    )
    return Response(
        json.dumps(keys, indent=2) + "\n",
        media_type="application/jwk-set+json",
        headers={
            "Content-Disposition": 'attachment; filename="wijkdeel-controlepunt-sleutels.json"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/checkpoint/verify")
async def verify_checkpoint(request: Request, actor: Auditor) -> Response:
    """A pasted checkpoint line: is its signature ours (or the kept key's), and does the whole
    chain, walked from the first event, still hold the head it names?"""
    form = await checked_form(request, actor)
    rt = runtime_of(request)
    line = text(form, "line", anchoring.MAX_LINE).strip()
    kept = text(form, "jwks", 20_000).strip()
    errors: dict[str, str] = {}
    if not line:
        errors["line"] = "Plak de controlepuntregel die u eerder hebt gedownload."
    elif len(line) > anchoring.MAX_LINE:
        errors["line"] = REFUSALS["malformed"]
    keys = None
    if kept:
        try:
            keys = anchoring.verifiers_from_jwks(json.loads(kept))
        except (ValueError, CheckpointRefused):
            errors["jwks"] = REFUSALS["unusable_public_key"]
    signed = None
    if not errors:
        if keys is None:
            rt.keyrings.get()
            keys = await unit.run(
                rt,
                lambda tx: anchoring.verifiers(tx.session, rt.keyrings),
                audit=None,
                mode="read",
            )
        try:
            signed = anchoring.read_line(line, keys)
        except CheckpointRefused as refused:
            errors["line"] = REFUSALS.get(refused.reason, REFUSALS["bad_signature"])
    if errors or signed is None:
        return _verify_page(request, actor, line=line, jwks=kept, errors=errors, status=422)
    anchor = signed.head
    walked = await _walk(rt, incremental=False, anchor=anchor)

    def conclude(tx: unit.Tx) -> Verification:
        result = checkpoints.conclude(tx.session, walked, anchor=anchor, now=tx.now)
        tx.audit.resource_id = str(anchor.seq)
        tx.audit.reason = f"checkpoint seq:{anchor.seq} {outcome(result)}"
        return result

    result = await unit.run(
        rt, conclude, audit=draft(request, "audit.verify", "audit"), actor=actor
    )
    return _verify_page(request, actor, result=result, signed=signed, line=line, jwks=kept)


# The report and timeline of one child


@dataclass
class Party:
    """One organisation (or person) in a child's report: how often it appears, and when."""

    who: str
    count: int
    denied: int
    first: datetime
    last: datetime


def _who(item: dict[str, Any], found: names.Names) -> str:
    actor = item.get("actor") or {}
    if actor.get("person"):
        return f"{found.person(actor['person']) or actor['person']} (console)"
    partner = found.partner(item.get("partner")) or item.get("partner")
    return str(partner or item.get("role") or "wijkdeel")


def parties(items: Sequence[dict[str, Any]], found: names.Names) -> list[Party]:
    summary: dict[str, Party] = {}
    for item in items:
        at = datetime.fromisoformat(item["at"])
        who = _who(item, found)
        party = summary.setdefault(who, Party(who, 0, 0, at, at))
        party.count += 1
        party.denied += item["outcome"] != "allow"
        party.first, party.last = min(party.first, at), max(party.last, at)
    return sorted(summary.values(), key=lambda party: party.first)


def _subject_page(
    request: Request,
    actor: SignedIn,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        runtime_of(request),
        "audit_subject.html",
        title="Overzicht per kind",
        actor=actor,
        csrf=csrf_for(request),
        status=status,
        errors=errors or {},
    )


@router.get("/subject")
async def subject_form(request: Request, actor: Auditor) -> Response:
    return _subject_page(request, actor)


@router.post("/subject")
async def subject_report(request: Request, actor: Auditor) -> Response:
    form = await checked_form(request, actor)
    rt = runtime_of(request)
    bsn = "".join(text(form, "bsn", 32).split())
    event = draft(request, "audit.subject_report", "audit")
    if not elfproef(bsn):

        def refuse(tx: unit.Tx) -> None:
            raise invalid_bsn("bsn")

        # Refused as the API refuses it: a deny event under the person, and nothing read.
        with contextlib.suppress(DomainError):
            await unit.run(rt, refuse, audit=event, actor=actor)
        message = (
            "Vul het BSN van het kind in: negen cijfers."
            if not bsn.isdigit() or len(bsn) != 9
            else "Dit is geen geldig BSN (de elfproef klopt niet)."
        )
        return _subject_page(request, actor, errors={"bsn": message}, status=422)
    subject_ref = rt.subjects.identify(bsn)[1]
    where = EventFilter(subject_ref=subject_ref)
    found = await unit.run(
        rt, lambda tx: _search(tx, where, "html", None, REPORT_LIMIT), audit=event, actor=actor
    )
    items = found.page.items
    query = urlencode({"subjectRef": subject_ref})
    return render(
        request,
        rt,
        "audit_report.html",
        title="Overzicht van een kind",
        actor=actor,
        csrf=csrf_for(request),
        subject_ref=subject_ref,
        items=items,
        more=found.page.next_cursor is not None,
        parties=parties(items, found.names),
        names=found.names,
        who=lambda item: _who(item, found.names),
        action_name=names.action_name,
        outcome_name=names.OUTCOMES,
        log_link=f"/console/audit?{query}",
        query=query,
    )
