"""The decision engine: may this partner share this kind of signal with that one, now?"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType

from policies.agreements import Agreement, Rule
from policies.consents import Consent, ConsentStanding, consent_standing
from policies.dates import local_date, within
from policies.decision import Decision, Ground, ShareRequest
from policies.vocabulary import (
    AGREEMENT_EXPIRED,
    AGREEMENT_NOT_YET_VALID,
    CATEGORY_NOT_SHARED,
    CONSENT_REQUIRED,
    CONSENT_SUBJECT_MISMATCH,
    CONSENT_WITHDRAWN,
    KIND_PREFIX,
    NO_AGREEMENT,
    PARTNER_SUSPENDED,
    PROFESSIONAL_REQUIRED,
    PURPOSE_MISMATCH,
    REASONS,
    SIGNAL_FIELDS,
    STATUS_REASONS,
)

_REASON_RANK = {reason: rank for rank, reason in enumerate(REASONS)}
_DENY_PARTNER_SUSPENDED = Decision.deny((PARTNER_SUSPENDED,))
_DENY_NO_AGREEMENT = Decision.deny((NO_AGREEMENT,))


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A rule with everything a decision asks of it worked out in advance."""

    sender_kind: str | None
    """The kind the sender must be when the rule names a kind, else None."""
    recipient_kind: str | None
    """The kind the recipient must be when the rule names a kind, else None."""
    parties: frozenset[str]
    status_reason: str | None
    valid_from: date
    valid_until: date | None
    purposes: frozenset[str]
    categories: frozenset[str]
    needs_consent: bool
    needs_professional: bool
    fields: tuple[str, ...]
    retention_days: int
    ground: Ground

    @classmethod
    def of(cls, agreement: Agreement, index: int, rule: Rule) -> "_Candidate":
        return cls(
            sender_kind=_kind_named(rule.sender),
            recipient_kind=_kind_named(rule.recipient),
            parties=frozenset(agreement.parties),
            status_reason=(
                None
                if agreement.status == "active"
                # An unknown status grants nothing, like a draft.
                else STATUS_REASONS.get(agreement.status, STATUS_REASONS["draft"])
            ),
            valid_from=agreement.valid_from,
            valid_until=agreement.valid_until,
            purposes=frozenset(rule.purposes),
            categories=frozenset(rule.categories),
            # Validation forbids consent as legal basis without required consent; should such a
            # rule slip through anyway, it must not share without consent.
            needs_consent=rule.requires_consent or rule.legal_basis == "consent",
            needs_professional=rule.requires_professional,
            fields=tuple(field for field in SIGNAL_FIELDS if field in rule.fields),
            retention_days=rule.retention_days,
            ground=Ground(agreement.id, agreement.version, index, rule, rule.legal_basis, None),
        )


def _kind_named(end: str) -> str | None:
    return end.removeprefix(KIND_PREFIX) if end.startswith(KIND_PREFIX) else None


@dataclass(frozen=True, slots=True)
class _Membership:
    """What the token endpoint needs to know of one agreement a partner is party to."""

    active: bool
    valid_from: date
    valid_until: date | None
    purposes: frozenset[str]


class PolicySet:
    """The agreements as an index built for fast decisions; build it with `build`.

    Rules are indexed by (sender id, recipient id or `kind:<kind>`). A rule whose sender is a kind
    is filed under every party of its agreement and the sender's kind is checked at decision time
    (from the request, as partners' kinds are not part of an agreement). Filing by kind on both
    sides would put the kind rules of all agreements in one bucket, and a decision would have to
    walk them all.
    """

    __slots__ = ("_agreements", "_memberships", "_rules")

    def __init__(
        self,
        agreements: Mapping[str, Agreement],
        rules: Mapping[tuple[str, str], tuple[_Candidate, ...]],
        memberships: Mapping[str, tuple[_Membership, ...]],
    ) -> None:
        self._agreements = agreements
        self._rules = rules
        self._memberships = memberships

    @classmethod
    def build(cls, agreements: Iterable[Agreement]) -> "PolicySet":
        """Index the current version of each agreement; one version per agreement id."""
        by_id: dict[str, Agreement] = {}
        for agreement in agreements:
            if agreement.id in by_id:
                # Two versions at once would let a superseded rule keep granting access.
                raise ValueError(f"agreement {agreement.id!r} given more than once")
            by_id[agreement.id] = agreement

        rules: dict[tuple[str, str], list[_Candidate]] = {}
        memberships: dict[str, list[_Membership]] = {}
        for agreement in sorted(by_id.values(), key=lambda a: a.id):
            parties = frozenset(agreement.parties)
            for index, rule in enumerate(agreement.rules):
                # A rule naming a non-party by id can never apply.
                if not (
                    _names_party(rule.sender, parties) and _names_party(rule.recipient, parties)
                ):
                    continue
                candidate = _Candidate.of(agreement, index, rule)
                senders = parties if candidate.sender_kind is not None else (rule.sender,)
                for sender in senders:
                    rules.setdefault((sender, rule.recipient), []).append(candidate)
            membership = _Membership(
                active=agreement.status == "active",
                valid_from=agreement.valid_from,
                valid_until=agreement.valid_until,
                purposes=frozenset(agreement.purposes),
            )
            for party in parties:
                memberships.setdefault(party, []).append(membership)

        return cls(
            MappingProxyType(by_id),
            {key: tuple(found) for key, found in rules.items()},
            {party: tuple(found) for party, found in memberships.items()},
        )

    @property
    def agreements(self) -> Mapping[str, Agreement]:
        """The indexed agreements by id."""
        return self._agreements


def _names_party(end: str, parties: frozenset[str]) -> bool:
    return end.startswith(KIND_PREFIX) or end in parties


def decide(
    policy: PolicySet, request: ShareRequest, consents: Sequence[Consent], now: datetime
) -> Decision:
    """Decide a share; deny unless a rule of an agreement in force allows it.

    `consents` are the subject's consents; only those recorded by the sender can count.
    """
    today = local_date(now)
    sender, recipient = request.sender, request.recipient
    if not (sender.active and recipient.active):
        return _DENY_PARTNER_SUSPENDED
    # A partner does not share with itself; a rule between two parties of one kind must not turn
    # into one that lets a party "share" its own signal.
    if sender.id == recipient.id:
        return _DENY_NO_AGREEMENT

    purpose, category = request.purpose, request.category
    index = policy._rules

    found = False
    failures: set[str] = set()
    passing: list[Ground] = []
    fields: set[str] = set()
    retention_days = 0
    standing: ConsentStanding | None = None

    for key in ((sender.id, recipient.id), (sender.id, KIND_PREFIX + recipient.kind)):
        bucket = index.get(key)
        if bucket is None:
            continue
        for candidate in bucket:
            # Filing guarantees the sender is a party and a recipient named by id is one too.
            if candidate.sender_kind is not None and candidate.sender_kind != sender.kind:
                continue
            if candidate.recipient_kind is not None and recipient.id not in candidate.parties:
                continue
            found = True
            if candidate.status_reason is not None:
                failures.add(candidate.status_reason)
                continue
            if today < candidate.valid_from:
                failures.add(AGREEMENT_NOT_YET_VALID)
                continue
            if candidate.valid_until is not None and today > candidate.valid_until:
                failures.add(AGREEMENT_EXPIRED)
                continue
            if purpose not in candidate.purposes:
                failures.add(PURPOSE_MISMATCH)
                continue
            if category not in candidate.categories:
                failures.add(CATEGORY_NOT_SHARED)
                continue
            ground = candidate.ground
            if candidate.needs_consent:
                if standing is None:
                    # The same consents answer for every rule of this request; look once.
                    standing = consent_standing(
                        consents,
                        sender=sender.id,
                        recipient=recipient.id,
                        purpose=purpose,
                        category=category,
                        now=now,
                        subject_tag=request.subject_tag,
                    )
                if standing.consent_id is None:
                    failures.add(
                        CONSENT_WITHDRAWN
                        if standing.withdrawn
                        else CONSENT_SUBJECT_MISMATCH
                        if standing.mismatched
                        else CONSENT_REQUIRED
                    )
                    continue
                ground = Ground(
                    ground.agreement_id,
                    ground.agreement_version,
                    ground.rule_index,
                    ground.rule,
                    ground.legal_basis,
                    standing.consent_id,
                )
            if candidate.needs_professional and request.professional is False:
                failures.add(PROFESSIONAL_REQUIRED)
                continue
            passing.append(ground)
            fields.update(candidate.fields)
            if not retention_days or candidate.retention_days < retention_days:
                retention_days = candidate.retention_days

    if not found:
        return _DENY_NO_AGREEMENT
    if not passing:
        return Decision.deny(tuple(sorted(failures, key=_REASON_RANK.__getitem__)))

    passing.sort(key=_ground_order)
    named = passing[0]
    return Decision(
        allow=True,
        reasons=(),
        legal_basis=named.legal_basis,
        agreement_id=named.agreement_id,
        agreement_version=named.agreement_version,
        rule_index=named.rule_index,
        rule=named.rule,
        fields=tuple(field for field in SIGNAL_FIELDS if field in fields),
        retention_days=retention_days,
        consent_id=named.consent_id,
        grounds=tuple(passing),
    )


def _ground_order(ground: Ground) -> tuple[str, int, int]:
    return (ground.agreement_id, ground.agreement_version, ground.rule_index)


def purposes_for(policy: PolicySet, partner_id: str, now: datetime) -> frozenset[str]:
    """The purposes of the agreements in force at `now` that `partner_id` is party to."""
    today = local_date(now)
    purposes: set[str] = set()
    for membership in policy._memberships.get(partner_id, ()):
        if membership.active and within(today, membership.valid_from, membership.valid_until):
            purposes.update(membership.purposes)
    return frozenset(purposes)
