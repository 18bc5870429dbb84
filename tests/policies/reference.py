"""The decision rules read plainly off the brief, without an index, to check the engine against."""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from policies import Agreement, Consent, Decision, Ground, Party, Rule, ShareRequest
from policies.vocabulary import REASONS, SIGNAL_FIELDS

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def names(end: str, party: Party) -> bool:
    return end == party.id or end == f"kind:{party.kind}"


def matching_rules(
    agreements: Sequence[Agreement], request: ShareRequest
) -> list[tuple[Agreement, int, Rule]]:
    sender, recipient = request.sender, request.recipient
    return [
        (agreement, index, rule)
        for agreement in agreements
        if sender.id != recipient.id
        and sender.id in agreement.parties
        and recipient.id in agreement.parties
        for index, rule in enumerate(agreement.rules)
        if names(rule.sender, sender) and names(rule.recipient, recipient)
    ]


def in_force(agreement: Agreement, now: datetime) -> bool:
    today = now.astimezone(AMSTERDAM).date()
    return (
        agreement.status == "active"
        and agreement.valid_from <= today
        and (agreement.valid_until is None or today <= agreement.valid_until)
    )


def covers(consent: Consent, request: ShareRequest) -> bool:
    return (
        consent.recorded_by == request.sender.id
        and request.recipient.id in consent.recipients
        and request.purpose in consent.purposes
        and (consent.categories is None or request.category in consent.categories)
    )


def same_subject(consent: Consent, request: ShareRequest) -> bool:
    """Unless both record a birth date (as a tag), a consent is taken to be about the child."""
    return (
        consent.subject_tag is None
        or request.subject_tag is None
        or consent.subject_tag == request.subject_tag
    )


def consent_counts(
    consent: Consent,
    request: ShareRequest,
    now: datetime,
    *,
    ignore_withdrawal: bool = False,
    ignore_subject: bool = False,
) -> bool:
    today = now.astimezone(AMSTERDAM).date()
    withdrawn = consent.withdrawn_at is not None and consent.withdrawn_at <= now
    return (
        covers(consent, request)
        and consent.valid_from <= today
        and (consent.valid_until is None or today <= consent.valid_until)
        and (ignore_withdrawal or not withdrawn)
        and (ignore_subject or withdrawn or same_subject(consent, request))
    )


def reference_decide(
    agreements: Sequence[Agreement],
    request: ShareRequest,
    consents: Sequence[Consent],
    now: datetime,
) -> Decision:
    if not (request.sender.active and request.recipient.active):
        return Decision.deny(("partner_suspended",))
    candidates = matching_rules(agreements, request)
    if not candidates:
        return Decision.deny(("no_agreement",))
    today = now.astimezone(AMSTERDAM).date()
    counting = sorted(c.id for c in consents if consent_counts(c, request, now))
    withdrawn = any(
        consent_counts(c, request, now, ignore_withdrawal=True, ignore_subject=True)
        and not consent_counts(c, request, now, ignore_subject=True)
        for c in consents
    )
    mismatched = any(consent_counts(c, request, now, ignore_subject=True) for c in consents)
    reasons: set[str] = set()
    grounds: list[Ground] = []
    for agreement, index, rule in candidates:
        if agreement.status != "active":
            reasons.add(
                {"draft": "agreement_not_active"}.get(
                    agreement.status, f"agreement_{agreement.status}"
                )
            )
        elif today < agreement.valid_from:
            reasons.add("agreement_not_yet_valid")
        elif agreement.valid_until is not None and today > agreement.valid_until:
            reasons.add("agreement_expired")
        elif request.purpose not in rule.purposes:
            reasons.add("purpose_mismatch")
        elif request.category not in rule.categories:
            reasons.add("category_not_shared")
        elif rule.requires_consent and not counting:
            reasons.add(
                "consent_withdrawn"
                if withdrawn
                else "consent_subject_mismatch"
                if mismatched
                else "consent_required"
            )
        elif rule.requires_professional and request.professional is False:
            reasons.add("professional_required")
        else:
            consent_id = counting[0] if rule.requires_consent else None
            grounds.append(
                Ground(agreement.id, agreement.version, index, rule, rule.legal_basis, consent_id)
            )
    if not grounds:
        return Decision.deny(tuple(reason for reason in REASONS if reason in reasons))
    grounds.sort(key=lambda g: (g.agreement_id, g.agreement_version, g.rule_index))
    named = grounds[0]
    shared = {field for ground in grounds for field in ground.rule.fields}
    return Decision(
        allow=True,
        reasons=(),
        legal_basis=named.legal_basis,
        agreement_id=named.agreement_id,
        agreement_version=named.agreement_version,
        rule_index=named.rule_index,
        rule=named.rule,
        fields=tuple(field for field in SIGNAL_FIELDS if field in shared),
        retention_days=min(ground.rule.retention_days for ground in grounds),
        consent_id=named.consent_id,
        grounds=tuple(grounds),
    )


def reference_purposes_for(
    agreements: Sequence[Agreement], partner_id: str, now: datetime
) -> frozenset[str]:
    return frozenset(
        purpose
        for agreement in agreements
        if partner_id in agreement.parties and in_force(agreement, now)
        for purpose in agreement.purposes
    )
