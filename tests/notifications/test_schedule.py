from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications.schedule import (
    DEFAULT_SCHEDULE,
    MAX_RETRY_AFTER,
    MIN_ATTEMPTS,
    format_schedule,
    next_attempt_delay,
    parse_retry_after,
    parse_schedule,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

delays = st.floats(min_value=0, max_value=10**7, allow_nan=False, allow_infinity=False)
schedules = st.lists(delays, min_size=MIN_ATTEMPTS, max_size=12).map(tuple)


def test_default_schedule_is_the_standard_webhooks_practice():
    assert DEFAULT_SCHEDULE == (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
    assert parse_schedule("0,5s,5m,30m,2h,5h,10h,10h") == DEFAULT_SCHEDULE
    assert format_schedule(DEFAULT_SCHEDULE) == "0,5s,5m,30m,2h,5h,10h,10h"


def test_plain_numbers_are_seconds_and_units_scale():
    assert parse_schedule("0, 0.1, .2, 100ms, 1.5m, 1h") == (0, 0.1, 0.2, 0.1, 90, 3600)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("0,0.1,0.2", "at least 5"),
        ("0,5s,5m,30m", "at least 5"),
        ("0,5s,,30m,2h", "entry 3"),
        ("0,5s,5x,30m,2h", "entry 3"),
        ("0,-5,5m,30m,2h", "entry 2"),
        ("0,5 s,5m,30m,2h", "entry 2"),
        ("0,1e3,5m,30m,2h", "entry 2"),
        ("0,inf,5m,30m,2h", "entry 2"),
        ("0,nan,5m,30m,2h", "entry 2"),
        ("0,5s,5m,30m,2d", "entry 5"),
        ("0,5s,5m,30m," + "9" * 400 + "h", "too large"),
    ],
)
def test_bad_schedules_are_refused_with_a_pointed_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_schedule(text)


@given(schedules)
def test_format_then_parse_gives_the_schedule_back(schedule):
    assert parse_schedule(format_schedule(schedule)) == schedule


@given(
    st.lists(
        st.tuples(st.integers(0, 10**6), st.sampled_from(["", "ms", "s", "m", "h"])),
        min_size=MIN_ATTEMPTS,
        max_size=12,
    )
)
def test_parse_then_format_then_parse_is_stable(items):
    schedule = parse_schedule(",".join(f"{number}{unit}" for number, unit in items))
    assert parse_schedule(format_schedule(schedule)) == schedule


def test_next_attempt_walks_the_schedule_then_gives_up():
    waits = [next_attempt_delay(DEFAULT_SCHEDULE, made, None) for made in range(10)]
    assert waits == [*DEFAULT_SCHEDULE, None, None]


def test_retry_after_lengthens_but_never_shortens_the_wait():
    assert next_attempt_delay(DEFAULT_SCHEDULE, 2, 3600) == 3600
    assert next_attempt_delay(DEFAULT_SCHEDULE, 2, 60) == 300
    assert next_attempt_delay(DEFAULT_SCHEDULE, 2, 0) == 300


def test_retry_after_is_capped_at_a_day_and_adds_no_attempts():
    assert next_attempt_delay(DEFAULT_SCHEDULE, 1, 10 * 86400) == 86400
    assert next_attempt_delay(DEFAULT_SCHEDULE, len(DEFAULT_SCHEDULE), 60) is None


def test_negative_attempts_are_a_programming_error():
    with pytest.raises(ValueError):
        next_attempt_delay(DEFAULT_SCHEDULE, -1, None)


@given(schedules, st.integers(0, 20), st.none() | delays, delays)
def test_next_attempt_delay_bounds_and_monotonic_in_retry_after(schedule, made, retry_after, more):
    wait = next_attempt_delay(schedule, made, retry_after)
    if made >= len(schedule):
        assert wait is None
        return
    assert wait is not None
    assert schedule[made] <= wait <= max(schedule[made], MAX_RETRY_AFTER)
    later = next_attempt_delay(schedule, made, (retry_after or 0) + more)
    assert later is not None and later >= wait


@given(st.lists(delays, min_size=MIN_ATTEMPTS, max_size=12).map(sorted), st.none() | delays)
def test_a_growing_schedule_never_waits_less_for_a_later_attempt(schedule, retry_after):
    waits = [next_attempt_delay(schedule, made, retry_after) for made in range(len(schedule))]
    assert waits == sorted(waits)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120),
        (" 7 ", 7),
        ("0", 0),
        ("Sun, 01 Mar 2026 12:05:00 GMT", 300),
        ("Sunday, 01-Mar-26 12:05:00 GMT", 300),
        ("Sun Mar  1 12:05:00 2026", 300),
        ("Sun, 01 Mar 2026 11:00:00 GMT", 0),
        ("99999999999999999999999999", MAX_RETRY_AFTER),
        ("Mon, 01 Mar 2027 12:00:00 GMT", MAX_RETRY_AFTER),
    ],
)
def test_retry_after_as_seconds_or_http_date(value, seconds):
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize(
    "value",
    [None, "", "soon", "-5", "1.5", "+5", "١٢", "Sun, 32 Mar 2026 12:05:00 GMT", "2026-03-01"],
)
def test_retry_after_garbage_is_none(value):
    assert parse_retry_after(value, NOW) is None


def test_retry_after_needs_an_aware_now():
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_retry_after("5", datetime(2026, 3, 1, 12))


def test_retry_after_date_is_compared_in_utc_whatever_the_zone_of_now():
    amsterdam_now = NOW.astimezone(timezone(timedelta(hours=1)))
    assert parse_retry_after("Sun, 01 Mar 2026 12:05:00 GMT", amsterdam_now) == 300


@given(st.integers(0, int(MAX_RETRY_AFTER)))
def test_retry_after_seconds_round_trip(seconds):
    assert parse_retry_after(str(seconds), NOW) == seconds


@given(st.integers(-10 * 86400, 10 * 86400))
def test_retry_after_http_date_round_trip(offset):
    value = format_datetime(NOW + timedelta(seconds=offset), usegmt=True)
    assert parse_retry_after(value, NOW) == min(max(offset, 0), MAX_RETRY_AFTER)


@given(st.text())
def test_retry_after_never_raises_nor_goes_negative(value):
    result = parse_retry_after(value, NOW)
    assert result is None or 0 <= result <= MAX_RETRY_AFTER
