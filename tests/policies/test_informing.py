"""The age rules of the duty to inform, checked against a plain reading over generated ages."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.informing import (
    BIRTH_DATE_REQUIRED,
    GUARDIAN_NOT_ALLOWED,
    MAX_POSTPONEMENT_DAYS,
    PARTIES,
    UNTIL_NOT_AFTER_TODAY,
    UNTIL_TOO_FAR,
    age_on,
    party_problems,
    postponement_problems,
)

birth_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31))
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
party_sets = st.lists(st.sampled_from(PARTIES), max_size=2, unique=True)
examples = settings(max_examples=500, deadline=None)


def reference_age(birth: date, day: date) -> int:
    """Count birthdays one by one (a 29 February birthday falls on 1 March otherwise)."""
    age, year = 0, birth.year + 1
    while True:
        try:
            birthday = birth.replace(year=year)
        except ValueError:
            birthday = date(year, 3, 1)
        if birthday > day:
            return age
        age, year = age + 1, year + 1


def reference_ok(parties: set[str], age: int) -> bool:
    if age < 12:
        return "guardian" in parties
    if age < 16:
        return parties == {"guardian", "child"}
    return parties == {"child"}


@examples
@given(birth_dates, days)
def test_age_counts_birthdays(birth: date, day: date) -> None:
    assert age_on(birth, day) == reference_age(birth, day)


@examples
@given(birth_dates, days, party_sets)
def test_the_duty_follows_the_age_rules(birth: date, day: date, parties: list[str]) -> None:
    problems = party_problems(parties, birth, day)

    assert (problems == []) == reference_ok(set(parties), reference_age(birth, day))
    # A refusal names what is wrong, and the guardians are forbidden only from 16.
    assert (GUARDIAN_NOT_ALLOWED in problems) == (
        "guardian" in parties and reference_age(birth, day) >= 16
    )


@examples
@given(birth_dates, days, party_sets)
def test_telling_both_meets_the_duty_until_16(birth: date, day: date, parties: list[str]) -> None:
    age = reference_age(birth, day)
    assert (party_problems(PARTIES, birth, day) == []) == (age < 16)
    assert (party_problems(["child"], birth, day) == []) == (age >= 16)


@examples
@given(days, party_sets)
def test_without_a_birth_date_nothing_can_be_recorded(day: date, parties: list[str]) -> None:
    assert party_problems(parties, None, day) == [BIRTH_DATE_REQUIRED]


def test_the_borders() -> None:
    birth = date(2014, 6, 15)
    assert party_problems(["guardian"], birth, date(2026, 6, 14)) == []
    assert party_problems(["guardian"], birth, date(2026, 6, 15)) == ["child_required"]
    assert party_problems(["child"], birth, date(2026, 6, 15)) == ["guardian_required"]
    assert party_problems(["guardian", "child"], birth, date(2030, 6, 14)) == []
    assert party_problems(["guardian", "child"], birth, date(2030, 6, 15)) == [GUARDIAN_NOT_ALLOWED]
    assert party_problems(["child"], birth, date(2030, 6, 15)) == []


@examples
@given(days, st.integers(-400, 800))
def test_a_postponement_ends_after_today_and_within_a_year(today: date, offset: int) -> None:
    problems = postponement_problems(today + timedelta(days=offset), today)
    if offset <= 0:
        assert problems == [UNTIL_NOT_AFTER_TODAY]
    elif offset > MAX_POSTPONEMENT_DAYS:
        assert problems == [UNTIL_TOO_FAR]
    else:
        assert problems == []
