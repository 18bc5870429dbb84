"""Consent: what it covers, when it is in force, and who may give it."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies import may_self_consent
from policies.consents import consent_standing
from tests.policies.factories import NOW, make_consent

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=AMSTERDAM)


def standing_for(consents: list, **changes: str) -> tuple[str | None, bool]:
    share = {
        "sender": "kinderwerk-noord",
        "recipient": "obs-de-linde",
        "purpose": "afstemming",
        "category": "school",
    }
    share.update(changes)
    standing = consent_standing(consents, now=NOW, **share)
    return standing.consent_id, standing.withdrawn


def test_consent_counts_for_what_it_names() -> None:
    assert standing_for([make_consent()]) == ("consent-1", False)


@pytest.mark.parametrize(
    "changes",
    [
        {"sender": "wijkteam-noord"},
        {"recipient": "wijkteam-noord"},
        {"purpose": "signalering"},
        {"category": "opvoeding"},
    ],
    ids=["other-sender", "other-recipient", "other-purpose", "other-category"],
)
def test_consent_counts_for_nothing_else(changes: dict[str, str]) -> None:
    assert standing_for([make_consent()], **changes) == (None, False)


def test_withdrawn_consent_is_reported_as_withdrawn() -> None:
    assert standing_for([make_consent(withdrawn_at=NOW)]) == (None, True)


def test_consent_dates_are_amsterdam_dates() -> None:
    consent = make_consent(valid_from=date(2026, 11, 16), valid_until=date(2026, 11, 16))
    # 23:30 UTC on the 15th is already the 16th in Amsterdam.
    late_evening = datetime(2026, 11, 15, 23, 30, tzinfo=UTC)

    assert (
        consent_standing(
            [consent],
            sender="kinderwerk-noord",
            recipient="obs-de-linde",
            purpose="afstemming",
            category="school",
            now=late_evening,
        ).consent_id
        == "consent-1"
    )
    assert standing_for([consent]) == (None, False)


def test_naive_withdrawal_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_consent(withdrawn_at=datetime(2026, 11, 15, 12, 0))


@pytest.mark.parametrize(
    ("today", "allowed"),
    [
        (date(2026, 3, 1), False),
        (date(2026, 3, 2), True),
        (date(2030, 1, 1), True),
        (date(2010, 3, 2), False),
    ],
    ids=["day-before-16th-birthday", "16th-birthday", "older", "not-yet-born"],
)
def test_self_consent_from_the_sixteenth_birthday(today: date, allowed: bool) -> None:
    assert may_self_consent(date(2010, 3, 2), at_noon(today)) is allowed


@pytest.mark.parametrize(
    ("today", "allowed"),
    [
        (date(2024, 2, 28), False),
        (date(2024, 2, 29), True),
        (date(2025, 2, 28), True),
    ],
    ids=["leap-year-eve", "leap-year-birthday", "after"],
)
def test_leap_day_child_in_a_leap_year(today: date, allowed: bool) -> None:
    assert may_self_consent(date(2008, 2, 29), at_noon(today)) is allowed


@pytest.mark.parametrize(
    ("today", "allowed"),
    [(date(2100, 2, 28), False), (date(2100, 3, 1), True)],
    ids=["28-february", "1-march"],
)
def test_leap_day_child_in_a_common_year_turns_16_on_1_march(today: date, allowed: bool) -> None:
    # Sixteen years after a leap day is a leap year again, except across a century like 2100.
    assert may_self_consent(date(2084, 2, 29), at_noon(today)) is allowed


def test_birthday_follows_the_amsterdam_date() -> None:
    eve_in_utc = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)

    assert may_self_consent(date(2010, 3, 2), eve_in_utc)


@settings(max_examples=200, deadline=None)
@given(now=st.datetimes(timezones=st.just(UTC)))
def test_an_unknown_birth_date_never_allows_self_consent(now: datetime) -> None:
    assert may_self_consent(None, now) is False


DAYS = st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31))


@settings(max_examples=300, deadline=None)
@given(birth_date=DAYS, today=DAYS, later=st.integers(min_value=0, max_value=20_000))
def test_once_old_enough_always_old_enough(birth_date: date, today: date, later: int) -> None:
    if may_self_consent(birth_date, at_noon(today)):
        assert may_self_consent(birth_date, at_noon(today + timedelta(days=later)))


@settings(max_examples=300, deadline=None)
@given(birth_date=DAYS, today=DAYS, earlier=st.integers(min_value=0, max_value=20_000))
def test_someone_born_earlier_is_at_least_as_old(
    birth_date: date, today: date, earlier: int
) -> None:
    if may_self_consent(birth_date, at_noon(today)):
        assert may_self_consent(birth_date - timedelta(days=earlier), at_noon(today))


@settings(max_examples=300, deadline=None)
@given(birth_date=DAYS, age_in_days=st.integers(min_value=0, max_value=16 * 365 + 2))
def test_nobody_under_16_consents_themselves(birth_date: date, age_in_days: int) -> None:
    today = birth_date + timedelta(days=age_in_days)
    # Sixteen years hold at least three leap days (four, or three across 2100): any fewer
    # days than 16 * 365 + 3 after birth is under 16.
    assert not may_self_consent(birth_date, at_noon(today))


@settings(max_examples=200, deadline=None)
@given(
    birth_date=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2110, 12, 31)),
)
def test_self_consent_exactly_from_the_sixteenth_birthday(birth_date: date, today: date) -> None:
    try:
        sixteenth = birth_date.replace(year=birth_date.year + 16)
    except ValueError:
        sixteenth = date(birth_date.year + 16, 3, 1)

    assert may_self_consent(birth_date, at_noon(today)) is (today >= sixteenth)
