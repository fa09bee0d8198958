"""Properties over many random instants (fixed seeds), and an independent minute-count oracle."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from opsdesk.sla import clock
from opsdesk.sla.clock import (
    Calendar,
    business_add,
    business_seconds,
    is_business_time,
    next_business_start,
)

from .calendars import HOUR, WORKDAY, china_5x8, week

CN = china_5x8()
CALENDARS = [
    CN,
    Calendar(code="de", time_zone="Europe/Berlin", weekly=week("08:30-12:00, 12:45-17:15")),
    Calendar(code="ny", time_zone="America/New_York", weekly=week("09:00-17:00", 6)),
    Calendar(code="de-all", time_zone="Europe/Berlin", weekly=week("00:00-24:00", 7)),
    Calendar(code="7x24", time_zone="Asia/Shanghai", is_24x7=True),
]
SPAN_START = datetime(2024, 12, 1, tzinfo=UTC)
SPAN_SECONDS = 760 * 86400  # December 2024 to the end of 2026: both DST changes of each year


def _random_instant(rng: random.Random) -> datetime:
    return SPAN_START + timedelta(seconds=rng.randrange(SPAN_SECONDS),
                                  microseconds=rng.randrange(1_000_000))


@pytest.mark.parametrize("calendar", CALENDARS, ids=lambda c: c.code)
def test_business_seconds_inverts_business_add(calendar):
    rng = random.Random(20250928)
    for _ in range(1500):
        start, seconds = _random_instant(rng), rng.randrange(0, 30 * WORKDAY)
        due = business_add(calendar, start, seconds)
        assert business_seconds(calendar, start, due) == seconds, (start, seconds)
        assert due >= start


@pytest.mark.parametrize("calendar", CALENDARS, ids=lambda c: c.code)
def test_business_add_of_business_seconds_reaches_the_end_or_its_working_start(calendar):
    rng = random.Random(4)
    for _ in range(1500):
        start, end = sorted((_random_instant(rng).replace(microsecond=0),
                             _random_instant(rng).replace(microsecond=0)))
        elapsed = business_seconds(calendar, start, end)
        reached = business_add(calendar, start, elapsed)
        assert reached <= end
        assert business_seconds(calendar, reached, end) == 0  # nothing worked in between
        middle = start + (end - start) / 3
        middle = middle.replace(microsecond=0)
        assert business_seconds(calendar, start, middle) + business_seconds(
            calendar, middle, end) == elapsed


@pytest.mark.parametrize("calendar", CALENDARS, ids=lambda c: c.code)
def test_next_business_start_is_business_time_and_skips_none(calendar):
    rng = random.Random(7)
    for _ in range(500):
        at = _random_instant(rng)
        start = next_business_start(calendar, at)
        assert is_business_time(calendar, start)
        assert business_seconds(calendar, at, start) == 0


def _oracle_minutes(calendar: Calendar, start: datetime, minutes: int) -> int:
    """Working minutes counted one by one from the wall clock: slow, simple, independent."""
    count, moment = 0, start
    for _ in range(minutes):
        local = moment.astimezone(calendar.tz)
        seconds = local.hour * 3600 + local.minute * 60
        hours = ((0, 86400),) if calendar.is_24x7 else calendar.hours_on(local.date())
        count += any(s <= seconds < e for s, e in hours)
        moment += timedelta(minutes=1)  # UTC arithmetic: every real minute once
    return count


@pytest.mark.parametrize("calendar", CALENDARS[:3], ids=lambda c: c.code)
def test_agrees_with_a_minute_by_minute_count(calendar):
    rng = random.Random(11)
    for _ in range(40):
        start = _random_instant(rng).replace(second=0, microsecond=0)
        minutes = rng.randrange(1, 6 * 24 * 60)
        end = start + timedelta(minutes=minutes)
        assert business_seconds(calendar, start, end) == 60 * _oracle_minutes(
            calendar, start, minutes), (start, end)


def test_the_oracle_also_agrees_across_both_berlin_dst_changes():
    calendar = CALENDARS[3]  # every minute of every day, by the wall clock
    for start in (datetime(2025, 3, 29, 12, tzinfo=UTC),
                  datetime(2025, 10, 25, 12, tzinfo=UTC)):
        expected = 60 * _oracle_minutes(calendar, start, 2 * 24 * 60)
        assert business_seconds(calendar, start, start + timedelta(days=2)) == expected


def test_clock_answers_from_its_year_tables_without_walking_day_by_day(monkeypatch):
    # The SLA tick over 100,000 incidents must take under 1 s; bench/sla_tick_bench.py measures
    # it. What makes it fast is checked here, without a stopwatch: once a year's table is built,
    # an answer spanning a whole year reads the tables and never looks at a single day again.
    start = datetime(2025, 3, 3, 9, 17, tzinfo=CN.tz)
    business_seconds(CN, start, start + timedelta(days=700))  # builds the year tables
    days_looked_at = []
    walk = clock._epoch_intervals
    monkeypatch.setattr(clock, "_epoch_intervals",
                        lambda calendar, day: days_looked_at.append(day) or walk(calendar, day))
    for offset in range(0, 20_000, 7):
        business_seconds(CN, start, start + timedelta(days=365, seconds=offset))
        business_add(CN, start, 3 * WORKDAY + offset)
    assert days_looked_at == []
    assert business_add(CN, start, 250 * WORKDAY) > start + timedelta(days=365)
    assert business_seconds(CN, start, start + timedelta(hours=1)) == HOUR
