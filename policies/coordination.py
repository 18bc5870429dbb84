"""Matches as shared work: who may know whose professional, who coordinates, how regie moves.

Pure like the decision engine: agreements, partners and time come in, an answer goes out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal

from policies.agreements import Agreement
from policies.dates import local_date, within
from policies.decision import Party
from policies.vocabulary import KIND_PREFIX

ACTIONS: Final = ("take", "handover", "accept", "decline", "assign")
Action = Literal["take", "handover", "accept", "decline", "assign"]

MATCH_ENDED: Final = "match_ended"
ADMIN_REQUIRED: Final = "admin_required"
NOT_INVOLVED: Final = "not_involved"
NOT_COORDINATOR: Final = "not_coordinator"
NOT_HANDOVER_RECIPIENT: Final = "not_handover_recipient"
NO_HANDOVER: Final = "no_handover"
COORDINATOR_EXISTS: Final = "coordinator_exists"
ALREADY_COORDINATOR: Final = "already_coordinator"
TO_REQUIRED: Final = "to_required"
TO_NOT_EXPECTED: Final = "to_not_expected"
HANDOVER_TO_SELF: Final = "handover_to_self"


def in_force(agreement: Agreement, today: date) -> bool:
    return agreement.status == "active" and within(
        today, agreement.valid_from, agreement.valid_until
    )


def _names(end: str, party: Party, parties: frozenset[str]) -> bool:
    """Whether a rule's sender or recipient (`end`) stands for `party` in an agreement."""
    if party.id not in parties:
        return False
    if end.startswith(KIND_PREFIX):
        return party.kind == end.removeprefix(KIND_PREFIX)
    return end == party.id


def may_exchange_contact(
    agreements: Iterable[Agreement], a: Party, b: Party, purpose: str | None, now: datetime
) -> bool:
    """Whether two partners may know each other's professional in a match, for `purpose`: only
    where a rule of an agreement in force between them says `exchangeContact` for that purpose
    (either way round; exchanging is mutual). Denied by default."""
    if purpose is None or a.id == b.id or not (a.active and b.active):
        return False
    today = local_date(now)
    for agreement in agreements:
        if not in_force(agreement, today):
            continue
        parties = frozenset(agreement.parties)
        for rule in agreement.rules:
            if not rule.exchange_contact or purpose not in rule.purposes:
                continue
            if (_names(rule.sender, a, parties) and _names(rule.recipient, b, parties)) or (
                _names(rule.sender, b, parties) and _names(rule.recipient, a, parties)
            ):
                return True
    return False


def rule_coordinator(
    agreements: Iterable[Agreement],
    involved: Collection[Party],
    purposes: Collection[str],
    now: datetime,
) -> tuple[str, str] | None:
    """The partner an agreement in force names to coordinate a match whose signals were shared
    for `purposes`, with that agreement's id: the first entry (by agreement id, then order)
    whose coordinator stands for exactly one active involved party. None if no entry does."""
    today = local_date(now)
    for agreement in sorted(agreements, key=lambda a: a.id):
        if not in_force(agreement, today):
            continue
        parties = frozenset(agreement.parties)
        for entry in agreement.coordination:
            if not set(entry.purposes) & set(purposes):
                continue
            named = [p for p in involved if p.active and _names(entry.coordinator, p, parties)]
            if len(named) == 1:
                return named[0].id, agreement.id
    return None


def known_partners(caller: str, seen: Iterable[tuple[str, Collection[str]]]) -> frozenset[str]:
    """The partners `caller` already knows to be concerned with the child, from the signals it
    may see (`seen`: each signal's sender and recipients): itself, the sender of each, and the
    recipients of the ones it sent itself - as the signals show them to it."""
    known = {caller}
    for sender, recipients in seen:
        known.add(sender)
        if sender == caller:
            known.update(recipients)
    return frozenset(known)


@dataclass(frozen=True, slots=True)
class Regie:
    """Who coordinates a match and to whom a handover has been proposed."""

    coordinator: str | None
    handover_to: str | None = None
    ended: bool = False


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a coordination step is refused: `kind` says how (forbidden, invalid, conflict)."""

    kind: Literal["forbidden", "invalid", "conflict"]
    reason: str


def coordinate(
    regie: Regie,
    *,
    actor: str,
    admin: bool,
    action: str,
    to: str | None,
    involved: Collection[str],
) -> Regie | Refusal:
    """The regie after `actor` does `action`, or why it may not.

    An involved partner takes regie nobody (still involved) holds; the coordinator proposes a
    handover to another involved partner, who accepts or declines it; an administrator of the
    municipality assigns it to any involved partner. Regie never goes to a partner that is not
    involved, and nobody but an administrator moves it to someone other than themselves.
    """
    if regie.ended:
        return Refusal("conflict", MATCH_ENDED)
    if action == "assign":
        if not admin:
            return Refusal("forbidden", ADMIN_REQUIRED)
        if to is None:
            return Refusal("invalid", TO_REQUIRED)
        if to not in involved:
            return Refusal("invalid", NOT_INVOLVED)
        if to == regie.coordinator:
            return Refusal("conflict", ALREADY_COORDINATOR)
        return Regie(to)
    if actor not in involved:
        return Refusal("forbidden", NOT_INVOLVED)
    if action == "take":
        if to is not None and to != actor:
            return Refusal("invalid", TO_NOT_EXPECTED)
        if regie.coordinator == actor:
            return Refusal("conflict", ALREADY_COORDINATOR)
        # A coordinator who is no longer involved (its signals gone) leaves regie to be taken.
        if regie.coordinator is not None and regie.coordinator in involved:
            return Refusal("conflict", COORDINATOR_EXISTS)
        return Regie(actor)
    if action == "handover":
        if regie.coordinator != actor:
            return Refusal("forbidden", NOT_COORDINATOR)
        if to is None:
            return Refusal("invalid", TO_REQUIRED)
        if to == actor:
            return Refusal("invalid", HANDOVER_TO_SELF)
        if to not in involved:
            return Refusal("invalid", NOT_INVOLVED)
        return Regie(actor, to)
    if action in ("accept", "decline"):
        if to is not None:
            return Refusal("invalid", TO_NOT_EXPECTED)
        if regie.handover_to is None:
            return Refusal("conflict", NO_HANDOVER)
        if regie.handover_to != actor:
            return Refusal("forbidden", NOT_HANDOVER_RECIPIENT)
        return Regie(actor) if action == "accept" else Regie(regie.coordinator)
    return Refusal("invalid", "unknown_action")
