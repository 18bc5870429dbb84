"""Who must be told that a signal was made about a child (AVG art. 13/14), by the child's age.

Under 12 the guardians are told (a younger child may be told as well); from 12 the guardians
and the child; from 16 the child alone, as the law then treats the child as the one who decides
about its own data (so telling the guardians is not allowed without its say). A professional may
postpone informing for a reason from a fixed list and until a date; it is then due again.
Pure: the day is passed in.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

STATUSES: Final = ("informed", "postponed", "pending")
PARTIES: Final = ("guardian", "child")
METHODS: Final = ("in_person", "phone", "letter", "digital")
POSTPONE_REASONS: Final = (
    "safety_of_child",
    "safety_of_others",
    "safety_of_professional",
    "not_reachable",
    "investigation",
)
"""Why informing may wait: telling would endanger the child, others or the professional; the
family cannot be reached; or telling now would frustrate an investigation (AVG art. 23 and the
Meldcode's grounds)."""

CHILD_FROM: Final = 12
CHILD_ALONE_FROM: Final = 16
MAX_POSTPONEMENT_DAYS: Final = 365

GUARDIAN_REQUIRED: Final = "guardian_required"
CHILD_REQUIRED: Final = "child_required"
GUARDIAN_NOT_ALLOWED: Final = "guardian_not_allowed"
BIRTH_DATE_REQUIRED: Final = "birth_date_required"
UNTIL_NOT_AFTER_TODAY: Final = "until_not_after_today"
UNTIL_TOO_FAR: Final = "until_too_far"


@dataclass(frozen=True, slots=True)
class Duty:
    """Who must be told (`required`) and who may be told (`allowed`) at one age."""

    required: frozenset[str]
    allowed: frozenset[str]


def age_on(birth_date: date, day: date) -> int:
    """Whole years on `day` (someone born on 29 February has a birthday on 1 March in other
    years); a birth date after `day` counts as age 0."""
    years = day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
    return max(years, 0)


def duty_at(age: int) -> Duty:
    if age < CHILD_FROM:
        return Duty(frozenset({"guardian"}), frozenset(PARTIES))
    if age < CHILD_ALONE_FROM:
        return Duty(frozenset(PARTIES), frozenset(PARTIES))
    return Duty(frozenset({"child"}), frozenset({"child"}))


def party_problems(parties: Collection[str], birth_date: date | None, day: date) -> list[str]:
    """Why telling `parties` on `day` does not meet the duty to inform (empty when it does).
    Without a birth date nobody can say who must be told, so informing cannot be recorded."""
    if birth_date is None:
        return [BIRTH_DATE_REQUIRED]
    duty = duty_at(age_on(birth_date, day))
    told = set(parties)
    problems = []
    if "guardian" in duty.required and "guardian" not in told:
        problems.append(GUARDIAN_REQUIRED)
    if "child" in duty.required and "child" not in told:
        problems.append(CHILD_REQUIRED)
    if "guardian" in told and "guardian" not in duty.allowed:
        problems.append(GUARDIAN_NOT_ALLOWED)
    return problems


def postponement_problems(until: date, today: date) -> list[str]:
    """A postponement ends on a day after today, and within MAX_POSTPONEMENT_DAYS."""
    if until <= today:
        return [UNTIL_NOT_AFTER_TODAY]
    if until > today + timedelta(days=MAX_POSTPONEMENT_DAYS):
        return [UNTIL_TOO_FAR]
    return []
