"""The register of processing activities (AVG art. 30), derived from the agreements in force.

Nobody writes the register by hand: every purpose of every agreement in force is one processing
activity, and what the register says of it (controllers, data subjects, categories of data,
recipients, retention, legal basis) is read from that agreement's rules. The same function runs
for the API, the printable page and the property test that checks it against the agreements.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import orjson

from policies.agreements import Agreement, Rule
from policies.dates import within
from policies.vocabulary import KIND_PREFIX, SIGNAL_FIELDS

# A readable id when it fits the audit column (64), else a digest of the same two words.
_MAX_ID = 64

DEFAULT_MEASURES = (
    "Inhoud van signalen en toestemmingen per veld versleuteld met AES-256-GCM, met een eigen "
    "sleutel per record (verwijderen vernietigt de sleutel); sleutels omhuld door een "
    "hoofdsleutel die periodiek wordt vervangen. Een BSN wordt nooit onversleuteld opgeslagen: "
    "kinderen worden aangeduid met een sleutel-gebaseerd pseudoniem, per partner een eigen. "
    "Partners delen alleen wat een regel van een geldend convenant toestaat (per doel, categorie "
    "en veld), met toestemming waar de regel die vraagt; bewaartermijnen worden automatisch "
    "gehandhaafd. Elke toegang, ook een geweigerde, staat in een auditlog met hashketen en "
    "controlepunten. Systemen melden zich met client-sleutels (private_key_jwt) en kortlevende "
    "tokens; personen met OpenID Connect of wachtwoord met TOTP. Verkeer alleen via TLS."
)


@dataclass(frozen=True, slots=True)
class Controller:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Activity:
    """One processing activity: one purpose of one agreement version."""

    id: str
    agreement_id: str
    agreement_version: int
    agreement_title: str
    purpose: str
    description: str
    controllers: tuple[Controller, ...]
    data_subjects: tuple[str, ...]
    data_categories: tuple[str, ...]
    signal_categories: tuple[str, ...]
    recipients: tuple[Controller, ...]
    retention_days: int
    legal_basis: tuple[str, ...]
    measures: str


@dataclass(frozen=True, slots=True)
class Register:
    version: str
    activities: tuple[Activity, ...]


def activity_id(agreement_id: str, purpose: str) -> str:
    """The processing activity of `purpose` under `agreement_id`: the same across versions of
    the agreement, so audit events of different versions fall under one activity."""
    readable = f"{agreement_id}:{purpose}"
    if len(readable) <= _MAX_ID:
        return readable
    digest = hashlib.sha256(f"{agreement_id}\0{purpose}".encode()).hexdigest()[:24]
    return f"{agreement_id[: _MAX_ID - 26]}:{digest}"


def in_force(agreement: Agreement, today: date) -> bool:
    return agreement.status == "active" and within(
        today, agreement.valid_from, agreement.valid_until
    )


def _members(end: str, agreement: Agreement, kinds: Mapping[str, str]) -> set[str]:
    """The parties a rule's sender or recipient stands for."""
    if end.startswith(KIND_PREFIX):
        kind = end.removeprefix(KIND_PREFIX)
        return {party for party in agreement.parties if kinds.get(party) == kind}
    return {end} if end in agreement.parties else set()


def _subjects(rules: Iterable[Rule]) -> tuple[str, ...]:
    """Whose personal data the activity holds: always the child; the professional whose contact
    details travel along; the parent or guardian whose consent is recorded."""
    subjects = ["child"]
    rules = list(rules)
    if any("contact" in rule.fields for rule in rules):
        subjects.append("professional")
    if any(rule.requires_consent for rule in rules):
        subjects.append("guardian")
    return tuple(subjects)


def build(
    agreements: Iterable[Agreement],
    partners: Mapping[str, tuple[str, str]],
    *,
    today: date,
    measures: str = DEFAULT_MEASURES,
) -> Register:
    """The register for `today`: `partners` maps a partner id to (name, kind)."""
    kinds = {partner: kind for partner, (_, kind) in partners.items()}

    def named(ids: Iterable[str]) -> tuple[Controller, ...]:
        return tuple(Controller(p, partners.get(p, (p, ""))[0]) for p in sorted(set(ids)))

    activities = []
    for agreement in sorted(agreements, key=lambda a: a.id):
        if not in_force(agreement, today):
            continue
        for purpose in sorted(agreement.purposes):
            rules = [rule for rule in agreement.rules if purpose in rule.purposes]
            if not rules:
                continue  # a purpose no rule serves processes nothing
            senders = {s for rule in rules for s in _members(rule.sender, agreement, kinds)}
            receivers = {r for rule in rules for r in _members(rule.recipient, agreement, kinds)}
            fields = {field for rule in rules for field in rule.fields}
            activities.append(
                Activity(
                    id=activity_id(agreement.id, purpose),
                    agreement_id=agreement.id,
                    agreement_version=agreement.version,
                    agreement_title=agreement.title,
                    purpose=purpose,
                    description=agreement.purposes[purpose],
                    # Each party that discloses or receives decides on its own processing.
                    controllers=named(senders | receivers),
                    data_subjects=_subjects(rules),
                    data_categories=tuple(f for f in SIGNAL_FIELDS if f in fields),
                    signal_categories=tuple(sorted({c for r in rules for c in r.categories})),
                    recipients=named(receivers),
                    retention_days=max(rule.retention_days for rule in rules),
                    legal_basis=tuple(sorted({rule.legal_basis for rule in rules})),
                    measures=measures,
                )
            )
    return Register(_version(activities), tuple(activities))


def as_json(activity: Activity) -> dict[str, object]:
    """An activity as the API shows it (camelCase)."""
    return {
        "id": activity.id,
        "agreement": {
            "id": activity.agreement_id,
            "version": activity.agreement_version,
            "title": activity.agreement_title,
        },
        "purpose": activity.purpose,
        "description": activity.description,
        "controllers": [{"id": c.id, "name": c.name} for c in activity.controllers],
        "dataSubjects": list(activity.data_subjects),
        "dataCategories": list(activity.data_categories),
        "signalCategories": list(activity.signal_categories),
        "recipients": [{"id": c.id, "name": c.name} for c in activity.recipients],
        "retentionDays": activity.retention_days,
        "legalBasis": list(activity.legal_basis),
        "measures": activity.measures,
    }


def _version(activities: Iterable[Activity]) -> str:
    """A digest of the register's content: it changes exactly when the register does."""
    canonical = orjson.dumps([as_json(a) for a in activities], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()[:16]


def activity_for(
    agreements: Iterable[Agreement], partner: str, purpose: str | None, today: date
) -> str | None:
    """The activity a partner acts under with a token for `purpose` when no single decision
    names the agreement (recording a consent): the first agreement in force, by id, that has
    the partner as a party and the purpose. None when there is none."""
    if not purpose:
        return None
    for agreement in sorted(agreements, key=lambda a: a.id):
        if (
            in_force(agreement, today)
            and partner in agreement.parties
            and purpose in agreement.purposes
        ):
            return activity_id(agreement.id, purpose)
    return None
