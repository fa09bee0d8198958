"""The owner's edits of a whole calendar: names, time zone, switches and the week's hours."""

from datetime import date

import pytest

from opsdesk.core.exceptions import InvalidInput
from opsdesk.sla.clock import parse_hours
from opsdesk.sla.models import BusinessCalendar
from opsdesk.sla.selectors import calendar_list, calendar_snapshot
from opsdesk.sla.services import calendar_update, calendar_week_set

pytestmark = pytest.mark.django_db

FIVE_BY_EIGHT = parse_hours("09:00-12:00, 13:00-18:00")


def five() -> BusinessCalendar:
    return BusinessCalendar.objects.get(code="5x8")


def test_update_changes_names_zone_and_switches_and_reaches_the_snapshot():
    calendar_snapshot(code="5x8")  # warm: the update must make the next snapshot differ
    calendar_update(calendar=five(), name_zh="办公时间", name_en="Office hours",
                    time_zone="Europe/Berlin", is_24x7=False, is_active=False)
    row = five()
    assert (row.name_zh, row.name_en, row.time_zone, row.is_active) == (
        "办公时间", "Office hours", "Europe/Berlin", False)
    assert calendar_snapshot(code="5x8").time_zone == "Europe/Berlin"
    assert [c.code for c in calendar_list()] == ["7x24"]


def test_a_wrong_update_saves_nothing_and_names_the_fields():
    calendar = five()
    with pytest.raises(InvalidInput) as error:
        calendar_update(calendar=calendar, name_zh="", name_en="Office",
                        time_zone="Mars/Olympus", is_24x7=True, is_active=True)
    assert set(error.value.errors) == {"name_zh", "time_zone"}
    assert (calendar.time_zone, calendar.is_24x7) == ("Asia/Shanghai", False)  # reloaded
    assert not five().is_24x7 and five().name_en.startswith("5×8")


def test_the_week_is_replaced_at_once():
    calendar_week_set(calendar=five(), hours=("08:00-17:00",) * 4 + ("08:00-12:00", "", ""))
    snapshot = calendar_snapshot(code="5x8")
    assert snapshot.weekly[0] == parse_hours("08:00-17:00")
    assert snapshot.weekly[4] == parse_hours("08:00-12:00") and snapshot.weekly[5] == ()
    assert snapshot.hours_on(date(2025, 9, 28)) == parse_hours("08:00-17:00")  # 调休 Sunday


def test_one_wrong_day_leaves_the_whole_week_as_it_was():
    with pytest.raises(InvalidInput) as error:
        calendar_week_set(calendar=five(),
                          hours=("08:00-17:00",) * 5 + ("10:00-25:00", "noon"))
    assert set(error.value.errors) == {"hours_5", "hours_6"}
    assert calendar_snapshot(code="5x8").weekly[0] == FIVE_BY_EIGHT
    assert five().working_periods.count() == 10
