"""Explain a decision without acting (admins and auditors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.context import audited
from api.deps import Unit, unit_for
from api.schemas.agreements import DecisionPublic, DecisionRequest
from policies import Rule
from records.consents import invalid_bsn
from records.policy import consents_for
from records.subjects import elfproef
from wijkdeel.unit import Tx

router = APIRouter(tags=["agreements"])

Explainer = Annotated[Unit, unit_for("admin", "audit:read")]


@router.post(
    "/decisions",
    summary="Explain what the engine would decide now",
    description="Exactly the decision a signal would get at this moment: allow or deny, the "
    "reasons, the legal basis, the fields, and the agreement version it stands on. With "
    "`subject.bsn` the child's consents count too. Nothing is changed.",
    openapi_extra=audited("decision.explain", "decision"),
)
async def explain(body: DecisionRequest, unit: Explainer) -> DecisionPublic:
    return await unit.read(lambda tx, _: explanation(tx, body))


def explanation(tx: Tx, body: DecisionRequest) -> DecisionPublic:
    """The decision the engine would take now, as `POST /v1/decisions` answers it (the
    console's decision tester answers with this same function)."""
    audit = tx.audit
    consents, subject_ref = [], None
    if body.subject is not None:
        if not elfproef(body.subject.bsn):
            raise invalid_bsn("subject.bsn")
        index, subject_ref = tx.runtime.subjects.identify(body.subject.bsn)
        consents = consents_for(tx.session, index)
        audit.subject_ref = subject_ref
    decision = tx.view.decide(
        sender=body.sender,
        recipient=body.recipient,
        purpose=body.purpose,
        category=body.category,
        consents=consents,
        now=tx.now,
        professional=body.professional,
    )
    audit.purpose = body.purpose
    audit.basis(
        legal_basis=decision.legal_basis,
        agreement_id=decision.agreement_id,
        version=decision.agreement_version,
    )
    audit.reason = "allow" if decision.allow else ",".join(decision.reasons)
    rule = decision.rule
    return DecisionPublic.model_validate(
        {
            "allow": decision.allow,
            "reasons": list(decision.reasons),
            "legalBasis": decision.legal_basis,
            "fields": list(decision.fields),
            "agreement": {"id": decision.agreement_id, "version": decision.agreement_version}
            if decision.agreement_id
            else None,
            "rule": _rule(rule) if rule else None,
            "retentionDays": decision.retention_days,
            "subjectRef": subject_ref,
            "grounds": [
                {
                    "agreement": {"id": g.agreement_id, "version": g.agreement_version},
                    "ruleIndex": g.rule_index,
                    "legalBasis": g.legal_basis,
                    "consentId": g.consent_id,
                }
                for g in decision.grounds
            ],
        }
    )


def _rule(rule: Rule) -> dict[str, object]:
    return {
        "sender": rule.sender,
        "recipient": rule.recipient,
        "purposes": list(rule.purposes),
        "categories": list(rule.categories),
        "fields": list(rule.fields),
        "legalBasis": rule.legal_basis,
        "requiresConsent": rule.requires_consent,
        "retentionDays": rule.retention_days,
        "requiresProfessional": rule.requires_professional,
    }
