"""Acceptance for the gemeente's administrators: where each agreement's newest version stands
with its parties, and accepting or rejecting a proposed version for the gemeente itself when
it is one of the parties.

A person has no key of their own: the service signs the statement on their behalf with its
statement key (the audit key) and names the person in it (`person`), and the acceptance is
audited under the person. Anyone can verify it with the service's published audit keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from audit.anchoring import statement_signer
from auth import statements
from console import agreement_forms as forms
from console import unit
from console.auth import checked_form, csrf_for, draft, role, runtime_of, text
from console.pages import render
from core.errors import DomainError, Forbidden
from notifications import events
from people.sessions import SignedIn
from policies.acceptance import PROPOSED, Decision
from policies.vocabulary import is_slug
from records import acceptances, agreements
from records.models import AgreementVersion, Partner

router = APIRouter(prefix="/console", include_in_schema=False)

Admin = Annotated[SignedIn, Depends(role("admin", page="acceptance"))]

STATUS_NAMES = forms.STATUS_NAMES
NOTICES = {
    "accept": "U hebt de versie namens de gemeente aanvaard.",
    "reject": "U hebt de versie namens de gemeente afgewezen.",
}


@dataclass(frozen=True)
class Row:
    version: AgreementVersion
    content_hash: str
    decided: dict[str, str]  # party → accept | reject (standing decisions)
    gemeenten: list[str]  # parties of kind gemeente that have not decided yet


def _overview(tx: unit.Tx) -> list[Row]:
    kinds = agreements.partner_kinds(tx.session)
    rows = []
    for version in sorted(agreements.current_versions(tx.session), key=lambda r: r.agreement_id):
        decided = {a.partner_id: a.decision for a in acceptances.standing(tx.session, version)}
        waiting = [
            party
            for party in agreements.parties(version)
            if kinds.get(party) == "gemeente" and party not in decided
        ]
        gemeenten = waiting if version.status == PROPOSED else []
        rows.append(Row(version, acceptances.version_hash(version), decided, gemeenten))
    tx.audit.count = len(rows)
    return rows


@router.get("/acceptance")
async def overview(request: Request, actor: Admin) -> Response:
    rt = runtime_of(request)
    rows = await unit.run(
        rt, _overview, audit=draft(request, "agreement.list", "agreement"), actor=actor
    )
    return render(
        request,
        rt,
        "acceptance.html",
        title="Aanvaarden",
        actor=actor,
        csrf=csrf_for(request),
        rows=rows,
        status_names=STATUS_NAMES,
        notice=NOTICES.get(request.query_params.get("m", "")),
    )


def decide_for_gemeente(
    tx: unit.Tx, agreement_id: str, version: int, partner: str, decision: Decision
) -> acceptances.Outcome:
    """The person's decision for a gemeente party, signed by the service on their behalf."""
    assert tx.actor is not None
    tx.audit.resource_id, tx.audit.partner = agreement_id, partner
    found = tx.session.get(Partner, partner)
    if found is None or found.kind != "gemeente":
        raise Forbidden("only the gemeente is accepted for in the console", reasons=["role"])
    row = acceptances.party_version(tx.session, agreement_id, version, partner, lock=True)
    tx.audit.agreement_id, tx.audit.agreement_version = row.agreement_id, row.version
    expected = statements.Expected(agreement_id, version, acceptances.version_hash(row), decision)
    kid, key = statement_signer(tx.session, tx.runtime.keyrings, tx.now)
    signature = statements.sign(
        statements.payload_for(expected, partner=partner, person=tx.actor.person_id),
        key,
        kid=kid,
    )
    signer = acceptances.Signer(partner, "console", person_id=tx.actor.person_id)
    outcome = acceptances.decide(
        tx.session, row, signer, decision, signature=signature, kid=kid, now=tx.now
    )
    if outcome.changed_to is not None:
        events.agreement_status(
            tx.session, outcome.version, now=tx.now, max_attempts=tx.runtime.max_attempts
        )
    return outcome


@router.post("/agreements/{agreement_id}/versions/{version}/acceptance")
async def accept(request: Request, agreement_id: str, version: int, actor: Admin) -> Response:
    rt = runtime_of(request)
    form = await checked_form(request, actor)
    decision = text(form, "decision", 8)
    partner = text(form, "partner", 64)
    if decision not in ("accept", "reject") or not is_slug(partner) or not is_slug(agreement_id):
        return _refused(request, actor, "Dit formulier is niet compleet. Probeer het opnieuw.")
    chosen: Decision = "accept" if decision == "accept" else "reject"
    event = draft(request, f"agreement.{chosen}", "agreement")
    try:
        await unit.run(
            rt,
            lambda tx: decide_for_gemeente(tx, agreement_id, version, partner, chosen),
            audit=event,
            actor=actor,
        )
    except DomainError as error:
        return _refused(request, actor, _MESSAGES.get(error.code, _MESSAGES["default"]))
    return RedirectResponse(f"/console/acceptance?m={chosen}", status_code=303)


_MESSAGES = {
    "version_not_proposed": "Deze versie wacht niet meer op een besluit.",
    "already_decided": "De gemeente heeft over deze versie al besloten.",
    "default": "Dit besluit kon niet worden vastgelegd.",
}


def _refused(request: Request, actor: SignedIn, message: str) -> Response:
    return render(
        request,
        runtime_of(request),
        "error.html",
        title="Niet vastgelegd",
        actor=actor,
        csrf=csrf_for(request),
        status=409,
        heading="Niet vastgelegd",
        message=message,
    )
