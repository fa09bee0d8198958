"""Repeating events in .ics imports: RRULE expanded in a bounded window, EXDATE respected."""

from datetime import date

import pytest
import time_machine
from django.utils import translation

from opsdesk.sla.clock import is_business_time
from opsdesk.sla.imports import parse_ics, recurrence_window
from opsdesk.sla.selectors import calendar_snapshot
from opsdesk.sla.services import calendar_create, calendar_import

from .calendars import berlin

# Our own file: a yearly company day since 2019 skipped in 2026 (EXDATE), a weekly stocktaking
# closure four times (COUNT) with its third Friday moved to the Thursday (RECURRENCE-ID), a
# two-day yearly shutdown twice, and a weekly meeting with a time of day (not a day: skipped).
ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//opsdesk tests//closures//EN\r
BEGIN:VEVENT\r
UID:company-day@test\r
SUMMARY:公司日\r
DTSTART;VALUE=DATE:20190520\r
DTEND;VALUE=DATE:20190521\r
RRULE:FREQ=YEARLY\r
EXDATE;VALUE=DATE:20260520\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:stocktaking@test\r
SUMMARY:Stocktaking closure\r
DTSTART;VALUE=DATE:20260403\r
DTEND;VALUE=DATE:20260404\r
RRULE:FREQ=WEEKLY;COUNT=4\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:stocktaking@test\r
RECURRENCE-ID;VALUE=DATE:20260417\r
SUMMARY:Stocktaking closure (moved)\r
DTSTART;VALUE=DATE:20260416\r
DTEND;VALUE=DATE:20260417\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:shutdown@test\r
SUMMARY:Winter shutdown\r
DTSTART;VALUE=DATE:20251229\r
DURATION:P2D\r
RRULE:FREQ=YEARLY;COUNT=2\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:standup@test\r
SUMMARY:Stand-up\r
DTSTART:20260401T080000Z\r
DTEND:20260401T081500Z\r
RRULE:FREQ=WEEKLY\r
END:VEVENT\r
END:VCALENDAR\r
""".encode()


def _dates(parsed) -> dict[date, str]:
    return {day.date: day.name_en for day in parsed.days}


def test_the_window_is_two_years_either_side_of_this_year():
    assert recurrence_window(date(2026, 7, 1)) == (date(2024, 1, 1), date(2029, 1, 1))


def test_yearly_rule_with_exdate_and_weekly_rule_with_count():
    parsed = parse_ics(ICS, today=date(2026, 3, 1))
    assert parsed.errors == {} and parsed.skipped == 1  # the stand-up has a time of day
    days = _dates(parsed)
    company = sorted(d for d, name in days.items() if name == "公司日")
    assert company == [date(2024, 5, 20), date(2025, 5, 20), date(2027, 5, 20),
                       date(2028, 5, 20)]  # not before 2024, not the EXDATE, not after 2028
    stocktaking = sorted(d for d, name in days.items() if name.startswith("Stocktaking"))
    assert stocktaking == [date(2026, 4, 3), date(2026, 4, 10), date(2026, 4, 16),
                           date(2026, 4, 24)]  # COUNT=4, the third moved a day earlier
    assert days[date(2026, 4, 16)] == "Stocktaking closure (moved)"
    shutdown = sorted(d for d, name in days.items() if name == "Winter shutdown")
    assert shutdown == [date(2025, 12, 29), date(2025, 12, 30), date(2026, 12, 29),
                        date(2026, 12, 30)]  # two days each, twice
    assert {day.where for day in parsed.days} == {"event 1", "event 2", "event 4"}


def test_a_series_with_nothing_in_the_window_is_skipped():
    parsed = parse_ics(ICS, today=date(2031, 6, 1))
    assert parsed.errors == {} and parsed.skipped == 3  # stocktaking, shutdown, stand-up
    assert sorted(_dates(parsed)) == [date(year, 5, 20) for year in range(2029, 2034)]


@pytest.mark.django_db
def test_importing_the_file_closes_the_office_on_every_occurrence():
    office = calendar_create(code="de", name_zh="德国办公室", name_en="German office",
                             time_zone="Europe/Berlin", hours=("09:00-17:00",) * 5 + ("", ""))
    with time_machine.travel(date(2026, 3, 1)), translation.override("en"):
        result = calendar_import(calendar=office, file=ICS, format="ics")
    assert (result.created, result.updated, result.skipped) == (12, 0, 1)
    snapshot = calendar_snapshot(code="de")
    assert not is_business_time(snapshot, berlin(2027, 5, 20, 10))  # a Thursday, company day
    assert is_business_time(snapshot, berlin(2026, 5, 20, 10))  # EXDATE: a normal Wednesday
    assert not is_business_time(snapshot, berlin(2026, 4, 16, 10))  # the moved closure
    assert is_business_time(snapshot, berlin(2026, 4, 17, 10))  # its original Friday
    assert is_business_time(snapshot, berlin(2026, 5, 1, 10))  # after COUNT ran out (Friday)
