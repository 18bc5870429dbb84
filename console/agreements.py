"""The administrator's agreements (convenanten): the matrix of who may share what with whom,
every version and the difference between two, a new version written in a form, and YAML in
and out - stored by the same functions as `POST`/`PUT /v1/agreements` and `wijkdeel
agreements import`, so the same checks refuse the same mistakes, now on the form's fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.schemas.agreements import AgreementBody
from console import agreement_forms as forms
from console import unit
from console.auth import checked_form, csrf_for, draft, role, runtime_of, text
from console.names import all_partners
from console.pages import render
from core.errors import Conflict, DomainError, Invalid, NotFound
from people.sessions import SignedIn
from records import agreements
from records.models import AgreementRecord, AgreementVersion

router = APIRouter(prefix="/console/agreements", include_in_schema=False)

Admin = Annotated[SignedIn, Depends(role("admin", page="agreements"))]

MAX_YAML = 200_000


def _not_found(request: Request, actor: SignedIn) -> Response:
    return render(
        request,
        runtime_of(request),
        "error.html",
        title="Niet gevonden",
        actor=actor,
        csrf=csrf_for(request),
        status=404,
        heading="Niet gevonden",
        message="Er is geen convenant (of versie) met dit id.",
    )


def _noted(tx: unit.Tx, row: AgreementVersion) -> AgreementVersion:
    tx.audit.resource_id = row.agreement_id
    tx.audit.agreement_id, tx.audit.agreement_version = row.agreement_id, row.version
    return row


@dataclass
class Overview:
    rows: list[AgreementVersion]
    partners: dict[str, str]


@router.get("")
async def overview(request: Request, actor: Admin) -> Response:
    rt = runtime_of(request)

    def work(tx: unit.Tx) -> Overview:
        rows = sorted(agreements.current_versions(tx.session), key=lambda row: row.agreement_id)
        tx.audit.count = len(rows)
        return Overview(rows, all_partners(tx.session))

    found = await unit.run(
        rt, work, audit=draft(request, "agreement.list", "agreement"), actor=actor, mode="read"
    )
    return render(
        request,
        rt,
        "agreements.html",
        title="Convenanten",
        actor=actor,
        csrf=csrf_for(request),
        overview=found,
        matrix=forms.matrix,
        party=lambda end: forms.party_name(end, found.partners),
        status_names=forms.STATUS_NAMES,
        basis_names=forms.BASIS_NAMES,
        field_names=forms.FIELD_NAMES,
    )


# One agreement: a version, all versions, a diff, an export


@dataclass
class Versions:
    shown: AgreementVersion
    current: int
    all: Sequence[AgreementVersion]
    partners: dict[str, str]


def _versions(tx: unit.Tx, agreement_id: str, version: int | None) -> Versions:
    tx.audit.resource_id = agreement_id
    current = agreements.get_version(tx.session, agreement_id)
    shown = agreements.get_version(tx.session, agreement_id, version) if version else current
    _noted(tx, shown)
    return Versions(
        shown,
        current.version,
        agreements.versions(tx.session, agreement_id),
        all_partners(tx.session),
    )


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < int(value) < 2**31 else None


@router.get("/new")
async def new_form(request: Request, actor: Admin) -> Response:
    values = forms.form_values({"status": "active"}, blank_rules=3)
    return _form_page(request, actor, values=values, agreement_id=None, base=None)


@router.get("/import")
async def import_form(request: Request, actor: Admin) -> Response:
    return _import_page(request, actor)


@router.get("/{agreement_id}")
async def agreement(request: Request, actor: Admin, agreement_id: str) -> Response:
    rt = runtime_of(request)
    version = _number(request.query_params.get("version"))
    try:
        found = await unit.run(
            rt,
            lambda tx: _versions(tx, agreement_id, version),
            audit=draft(request, "agreement.read", "agreement"),
            actor=actor,
            mode="read",
        )
    except NotFound:
        return _not_found(request, actor)
    notice = {"saved": "De nieuwe versie is opgeslagen."}.get(request.query_params.get("m", ""))
    return render(
        request,
        rt,
        "agreement.html",
        title=found.shown.document["title"],
        actor=actor,
        csrf=csrf_for(request),
        found=found,
        document=found.shown.document,
        cells=forms.matrix(found.shown.document),
        party=lambda end: forms.party_name(end, found.partners),
        status_names=forms.STATUS_NAMES,
        basis_names=forms.BASIS_NAMES,
        field_names=forms.FIELD_NAMES,
        notice=notice,
    )


@router.get("/{agreement_id}/diff")
async def difference(request: Request, actor: Admin, agreement_id: str) -> Response:
    rt = runtime_of(request)
    first = _number(request.query_params.get("from"))
    second = _number(request.query_params.get("to"))

    def work(tx: unit.Tx) -> tuple[Versions, AgreementVersion, AgreementVersion]:
        found = _versions(tx, agreement_id, None)
        old = agreements.get_version(tx.session, agreement_id, first or max(found.current - 1, 1))
        new = agreements.get_version(tx.session, agreement_id, second or found.current)
        tx.audit.reason = f"diff {old.version}..{new.version}"
        return found, old, new

    try:
        found, old, new = await unit.run(
            rt, work, audit=draft(request, "agreement.read", "agreement"), actor=actor, mode="read"
        )
    except NotFound:
        return _not_found(request, actor)
    return render(
        request,
        rt,
        "agreement_diff.html",
        title=f"Verschil tussen versie {old.version} en {new.version}",
        actor=actor,
        csrf=csrf_for(request),
        found=found,
        old=old,
        new=new,
        diff=forms.diff(old.document, new.document),
        party=lambda end: forms.party_name(end, found.partners),
        basis_names=forms.BASIS_NAMES,
        field_names=forms.FIELD_NAMES,
    )


@router.get("/{agreement_id}/export")
async def export_yaml(request: Request, actor: Admin, agreement_id: str) -> Response:
    """The version in the form `wijkdeel agreements import` and the import page read."""
    rt = runtime_of(request)
    version = _number(request.query_params.get("version"))

    def work(tx: unit.Tx) -> AgreementVersion:
        row = _noted(tx, agreements.get_version(tx.session, agreement_id, version))
        tx.audit.reason = "export yaml"
        return row

    try:
        row = await unit.run(
            rt, work, audit=draft(request, "agreement.read", "agreement"), actor=actor, mode="read"
        )
    except NotFound:
        return _not_found(request, actor)
    body = yaml.safe_dump(row.document, sort_keys=False, allow_unicode=True)
    return Response(
        body,
        media_type="application/yaml; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{row.agreement_id}-v{row.version}.yaml"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# Writing: a new agreement, a new version


def _form_page(
    request: Request,
    actor: SignedIn,
    *,
    values: dict[str, Any],
    agreement_id: str | None,
    base: int | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        runtime_of(request),
        "agreement_form.html",
        title="Nieuw convenant" if agreement_id is None else "Nieuwe versie",
        actor=actor,
        csrf=csrf_for(request),
        status=status,
        values=values,
        agreement_id=agreement_id,
        base=base,
        errors=errors or {},
        statuses=forms.STATUS_CHOICES,
        bases=forms.BASIS_CHOICES,
        signal_fields=forms.FIELD_CHOICES,
    )


@router.get("/{agreement_id}/edit")
async def edit_form(request: Request, actor: Admin, agreement_id: str) -> Response:
    rt = runtime_of(request)
    try:
        found = await unit.run(
            rt,
            lambda tx: _versions(tx, agreement_id, None),
            audit=draft(request, "agreement.read", "agreement"),
            actor=actor,
            mode="read",
        )
    except NotFound:
        return _not_found(request, actor)
    return _form_page(
        request,
        actor,
        values=forms.form_values(found.shown.document),
        agreement_id=agreement_id,
        base=found.current,
    )


def _store(
    tx: unit.Tx, document: dict[str, Any], *, new: bool, base: int | None, author: str
) -> AgreementVersion:
    """Create the agreement or write its next version, as the API does; a version written by
    someone else since the form was opened is not overwritten."""
    if new:
        return _noted(tx, agreements.create(tx.session, document, author=author, now=tx.now))
    agreement_id = document["id"]
    # Locked, so that of two people saving at once the second sees the first one's version.
    record = tx.session.get(AgreementRecord, agreement_id, with_for_update=True)
    if record is not None and base is not None and record.current_version != base:
        raise Conflict(
            "another change to this agreement came first; retry", code="agreement_changed"
        )
    return _noted(
        tx, agreements.update(tx.session, agreement_id, document, author=author, now=tx.now)
    )


async def _save(request: Request, actor: SignedIn, agreement_id: str | None) -> Response:
    form = await checked_form(request, actor, max_fields=forms.MAX_FORM_FIELDS)
    new = agreement_id is None
    target = text(form, "id", 64).strip() if new else agreement_id
    assert target is not None
    parsed = forms.read_form(form, target)
    base = _number(text(form, "base", 12))
    if new and not target:
        forms.add_problem(parsed.errors, "id", "vul een id in, bijvoorbeeld convenant-noord")
    body = forms.check_body(parsed)

    def again(status: int) -> Response:
        return _form_page(
            request,
            actor,
            values=parsed.values,
            agreement_id=agreement_id,
            base=base,
            errors=parsed.errors,
            status=status,
        )

    if parsed.errors or body is None:
        return again(422)
    document = body.document(target)
    action = "agreement.create" if new else "agreement.update"
    try:
        row = await unit.run(
            runtime_of(request),
            lambda tx: _store(tx, document, new=new, base=base, author=actor.person_id),
            audit=draft(request, action, "agreement"),
            actor=actor,
        )
    except Invalid as error:
        forms.add_engine_problems(parsed, error.invalid_params)
        return again(422)
    except Conflict as error:
        message = (
            "er is al een convenant met dit id"
            if error.code == "agreement_exists"
            else "iemand anders heeft intussen een nieuwe versie opgeslagen; open het "
            "convenant opnieuw en breng uw wijziging daarin aan"
        )
        forms.add_problem(parsed.errors, "id" if new else "title", message)
        return again(409)
    except NotFound:
        return _not_found(request, actor)
    return RedirectResponse(f"/console/agreements/{row.agreement_id}?m=saved", status_code=303)


@router.post("")
async def create(request: Request, actor: Admin) -> Response:
    return await _save(request, actor, None)


@router.post("/import")
async def import_yaml(request: Request, actor: Admin) -> Response:
    """A YAML (or JSON) agreement file: created, or written as its next version when it
    differs from the current one - as `wijkdeel agreements import` does."""
    form = await checked_form(request, actor, max_files=1)
    uploaded = form.get("file")
    pasted = text(form, "yaml", MAX_YAML)
    field = "yaml"
    source = pasted
    try:
        if isinstance(uploaded, UploadFile) and uploaded.filename:
            field = "file"
            source = (await uploaded.read(MAX_YAML + 1)).decode("utf-8", errors="replace")
    finally:
        await form.close()
    errors: dict[str, str] = {}
    problems: list[str] = []
    document: dict[str, Any] | None = None
    if not source.strip():
        errors["file"] = "Kies een bestand of plak het convenant."
    elif len(source) > MAX_YAML:
        errors[field] = "Dit bestand is te groot voor een convenant."
    else:
        try:
            data = yaml.safe_load(source)
        except yaml.YAMLError:
            data = None
            errors[field] = "Dit is geen geldige YAML (of JSON)."
        if not errors and not isinstance(data, dict):
            errors[field] = "Het bestand moet één convenant bevatten."
        elif not errors:
            assert isinstance(data, dict)
            try:
                body = AgreementBody.model_validate(data)
            except ValidationError as error:
                problems = [
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
                ]
                errors[field] = "Het convenant klopt niet; zie de punten hieronder."
            else:
                if body.id is None:
                    errors[field] = "Het convenant heeft geen id."
                else:
                    document = body.document(body.id)
    if errors or document is None:
        return _import_page(request, actor, errors=errors, problems=problems, pasted=pasted)
    rt = runtime_of(request)
    agreement_id = str(document["id"])
    exists = await unit.run(
        rt,
        lambda tx: tx.session.get(AgreementRecord, agreement_id) is not None,
        audit=None,
        mode="read",
    )

    def store(tx: unit.Tx) -> AgreementVersion | None:
        if exists:
            current = agreements.get_version(tx.session, agreement_id)
            if current.document == document:
                _noted(tx, current)
                tx.audit.reason = "import unchanged"
                return None
        return _store(tx, document, new=not exists, base=None, author=actor.person_id)

    action = "agreement.update" if exists else "agreement.create"
    try:
        row = await unit.run(rt, store, audit=draft(request, action, "agreement"), actor=actor)
    except DomainError as error:
        problems = [
            f"{p.get('name')}: {forms.dutch(str(p.get('reason')))}" for p in error.invalid_params
        ]
        errors[field] = (
            "Het convenant wordt geweigerd; zie de punten hieronder."
            if problems
            else "Het convenant kon niet worden opgeslagen; probeer het opnieuw."
        )
        return _import_page(
            request, actor, errors=errors, problems=problems, pasted=pasted, status=422
        )
    if row is None:
        return _import_page(
            request,
            actor,
            pasted="",
            notice=f"{agreement_id} is ongewijzigd: dit is al de huidige versie.",
            status=200,
        )
    return RedirectResponse(f"/console/agreements/{row.agreement_id}?m=saved", status_code=303)


def _import_page(
    request: Request,
    actor: SignedIn,
    *,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    pasted: str = "",
    notice: str | None = None,
    status: int | None = None,
) -> Response:
    errors = errors or {}
    return render(
        request,
        runtime_of(request),
        "agreement_import.html",
        title="Convenant importeren",
        actor=actor,
        csrf=csrf_for(request),
        status=status or (422 if errors else 200),
        errors=errors,
        problems=problems or [],
        pasted=pasted,
        notice=notice,
    )


@router.post("/{agreement_id}")
async def update(request: Request, actor: Admin, agreement_id: str) -> Response:
    return await _save(request, actor, agreement_id)
