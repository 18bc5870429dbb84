"""Consent: what it covers, when it is in force, and who may give it."""

from datetime import UTC, date, datetime
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


def test_unknown_birth_date_leaves_it_to_the_caller() -> None:
    assert may_self_consent(None, NOW)


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
