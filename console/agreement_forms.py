"""Agreements for people: a document to and from the console's form, the engine's problems as
Dutch messages on the form's fields, the matrix of who may share what, and a diff of versions.

Pure functions of documents (the API's camelCase form, as stored); the checks themselves stay
where the API has them (AgreementBody, policies.validate_agreement via records.agreements).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from api.schemas.agreements import AgreementBody
from policies.vocabulary import AGREEMENT_STATUSES, KIND_PREFIX, LEGAL_BASES, SIGNAL_FIELDS

RULE_FIELDS = (
    "sender",
    "recipient",
    "purposes",
    "categories",
    "fields",
    "legalBasis",
    "requiresConsent",
    "retentionDays",
    "requiresProfessional",
    "exchangeContact",
)
BLANK_RULES = 2
MAX_FORM_RULES = 100
MAX_FORM_FIELDS = 20 + len(RULE_FIELDS) * MAX_FORM_RULES + len(SIGNAL_FIELDS) * MAX_FORM_RULES
STATUS_NAMES = {
    "draft": "concept",
    "proposed": "voorgesteld",
    "rejected": "afgewezen",
    "active": "actief",
    "suspended": "opgeschort",
    "terminated": "beëindigd",
}
BASIS_NAMES = {
    "consent": "toestemming (a)",
    "contract": "overeenkomst (b)",
    "legal_obligation": "wettelijke plicht (c)",
    "vital_interests": "vitaal belang (d)",
    "public_task": "publieke taak (e)",
    "legitimate_interests": "gerechtvaardigd belang (f)",
}
FIELD_NAMES = {
    "subject": "kind (naam, geboortedatum)",
    "summary": "samenvatting",
    "details": "toelichting",
    "contact": "contactpersoon",
}
LABELS = {
    "id": "Id",
    "title": "Titel",
    "parties": "Partijen",
    "validFrom": "Geldig vanaf",
    "validUntil": "Geldig tot",
    "status": "Status",
    "purposes": "Doelen",
    "sender": "afzender",
    "recipient": "ontvanger",
    "categories": "categorieën",
    "fields": "gegevens",
    "legalBasis": "grondslag",
    "requiresConsent": "toestemming nodig",
    "retentionDays": "bewaartermijn",
    "requiresProfessional": "professional nodig",
    "exchangeContact": "contact uitwisselen",
    "coordination": "Regie",
}
_SLUG_NL = "moet bestaan uit 2 tot 64 kleine letters, cijfers of -"
# The engine's messages (policies/agreements.py), in Dutch; anything else is shown as it is.
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^must be a slug .*$", _SLUG_NL),
        (r"^purpose word (\d+) must be a slug .*$", r"doel \1 " + _SLUG_NL),
        (r"^must not be before validFrom$", "mag niet vóór de datum 'geldig vanaf' liggen"),
        (r"^unknown partner kind; must be one of (.*)$", r"onbekende soort partner; kies uit \1"),
        (r"^must be one of (.*)$", r"moet een van deze zijn: \1"),
        (r"^must name at least one purpose$", "noem minstens één doel"),
        (r"^must name at least one party$", "noem minstens één partij"),
        (r"^must name at least one category$", "noem minstens één categorie"),
        (r"^must name at least one field$", "kies minstens één gegeven"),
        (r"^'(.*)' is listed more than once$", r"'\1' staat er meer dan eens in"),
        (r"^'(.*)' is not a registered partner$", r"'\1' is geen geregistreerde partner"),
        (r"^names no party: no party of this agreement is of kind '(.*)'$",
         r"geen partij van dit convenant is van de soort '\1'"),
        (r"^'(.*)' is not a party of this agreement$", r"'\1' is geen partij van dit convenant"),
        (r"^must be a party of this agreement or kind:<kind>$",
         "moet een partij van dit convenant zijn, of kind:<soort>"),
        (r"^names only the sender itself; .*$",
         "is alleen de afzender zelf; een partij deelt niet met zichzelf"),
        (r"^(?:'(.*)' )?is not a purpose of this agreement$", "is geen doel van dit convenant"),
        (r"^must be true when legalBasis is consent$",
         "moet aangevinkt zijn als de grondslag toestemming is"),
        (r"^must be between 1 and (\d+) days$", r"moet tussen 1 en \1 dagen liggen"),
        (r"^duplicates rules\[\d+\].*$",
         "herhaalt een eerdere regel (zelfde afzender, ontvanger, doelen en categorieën)"),
    )
)  # fmt: skip
_PATH = re.compile(r"^rules\[(\d+)\](?:\.([A-Za-z]+))?")


def dutch(message: str) -> str:
    for pattern, replacement in _MESSAGES:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def _words(value: str) -> list[str]:
    return [word for word in re.split(r"[\s,;]+", value.strip()) if word]


@dataclass
class Parsed:
    """A form read back: the API body it makes, where each rule came from, and the values to
    show again when it is refused."""

    body: dict[str, Any]
    rows: list[int]  # rows[i]: the form row of the body's rule i
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def _value(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def read_form(form: FormData, agreement_id: str) -> Parsed:
    values: dict[str, Any] = {
        name: _value(form, name)
        for name in (
            "id",
            "title",
            "validFrom",
            "validUntil",
            "status",
            "parties",
            "purposes",
            "coordination",
        )
    }
    values["id"] = agreement_id
    errors: dict[str, str] = {}
    purposes: dict[str, str] = {}
    for number, line in enumerate(values["purposes"].splitlines(), start=1):
        if not line.strip():
            continue
        word, colon, description = line.partition(":")
        if not colon or not description.strip():
            errors["purposes"] = (
                f"Doelen, regel {number}: schrijf 'woord: omschrijving', bijvoorbeeld "
                "'signalering: Zorgsignalen doorgeleiden'."
            )
        purposes[word.strip()] = description.strip()
    coordination: list[dict[str, Any]] = []
    for number, line in enumerate(values["coordination"].splitlines(), start=1):
        if not line.strip():
            continue
        words, colon, coordinator = line.partition(":")
        if not colon or not coordinator.strip() or not _words(words):
            errors["coordination"] = (
                f"Regie, regel {number}: schrijf 'doelen: coördinator', bijvoorbeeld "
                "'zorgoverleg: kind:wijkteam'."
            )
        coordination.append({"purposes": _words(words), "coordinator": coordinator.strip()})
    count = _value(form, "rules", 8)
    rows: list[int] = []
    rules: list[dict[str, Any]] = []
    values["rules"] = []
    for row in range(min(int(count) if count.isdigit() else 0, MAX_FORM_RULES)):
        prefix = f"rules-{row}-"
        rule_values: dict[str, Any] = {
            name: _value(form, prefix + name, 400) for name in RULE_FIELDS
        }
        rule_values["fields"] = [
            item for item in form.getlist(prefix + "fields") if isinstance(item, str)
        ]
        values["rules"].append(rule_values)
        if not rule_values["sender"].strip() and not rule_values["recipient"].strip():
            continue  # an empty row: nothing, or a rule taken out
        retention = rule_values["retentionDays"].strip()
        rows.append(row)
        rules.append(
            {
                "sender": rule_values["sender"].strip(),
                "recipient": rule_values["recipient"].strip(),
                "purposes": _words(rule_values["purposes"]),
                "categories": _words(rule_values["categories"]),
                "fields": rule_values["fields"],
                "legalBasis": rule_values["legalBasis"],
                "requiresConsent": rule_values["requiresConsent"] == "on",
                "retentionDays": retention if retention else None,
                "requiresProfessional": rule_values["requiresProfessional"] == "on",
                "exchangeContact": rule_values["exchangeContact"] == "on",
            }
        )
    body = {
        "id": agreement_id,
        "title": values["title"].strip(),
        "parties": _words(values["parties"]),
        "validFrom": values["validFrom"] or None,
        "validUntil": values["validUntil"] or None,
        "status": values["status"],
        "purposes": purposes,
        "rules": rules,
        "coordination": coordination,
    }
    return Parsed(body, rows, values, errors)


def form_values(document: Mapping[str, Any], *, blank_rules: int = BLANK_RULES) -> dict[str, Any]:
    """The form's values for a stored document (the next version starts from it)."""
    rules = [
        {
            "sender": rule["sender"],
            "recipient": rule["recipient"],
            "purposes": ", ".join(rule["purposes"]),
            "categories": ", ".join(rule["categories"]),
            "fields": list(rule["fields"]),
            "legalBasis": rule["legalBasis"],
            "requiresConsent": "on" if rule["requiresConsent"] else "",
            "retentionDays": str(rule["retentionDays"]),
            "requiresProfessional": "on" if rule.get("requiresProfessional") else "",
            "exchangeContact": "on" if rule.get("exchangeContact") else "",
        }
        for rule in document.get("rules", [])
    ]
    return {
        "id": document.get("id", ""),
        "title": document.get("title", ""),
        "validFrom": document.get("validFrom", ""),
        "validUntil": document.get("validUntil") or "",
        "status": document.get("status", "active"),
        "parties": "\n".join(document.get("parties", [])),
        "purposes": "\n".join(
            f"{word}: {text}" for word, text in document.get("purposes", {}).items()
        ),
        "coordination": "\n".join(
            f"{', '.join(entry['purposes'])}: {entry['coordinator']}"
            for entry in document.get("coordination", [])
        ),
        "rules": rules + [blank_rule() for _ in range(blank_rules)],
    }


def blank_rule() -> dict[str, Any]:
    return {
        "sender": "",
        "recipient": "",
        "purposes": "",
        "categories": "",
        "fields": [],
        "legalBasis": "public_task",
        "requiresConsent": "",
        "retentionDays": "",
        "requiresProfessional": "",
        "exchangeContact": "",
    }


def field_of(path: str, rows: Sequence[int]) -> str:
    """The form field an API path names: `rules[2].fields[1]` -> `rules-<row>-fields`."""
    found = _PATH.match(path)
    if found:
        index = int(found.group(1))
        row = rows[index] if index < len(rows) else index
        member = found.group(2) if found.group(2) in RULE_FIELDS else "sender"
        return f"rules-{row}-{member}"
    top = re.split(r"[.\[]", path, maxsplit=1)[0]
    return top if top in LABELS else "title"


def label_of(name: str) -> str:
    if name.startswith("rules-"):
        _, row, member = name.split("-", 2)
        return f"Regel {int(row) + 1}, {LABELS.get(member, member)}"
    return LABELS.get(name, name)


def add_problem(errors: dict[str, str], name: str, message: str) -> None:
    errors.setdefault(name, f"{label_of(name)}: {message}")


_PYDANTIC = {
    "validFrom": "geef een datum",
    "validUntil": "geef een datum of laat leeg",
    "retentionDays": "geef een aantal dagen",
    "title": "vul een titel in van hoogstens 200 tekens",
    "legalBasis": "kies een grondslag",
    "status": "kies een status",
}


def check_body(parsed: Parsed) -> AgreementBody | None:
    """The API's schema check of the body; its problems go on the form's fields."""
    try:
        return AgreementBody.model_validate(parsed.body)
    except ValidationError as error:
        for problem in error.errors():
            loc = problem["loc"]
            path = str(loc[0]) if loc else "title"
            if path == "rules" and len(loc) >= 3:
                path = f"rules[{loc[1]}].{loc[2]}"
            name = field_of(path, parsed.rows)
            member = name.rsplit("-", 1)[-1]
            add_problem(parsed.errors, name, _PYDANTIC.get(member, "ongeldige waarde"))
        return None


def add_engine_problems(parsed: Parsed, invalid_params: Sequence[Mapping[str, Any]]) -> None:
    for problem in invalid_params:
        name = field_of(str(problem.get("name", "")), parsed.rows)
        add_problem(parsed.errors, name, dutch(str(problem.get("reason", ""))))


# The matrix


@dataclass(frozen=True)
class Cell:
    """One line of the matrix: who may send what to whom, for which purpose and category."""

    sender: str
    recipient: str
    purpose: str
    category: str
    fields: tuple[str, ...]
    requires_consent: bool
    legal_basis: str
    retention_days: int
    rule: int

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.sender, self.recipient, self.purpose, self.category)

    @property
    def terms(self) -> tuple[tuple[str, ...], bool, str, int]:
        return (self.fields, self.requires_consent, self.legal_basis, self.retention_days)


def matrix(document: Mapping[str, Any]) -> list[Cell]:
    cells = [
        Cell(
            rule["sender"],
            rule["recipient"],
            purpose,
            category,
            tuple(rule["fields"]),
            bool(rule["requiresConsent"]),
            rule["legalBasis"],
            int(rule["retentionDays"]),
            index,
        )
        for index, rule in enumerate(document.get("rules", []))
        for purpose in rule["purposes"]
        for category in rule["categories"]
    ]
    return sorted(cells, key=lambda cell: (*cell.key, cell.rule))


def party_name(end: str, partners: Mapping[str, str]) -> str:
    if end.startswith(KIND_PREFIX):
        return f"elke partij van de soort {end.removeprefix(KIND_PREFIX)}"
    return partners.get(end, end)


# The diff of two versions


@dataclass(frozen=True)
class Change:
    what: str
    before: str
    after: str


@dataclass
class Diff:
    changes: list[Change]
    added: list[Cell]
    removed: list[Cell]
    changed: list[tuple[Cell, Cell]]

    @property
    def empty(self) -> bool:
        return not (self.changes or self.added or self.removed or self.changed)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> Diff:
    changes = [
        Change(LABELS[name], _shown(old.get(name)), _shown(new.get(name)))
        for name in ("title", "parties", "validFrom", "validUntil", "status")
        if old.get(name) != new.get(name)
    ]
    old_purposes, new_purposes = old.get("purposes", {}), new.get("purposes", {})
    for word in sorted(set(old_purposes) | set(new_purposes)):
        if old_purposes.get(word) != new_purposes.get(word):
            changes.append(
                Change(
                    f"Doel {word}", _shown(old_purposes.get(word)), _shown(new_purposes.get(word))
                )
            )
    before = {cell.key: cell for cell in matrix(old)}
    after = {cell.key: cell for cell in matrix(new)}
    return Diff(
        changes,
        added=[after[key] for key in sorted(after.keys() - before.keys())],
        removed=[before[key] for key in sorted(before.keys() - after.keys())],
        changed=[
            (before[key], after[key])
            for key in sorted(before.keys() & after.keys())
            if before[key].terms != after[key].terms
        ],
    )


STATUS_CHOICES = tuple((status, STATUS_NAMES.get(status, status)) for status in AGREEMENT_STATUSES)
BASIS_CHOICES = tuple((basis, BASIS_NAMES.get(basis, basis)) for basis in LEGAL_BASES)
FIELD_CHOICES = tuple((name, FIELD_NAMES.get(name, name)) for name in SIGNAL_FIELDS)
