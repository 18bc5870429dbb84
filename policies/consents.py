"""Consent for sharing a child's signals, and who may give it."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from policies.dates import local_date, within

SELF_CONSENT_AGE = 16
"""UAVG art. 5: below this age a parent or guardian consents for the child."""


@dataclass(frozen=True, slots=True)
class Consent:
    """Consent recorded by one partner; `categories` None means every category."""

    id: str
    recorded_by: str
    purposes: tuple[str, ...]
    recipients: tuple[str, ...]
    categories: tuple[str, ...] | None
    valid_from: date
    valid_until: date | None
    withdrawn_at: datetime | None
    subject_tag: str | None = None
    """A keyed tag of the subject's birth date as the consent records it (None: not recorded).
    A consent counts only for a signal whose subject has the same tag, when both have one."""

    def __post_init__(self) -> None:
        # Comparing a naive moment with the aware `now` of a decision would fail at decision time,
        # far from the code that built the consent.
        if self.withdrawn_at is not None and self.withdrawn_at.utcoffset() is None:
            raise ValueError("withdrawn_at must be timezone-aware")

    def covers(self, sender: str, recipient: str, purpose: str, category: str) -> bool:
        """Whether this consent is about a share from `sender` to `recipient` of this kind."""
        # Consent is given to the partner that recorded it; another sender cannot lean on it.
        return (
            self.recorded_by == sender
            and recipient in self.recipients
            and purpose in self.purposes
            and (self.categories is None or category in self.categories)
        )

    def withdrawn(self, now: datetime) -> bool:
        """Whether the consent was withdrawn at or before `now`."""
        return self.withdrawn_at is not None and self.withdrawn_at <= now


@dataclass(frozen=True, slots=True)
class ConsentStanding:
    """What a subject's consents say about one share at one moment."""

    consent_id: str | None
    """The consent that counts (the lowest id when several do), or None."""
    withdrawn: bool
    """No consent counts, but one would if it had not been withdrawn."""
    mismatched: bool = False
    """No consent counts, but one would if it were about a subject with this birth date."""


def consent_standing(
    consents: Iterable[Consent],
    *,
    sender: str,
    recipient: str,
    purpose: str,
    category: str,
    now: datetime,
    subject_tag: str | None = None,
) -> ConsentStanding:
    """Find the consent, if any, that allows this share at `now`, for a signal whose subject
    has `subject_tag` (None: the signal records no birth date)."""
    today = local_date(now)
    counting: str | None = None
    withdrawn = mismatched = False
    for consent in consents:
        if not consent.covers(sender, recipient, purpose, category):
            continue
        if not within(today, consent.valid_from, consent.valid_until):
            continue
        if consent.withdrawn(now):
            withdrawn = True
        elif (
            consent.subject_tag is not None
            and subject_tag is not None
            and consent.subject_tag != subject_tag
        ):
            mismatched = True
        elif counting is None or consent.id < counting:
            # The lowest id, so the consent a decision names does not depend on list order.
            counting = consent.id
    if counting is not None:
        return ConsentStanding(counting, False)
    return ConsentStanding(None, withdrawn, mismatched and not withdrawn)


def may_self_consent(birth_date: date | None, now: datetime) -> bool:
    """Whether the subject may consent themselves: only with a birth date that shows them 16 or
    older. An unknown birth date shows nothing, so it is a no (deny by default)."""
    if birth_date is None:
        return False
    today = local_date(now)
    # Someone born on 29 February is taken to turn a year older on 1 March in a common year, the
    # later of the two readings, so the protection of a minor never ends a day early: (2, 28)
    # still sorts before (2, 29).
    had_birthday = (today.month, today.day) >= (birth_date.month, birth_date.day)
    age = today.year - birth_date.year - (0 if had_birthday else 1)
    return age >= SELF_CONSENT_AGE
