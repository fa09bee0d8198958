"""Shipped calendars, their snapshots from memory, and the owner's edits reaching the clock."""

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from opsdesk.core.exceptions import InvalidInput, NotFound
from opsdesk.sla.clock import business_add, is_business_time, parse_hours
from opsdesk.sla.models import BusinessCalendar, CalendarDay, DayKind, WorkingPeriod
from opsdesk.sla.selectors import calendar_days, calendar_list, calendar_snapshot
from opsdesk.sla.services import (
    calendar_create,
    calendar_day_delete,
    calendar_day_set,
    calendar_hours_set,
    calendars_load_defaults,
)

from .calendars import HOUR, china_5x8, shanghai

pytestmark = pytest.mark.django_db


def test_the_shipped_calendars_are_loaded_with_the_reference_data():
    assert [c.code for c in calendar_list()] == ["7x24", "5x8"]
    assert calendar_snapshot(code="5x8") == china_5x8()
    round_the_clock = calendar_snapshot(code="7x24")
    assert round_the_clock.is_24x7 and round_the_clock.time_zone == "Asia/Shanghai"
    assert len(calendar_days(calendar=BusinessCalendar.objects.get(code="5x8"), year=2026)) == 39


def test_loading_again_creates_nothing_and_keeps_edits():
    five = BusinessCalendar.objects.get(code="5x8")
    calendar_hours_set(calendar=five, weekday=4, hours="09:00-12:00")  # short Fridays
    calendar_day_delete(calendar=five, day=date(2025, 1, 1))  # the company works on 1 January
    assert calendars_load_defaults() == 0
    snapshot = calendar_snapshot(code="5x8")
    assert snapshot.hours_on(date(2025, 1, 1)) == parse_hours("09:00-12:00, 13:00-18:00")
    assert snapshot.weekly[4] == parse_hours("09:00-12:00")


def test_a_year_without_days_is_added_by_the_next_load():
    five = BusinessCalendar.objects.get(code="5x8")
    five.days.filter(date__year=2026).delete()
    assert calendars_load_defaults() == 39
    assert calendar_snapshot(code="5x8") == china_5x8()


def test_the_snapshot_comes_from_memory(django_assert_num_queries):
    first = calendar_snapshot(code="5x8")
    with django_assert_num_queries(0):
        assert calendar_snapshot(code="5x8") is first


def test_an_edit_reaches_the_next_snapshot():
    five = BusinessCalendar.objects.get(code="5x8")
    assert not is_business_time(calendar_snapshot(code="5x8"), shanghai(2025, 12, 20, 10))
    calendar_day_set(calendar=five, day=date(2025, 12, 20), kind=DayKind.WORKDAY,
                     name_zh="年终盘点", name_en="Year-end stocktaking")
    assert is_business_time(calendar_snapshot(code="5x8"), shanghai(2025, 12, 20, 10))
    calendar_day_set(calendar=five, day=date(2025, 12, 22), kind=DayKind.HOLIDAY,
                     name_zh="公司假日", name_en="Company day off")
    # Fri 19 Dec 17:00 + 2 h: 1 h Friday, Sat 20 (now worked) 09:00–10:00.
    assert business_add(calendar_snapshot(code="5x8"), shanghai(2025, 12, 19, 17), 2 * HOUR) \
        == shanghai(2025, 12, 20, 10)


def test_a_snapshot_rebuilt_equal_keeps_its_warm_tables():
    first = calendar_snapshot(code="5x8")
    BusinessCalendar.objects.get(code="7x24").save()  # another calendar edited: table reloaded
    assert calendar_snapshot(code="5x8") is first


def test_a_make_up_day_works_the_hours_of_the_weekday_it_names():
    calendar = calendar_create(code="shop", name_zh="门店", name_en="Shop",
                               time_zone="Asia/Shanghai",
                               hours=("10:00-22:00",) + ("09:00-17:00",) * 4 + ("", ""))
    calendar_day_set(calendar=calendar, day=date(2025, 9, 28), kind=DayKind.WORKDAY,
                     name_zh="调休", name_en="Make-up day")
    calendar_day_set(calendar=calendar, day=date(2025, 10, 11), kind=DayKind.WORKDAY,
                     name_zh="调休", name_en="Make-up day", works_like=4)
    snapshot = calendar_snapshot(code="shop")
    assert snapshot.hours_on(date(2025, 9, 28)) == parse_hours("10:00-22:00")  # Monday's
    assert snapshot.hours_on(date(2025, 10, 11)) == parse_hours("09:00-17:00")  # Friday's


def test_a_calendar_in_berlin():
    calendar_create(code="de", name_zh="德国办公室", name_en="German office",
                    time_zone="Europe/Berlin", hours=("09:00-17:00",) * 5 + ("", ""))
    snapshot = calendar_snapshot(code="de")
    assert snapshot.tz.key == "Europe/Berlin" and snapshot.workday_seconds == 8 * HOUR


def test_unknown_code_is_not_found():
    with pytest.raises(NotFound):
        calendar_snapshot(code="nope")


def test_create_reports_every_mistake():
    with pytest.raises(InvalidInput) as caught:
        calendar_create(code="5x8", name_zh="", name_en="x", time_zone="Mars/Olympus",
                        hours=("18:00-09:00",) + ("",) * 6)
    assert set(caught.value.errors) == {"code", "name_zh", "time_zone", "hours_0"}


def test_bad_hours_and_day_values_are_refused():
    five = BusinessCalendar.objects.get(code="5x8")
    with pytest.raises(InvalidInput) as caught:
        calendar_hours_set(calendar=five, weekday=0, hours="9 to 5")
    assert "09:00-12:00" in caught.value.errors["hours"]
    with pytest.raises(InvalidInput) as caught:
        calendar_day_set(calendar=five, day=date(2025, 12, 25), kind="party", name_zh="x",
                         name_en="x")
    assert set(caught.value.errors) == {"kind"}


def test_an_end_of_midnight_is_the_end_of_the_day():
    calendar = calendar_create(code="late", name_zh="晚班", name_en="Late shift",
                               time_zone="Asia/Shanghai", hours=("16:00-24:00",) * 7)
    period = calendar.working_periods.first()
    assert period.end_time == time(0) and period.seconds == (16 * HOUR, 24 * HOUR)
    assert calendar_snapshot(code="late").weekly[0] == ((16 * HOUR, 24 * HOUR),)


def test_the_database_refuses_inconsistent_rows():
    five = BusinessCalendar.objects.get(code="5x8")
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingPeriod.objects.create(calendar=five, weekday=0, start_time=time(12),
                                     end_time=time(9))
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarDay.objects.create(calendar=five, date=date(2025, 10, 1), kind="holiday",
                                   name_zh="重复", name_en="Duplicate")
    with pytest.raises(ValidationError):
        BusinessCalendar(code="x", name_zh="x", name_en="x", time_zone="Asia/Shanghia").full_clean()
