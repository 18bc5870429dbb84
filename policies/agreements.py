"""Sharing agreements (convenanten) and the checks an agreement must pass before it is stored."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from policies.vocabulary import (
    KIND_PREFIX,
    LEGAL_BASES,
    PARTNER_KINDS,
    SIGNAL_FIELDS,
    WRITTEN_STATUSES,
    is_slug,
)

MAX_RETENTION_DAYS = 730
"""The Verwijsindex keeps a signal at most two years; no agreement may keep one longer."""

_SLUG_RULE = "a slug (2 to 64 characters: a-z, 0-9 and '-')"

_Report = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may send what to whom: `sender`/`recipient` are a party id or `kind:<kind>`."""

    sender: str
    recipient: str
    purposes: tuple[str, ...]
    categories: tuple[str, ...]
    fields: tuple[str, ...]
    legal_basis: str
    requires_consent: bool
    retention_days: int
    requires_professional: bool = False
    """Sending under this rule needs a professional acting for the sender (an actor token)."""

    exchange_contact: bool = False
    """Whether the rule's two ends may know each other's professional (name, function, work
    contact) in a match about a child, for the rule's purposes. Off unless a rule says so."""


@dataclass(frozen=True, slots=True)
class Coordination:
    """Who coordinates (has regie over) a match about a child for `purposes`: a party id, or
    `kind:<kind>` for the one involved party of that kind."""

    purposes: tuple[str, ...]
    coordinator: str


@dataclass(frozen=True, slots=True)
class Agreement:
    """One version of a sharing agreement; `purposes` maps each purpose word to its description."""

    id: str
    version: int
    title: str
    parties: tuple[str, ...]
    valid_from: date
    valid_until: date | None
    status: str
    purposes: Mapping[str, str]
    rules: tuple[Rule, ...]
    coordination: tuple[Coordination, ...] = ()


@dataclass(frozen=True, slots=True)
class AgreementProblem:
    """Why an agreement cannot be stored; `path` names the offending member as in the JSON."""

    path: str
    message: str


def validate_agreement(
    agreement: Agreement, partner_kinds: Mapping[str, str]
) -> list[AgreementProblem]:
    """Every problem of `agreement`, in document order; `partner_kinds` maps partner id to kind."""
    # Messages quote a value only when it is a slug or a word of the fixed vocabulary: anything
    # else could be free text, and problems end up in responses and logs.
    problems: list[AgreementProblem] = []

    def report(path: str, message: str) -> None:
        problems.append(AgreementProblem(path, message))

    if not is_slug(agreement.id):
        report("id", f"must be {_SLUG_RULE}")

    parties = _check_parties(agreement.parties, partner_kinds, report)

    if agreement.valid_until is not None and agreement.valid_until < agreement.valid_from:
        report("validUntil", "must not be before validFrom")

    if agreement.status not in WRITTEN_STATUSES:
        report("status", f"must be one of {', '.join(WRITTEN_STATUSES)}")

    if not agreement.purposes:
        report("purposes", "must name at least one purpose")
    for position, word in enumerate(agreement.purposes, start=1):
        if not is_slug(word):
            report("purposes", f"purpose word {position} must be {_SLUG_RULE}")

    kinds_of_parties: dict[str, set[str]] = {}
    for party in parties:
        kind = partner_kinds.get(party)
        if kind is not None:
            kinds_of_parties.setdefault(kind, set()).add(party)

    seen_rules: dict[tuple[str, str, frozenset[str], frozenset[str]], int] = {}
    for index, rule in enumerate(agreement.rules):
        at = f"rules[{index}]"
        identity = (
            rule.sender,
            rule.recipient,
            frozenset(rule.purposes),
            frozenset(rule.categories),
        )
        if identity in seen_rules:
            report(
                at,
                f"duplicates rules[{seen_rules[identity]}]: same sender, recipient, "
                "purposes and categories",
            )
        else:
            seen_rules[identity] = index
        _check_rule(rule, at, agreement, parties, kinds_of_parties, report)

    _check_coordination(agreement, parties, kinds_of_parties, report)
    return problems


def _check_coordination(
    agreement: Agreement,
    parties: frozenset[str],
    kinds_of_parties: Mapping[str, set[str]],
    report: _Report,
) -> None:
    """Each entry names a party (or a kind of party) and purposes of the agreement; a purpose
    has at most one coordinator, so a match never has two by the same agreement."""
    coordinated: dict[str, int] = {}
    for index, entry in enumerate(agreement.coordination):
        at = f"coordination[{index}]"
        _resolve(entry.coordinator, f"{at}.coordinator", parties, kinds_of_parties, report)
        if not entry.purposes:
            report(f"{at}.purposes", "must name at least one purpose")
        for position, purpose in enumerate(entry.purposes):
            where = f"{at}.purposes[{position}]"
            quoted = f"'{purpose}' " if is_slug(purpose) else ""
            if purpose not in agreement.purposes:
                report(where, f"{quoted}is not a purpose of this agreement")
            elif purpose in coordinated:
                report(
                    where,
                    f"{quoted}already has a coordinator in coordination[{coordinated[purpose]}]",
                )
            else:
                coordinated[purpose] = index


def _check_parties(
    parties: tuple[str, ...], partner_kinds: Mapping[str, str], report: _Report
) -> frozenset[str]:
    """Report problems with the party list; return the parties a rule may name."""
    if not parties:
        report("parties", "must name at least one party")
    seen: set[str] = set()
    for index, party in enumerate(parties):
        at = f"parties[{index}]"
        if not is_slug(party):
            report(at, f"must be {_SLUG_RULE}")
        elif party in seen:
            report(at, f"'{party}' is listed more than once")
        elif party not in partner_kinds:
            report(at, f"'{party}' is not a registered partner")
        seen.add(party)
    # Unregistered parties still count as named, so a rule naming one is not reported twice.
    return frozenset(seen)


def _resolve(
    end: str,
    at: str,
    parties: frozenset[str],
    kinds_of_parties: Mapping[str, set[str]],
    report: _Report,
) -> frozenset[str] | None:
    """The parties a rule's sender or recipient stands for, or None after reporting why none."""
    if end.startswith(KIND_PREFIX):
        kind = end.removeprefix(KIND_PREFIX)
        if kind not in PARTNER_KINDS:
            report(at, f"unknown partner kind; must be one of {', '.join(PARTNER_KINDS)}")
            return None
        members = kinds_of_parties.get(kind)
        if not members:
            report(at, f"names no party: no party of this agreement is of kind '{kind}'")
            return None
        return frozenset(members)
    if end in parties:
        return frozenset((end,))
    if is_slug(end):
        report(at, f"'{end}' is not a party of this agreement")
    else:
        report(at, "must be a party of this agreement or kind:<kind>")
    return None


def _check_rule(
    rule: Rule,
    at: str,
    agreement: Agreement,
    parties: frozenset[str],
    kinds_of_parties: Mapping[str, set[str]],
    report: _Report,
) -> None:
    senders = _resolve(rule.sender, f"{at}.sender", parties, kinds_of_parties, report)
    recipients = _resolve(rule.recipient, f"{at}.recipient", parties, kinds_of_parties, report)
    if senders is not None and senders == recipients and len(senders) == 1:
        report(f"{at}.recipient", "names only the sender itself; a party cannot share with itself")

    if not rule.purposes:
        report(f"{at}.purposes", "must name at least one purpose")
    for index, purpose in enumerate(rule.purposes):
        if purpose not in agreement.purposes:
            quoted = f"'{purpose}' " if is_slug(purpose) else ""
            report(f"{at}.purposes[{index}]", f"{quoted}is not a purpose of this agreement")

    if not rule.categories:
        report(f"{at}.categories", "must name at least one category")
    for index, category in enumerate(rule.categories):
        if not is_slug(category):
            report(f"{at}.categories[{index}]", f"must be {_SLUG_RULE}")

    if not rule.fields:
        report(f"{at}.fields", "must name at least one field")
    seen_fields: set[str] = set()
    for index, field in enumerate(rule.fields):
        if field not in SIGNAL_FIELDS:
            report(f"{at}.fields[{index}]", f"must be one of {', '.join(SIGNAL_FIELDS)}")
        elif field in seen_fields:
            report(f"{at}.fields[{index}]", f"'{field}' is listed more than once")
        seen_fields.add(field)

    if rule.legal_basis not in LEGAL_BASES:
        report(f"{at}.legalBasis", f"must be one of {', '.join(LEGAL_BASES)}")
    elif rule.legal_basis == "consent" and rule.requires_consent is not True:
        report(f"{at}.requiresConsent", "must be true when legalBasis is consent")

    if not 1 <= rule.retention_days <= MAX_RETENTION_DAYS:
        report(f"{at}.retentionDays", f"must be between 1 and {MAX_RETENTION_DAYS} days")
