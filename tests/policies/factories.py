"""Keyword-only builders for the example neighbourhood of API.md."""

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from policies import Agreement, Consent, Party, Rule, ShareRequest
from policies.vocabulary import SIGNAL_FIELDS

NOORD_PARTNERS = {
    "kinderwerk-noord": "kinderwerk",
    "obs-de-linde": "school",
    "wijkteam-noord": "wijkteam",
}

# Mid-November 2026: the example agreement and the example consent are both in force.
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def make_rule(
    *,
    sender: str = "kinderwerk-noord",
    recipient: str = "wijkteam-noord",
    purposes: tuple[str, ...] = ("signalering",),
    categories: tuple[str, ...] = ("opvoeding", "veiligheid", "gezondheid"),
    fields: tuple[str, ...] = SIGNAL_FIELDS,
    legal_basis: str = "public_task",
    requires_consent: bool = False,
    retention_days: int = 365,
) -> Rule:
    return Rule(
        sender=sender,
        recipient=recipient,
        purposes=purposes,
        categories=categories,
        fields=fields,
        legal_basis=legal_basis,
        requires_consent=requires_consent,
        retention_days=retention_days,
    )


SIGNALERING_RULE = make_rule()
AFSTEMMING_RULE = make_rule(
    recipient="kind:school",
    purposes=("afstemming",),
    categories=("school",),
    fields=("subject", "summary", "contact"),
    legal_basis="consent",
    requires_consent=True,
    retention_days=180,
)


def convenant_noord(**changes: Any) -> Agreement:
    """The example agreement of API.md, with `changes` applied."""
    agreement = Agreement(
        id="convenant-noord",
        version=1,
        title="Convenant zorgsignalen Noord",
        parties=("kinderwerk-noord", "obs-de-linde", "wijkteam-noord"),
        valid_from=date(2026, 1, 1),
        valid_until=date(2028, 12, 31),
        status="active",
        purposes={
            "signalering": "Zorgsignalen doorgeleiden naar het wijkteam",
            "afstemming": "Ondersteuning rond een kind afstemmen",
        },
        rules=(SIGNALERING_RULE, AFSTEMMING_RULE),
    )
    return replace(agreement, **changes)


def with_rule(agreement: Agreement, index: int, **changes: Any) -> Agreement:
    """`agreement` with rule `index` changed."""
    rules = list(agreement.rules)
    rules[index] = replace(rules[index], **changes)
    return replace(agreement, rules=tuple(rules))


def make_consent(
    *,
    id: str = "consent-1",
    recorded_by: str = "kinderwerk-noord",
    purposes: tuple[str, ...] = ("afstemming",),
    recipients: tuple[str, ...] = ("obs-de-linde",),
    categories: tuple[str, ...] | None = ("school",),
    valid_from: date = date(2026, 11, 1),
    valid_until: date | None = date(2027, 11, 1),
    withdrawn_at: datetime | None = None,
) -> Consent:
    return Consent(
        id=id,
        recorded_by=recorded_by,
        purposes=purposes,
        recipients=recipients,
        categories=categories,
        valid_from=valid_from,
        valid_until=valid_until,
        withdrawn_at=withdrawn_at,
    )


def party(partner_id: str, *, kind: str | None = None, active: bool = True) -> Party:
    """A partner of the example neighbourhood, its kind looked up unless given."""
    return Party(partner_id, kind if kind is not None else NOORD_PARTNERS[partner_id], active)


def share(
    sender: str | Party,
    recipient: str | Party,
    *,
    purpose: str = "signalering",
    category: str = "opvoeding",
) -> ShareRequest:
    return ShareRequest(
        sender=sender if isinstance(sender, Party) else party(sender),
        recipient=recipient if isinstance(recipient, Party) else party(recipient),
        purpose=purpose,
        category=category,
    )
