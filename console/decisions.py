"""The decision tester: what the engine would decide now about a signal from one partner to
another - answered by the very function behind `POST /v1/decisions`, so the page and the API
cannot disagree. A BSN (to let the child's consents count) comes in the form's body only."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from api.routes.decisions import explanation
from api.schemas.agreements import DecisionPublic, DecisionRequest
from console import unit
from console.agreement_forms import BASIS_NAMES, FIELD_NAMES
from console.auth import checked_form, csrf_for, draft, role, runtime_of, text
from console.names import all_partners
from console.pages import render
from core.errors import DomainError
from people.sessions import SignedIn

router = APIRouter(prefix="/console/decisions", include_in_schema=False)

# Whom POST /v1/decisions admits: administrators and auditors.
Explainer = Annotated[SignedIn, Depends(role("admin", "auditor", page="decisions"))]

REASON_NAMES = {
    "partner_suspended": "een van de partners is geschorst",
    "no_agreement": "geen convenant staat deze deling toe",
    "agreement_not_active": "het convenant is nog een concept",
    "agreement_suspended": "het convenant is opgeschort",
    "agreement_terminated": "het convenant is beëindigd",
    "agreement_not_yet_valid": "het convenant geldt nog niet",
    "agreement_expired": "het convenant is verlopen",
    "purpose_mismatch": "dit doel staat niet in een regel voor deze partners",
    "category_not_shared": "deze categorie wordt niet gedeeld",
    "consent_required": "hiervoor is toestemming nodig en die is er niet",
    "consent_subject_mismatch": "de toestemming hoort bij een ander kind (geboortedatum)",
    "consent_withdrawn": "de toestemming is ingetrokken",
    "field_not_shared": "een gegeven wordt niet gedeeld",
}
FIELDS = ("sender", "recipient", "purpose", "category")
MESSAGES = {
    "sender": "Kies de afzender.",
    "recipient": "Kies de ontvanger.",
    "purpose": "Vul het doel in (hoogstens 64 tekens), bijvoorbeeld signalering.",
    "category": "Vul de categorie in (hoogstens 64 tekens), bijvoorbeeld opvoeding.",
}


async def _page(
    request: Request,
    actor: SignedIn,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    answer: DecisionPublic | None = None,
    status: int = 200,
) -> Response:
    rt = runtime_of(request)
    known = await unit.run(rt, lambda tx: all_partners(tx.session), audit=None, mode="read")
    choices = [("", "kies een partner"), *((pid, f"{name} ({pid})") for pid, name in known.items())]
    document = answer.model_dump(mode="json", by_alias=True) if answer else None
    return render(
        request,
        rt,
        "decisions.html",
        title="Beslissing testen",
        actor=actor,
        csrf=csrf_for(request),
        status=status,
        partners=choices,
        names=known,
        values=values or {},
        errors=errors or {},
        answer=answer,
        document=json.dumps(document, indent=2, ensure_ascii=False) if document else None,
        reason_names=REASON_NAMES,
        basis_names=BASIS_NAMES,
        field_names=FIELD_NAMES,
    )


@router.get("")
async def tester(request: Request, actor: Explainer) -> Response:
    return await _page(request, actor)


@router.post("")
async def decide(request: Request, actor: Explainer) -> Response:
    form = await checked_form(request, actor)
    values = {name: text(form, name, 80).strip() for name in FIELDS}
    bsn = "".join(text(form, "bsn", 32).split())
    errors: dict[str, str] = {}
    for name in FIELDS:
        if not values[name] or len(values[name]) > 64:
            errors[name] = MESSAGES[name]
    if bsn and (len(bsn) != 9 or not bsn.isdigit()):
        errors["bsn"] = "Een BSN heeft negen cijfers; laat het veld leeg om zonder kind te testen."
    body = None
    if not errors:
        try:
            body = DecisionRequest.model_validate(
                {**values, **({"subject": {"bsn": bsn}} if bsn else {})}
            )
        except ValidationError:
            errors["purpose"] = MESSAGES["purpose"]
    if errors or body is None:
        return await _page(request, actor, values=values, errors=errors, status=422)
    event = draft(request, "decision.explain", "decision")
    checked = body
    try:
        answer = await unit.run(
            runtime_of(request),
            lambda tx: explanation(tx.base, checked),
            audit=event,
            actor=actor,
            mode="read",
        )
    except DomainError:
        # The only refusal left is the BSN's elfproef (a deny event is written by the unit).
        errors["bsn"] = "Dit is geen geldig BSN (de elfproef klopt niet)."
        return await _page(request, actor, values=values, errors=errors, status=422)
    return await _page(request, actor, values=values, answer=answer)
