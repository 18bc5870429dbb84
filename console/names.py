"""Names for the identifiers in the audit log and elsewhere: partners, clients and people are
shown to a person by name, with the identifier beside it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from records.models import Client, Partner, Person

# What an action word means, for a privacy officer reading the log (unknown words are shown
# as they are).
ACTIONS = {
    "agreement.create": "convenant aangemaakt",
    "agreement.list": "convenanten opgevraagd",
    "agreement.read": "convenant ingezien",
    "agreement.update": "nieuwe versie van een convenant",
    "audit.checkpoint": "controlepunt ondertekend",
    "audit.create_key": "sleutel voor controlepunten aangemaakt",
    "audit.public_key": "sleutel voor controlepunten gedownload",
    "audit.read": "auditlog ingezien",
    "audit.rotate_key": "sleutel voor controlepunten vervangen",
    "audit.subject_report": "overzicht van een kind opgevraagd",
    "audit.verify": "keten gecontroleerd",
    "client.create": "koppeling geregistreerd",
    "client.list": "koppelingen opgevraagd",
    "client.revoke": "koppeling ingetrokken",
    "consent.create": "toestemming vastgelegd",
    "consent.read": "toestemming ingezien",
    "consent.search": "toestemmingen gezocht",
    "consent.withdraw": "toestemming ingetrokken",
    "console.open": "pagina geopend",
    "decision.explain": "beslissing getest",
    "delivery.list": "afleveringen opgevraagd",
    "delivery.retry": "aflevering opnieuw verstuurd",
    "key.create_audit": "sleutel aangemaakt",
    "key.create_master": "sleutel aangemaakt",
    "key.create_signing": "sleutel aangemaakt",
    "key.rewrap": "sleutels opnieuw verzegeld",
    "key.rotate_master": "sleutel vervangen",
    "key.rotate_signing": "sleutel vervangen",
    "match.list": "matches opgevraagd",
    "me.read": "eigen gegevens opgevraagd",
    "partner.create": "partner aangemaakt",
    "partner.list": "partners opgevraagd",
    "partner.read": "partner ingezien",
    "partner.update": "partner gewijzigd",
    "person.create": "persoon toegevoegd",
    "person.disable": "persoon uitgeschakeld",
    "person.enable": "persoon weer ingeschakeld",
    "person.list": "personen opgevraagd",
    "person.password_change": "wachtwoord gewijzigd",
    "person.set_role": "rol van een persoon gewijzigd",
    "person.sign_in": "aangemeld",
    "person.sign_out": "afgemeld",
    "signal.create": "signaal afgegeven",
    "signal.erase": "signaal gewist",
    "signal.list": "signaal in een lijst getoond",
    "signal.read": "signaal ingezien",
    "signal.share": "signaal gedeeld met een ontvanger",
    "signal.update": "signaal gewijzigd",
    "subscription.create": "webhook aangemaakt",
    "subscription.delete": "webhook verwijderd",
    "subscription.disable": "webhook uitgeschakeld",
    "subscription.list": "webhooks opgevraagd",
    "token.issue": "toegangsbewijs uitgegeven",
    "token.revoke": "toegangsbewijs ingetrokken",
}
OUTCOMES = {"allow": "toegestaan", "deny": "geweigerd", "error": "mislukt"}


@dataclass
class Names:
    partners: dict[str, str] = field(default_factory=dict)
    clients: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (partner, role)
    people: dict[str, str] = field(default_factory=dict)

    def partner(self, partner_id: str | None) -> str | None:
        return self.partners.get(partner_id) if partner_id else None

    def client(self, client_id: str | None) -> str | None:
        """`Wijkteam Noord (partner)` for a client of that partner."""
        if not client_id or client_id not in self.clients:
            return None
        partner_id, role = self.clients[client_id]
        return f"{self.partners.get(partner_id, partner_id)} ({role})"

    def person(self, person_id: str | None) -> str | None:
        return self.people.get(person_id) if person_id else None


def action_name(action: str) -> str:
    return ACTIONS.get(action, action)


def for_events(session: Session, items: Iterable[dict[str, Any]]) -> Names:
    """The names of every partner (a short list), and of the clients and people `items` name."""
    items = list(items)
    client_ids = {item["clientId"] for item in items if item.get("clientId")}
    person_ids = {
        item["actor"]["person"]
        for item in items
        if isinstance(item.get("actor"), dict) and item["actor"].get("person")
    }
    names = Names(partners=all_partners(session))
    if client_ids:
        for row in session.execute(
            select(col(Client.id), col(Client.partner_id), col(Client.role)).where(
                col(Client.id).in_(client_ids)
            )
        ):
            names.clients[row[0]] = (row[1], row[2])
    if person_ids:
        for row in session.execute(
            select(col(Person.id), col(Person.display_name)).where(col(Person.id).in_(person_ids))
        ):
            names.people[row[0]] = row[1]
    return names


def all_partners(session: Session) -> dict[str, str]:
    rows = session.execute(select(col(Partner.id), col(Partner.name)).order_by(col(Partner.id)))
    return {row[0]: row[1] for row in rows}
