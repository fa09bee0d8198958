"""Importing holidays and make-up days from .csv and .ics files: all valid, or nothing."""

import io
from datetime import date

import pytest
from django.utils import translation

from opsdesk.core.exceptions import InvalidInput
from opsdesk.sla.clock import is_business_time
from opsdesk.sla.models import CalendarDay
from opsdesk.sla.selectors import calendar_snapshot
from opsdesk.sla.services import calendar_create, calendar_import

from .calendars import berlin

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English; error keys ("line 3", "event 2") are never translated."""
    with translation.override("en"):
        yield


@pytest.fixture
def office():
    return calendar_create(code="de", name_zh="德国办公室", name_en="German office",
                           time_zone="Europe/Berlin", hours=("09:00-17:00",) * 5 + ("", ""))


def _days(calendar) -> dict[date, tuple[str, str, str]]:
    return {d.date: (d.kind, d.name_zh, d.name_en) for d in calendar.days.all()}


GOOD_CSV = """\ufeffdate,kind,name,name_en
# German public holidays 2025 (Berlin) and one worked Saturday
2025-10-03,holiday,德国统一日,Day of German Unity

2025-12-25,holiday,圣诞节,Christmas Day
2025-12-26,holiday,Second Day of Christmas
2025-12-27,workday,盘点,Stocktaking
"""


def test_a_good_csv_file(office):
    result = calendar_import(calendar=office, file=io.BytesIO(GOOD_CSV.encode()), format="csv")
    assert (result.created, result.updated, result.skipped) == (4, 0, 0)
    assert _days(office)[date(2025, 10, 3)] == ("holiday", "德国统一日", "Day of German Unity")
    assert _days(office)[date(2025, 12, 26)] == ("holiday", "Second Day of Christmas",
                                                 "Second Day of Christmas")
    snapshot = calendar_snapshot(code="de")
    assert not is_business_time(snapshot, berlin(2025, 10, 3, 10))  # a Friday
    assert is_business_time(snapshot, berlin(2025, 12, 27, 10))  # a Saturday, now worked


def test_a_csv_saved_by_excel_in_gb18030_and_a_second_import_replaces_dates(office):
    data = "2025-10-03,休,国庆补休\n2025-10-04,班,周六上班\n".encode("gb18030")
    assert calendar_import(calendar=office, file=data, format="csv").created == 2
    result = calendar_import(calendar=office, file=b"2025-10-04,holiday,Day off\n", format="csv")
    assert (result.created, result.updated) == (0, 1)
    assert _days(office) == {date(2025, 10, 3): ("holiday", "国庆补休", "国庆补休"),
                             date(2025, 10, 4): ("holiday", "Day off", "Day off")}


def test_a_bad_csv_names_every_wrong_line_and_imports_nothing(office):
    bad = (b"date,kind,name\n"
           b"2025-10-03,holiday,Unity\n"
           b"2025-13-01,holiday,No such month\n"
           b"2025-12-25,vacation,Christmas\n"
           b"2025-12-26\n"
           b"2025-10-03,workday,Listed twice\n")
    with pytest.raises(InvalidInput) as caught:
        calendar_import(calendar=office, file=bad, format="csv")
    errors = caught.value.errors
    assert list(errors) == ["line 3", "line 4", "line 5", "line 6"]
    assert "2025-13-01" in errors["line 3"] and "vacation" in errors["line 4"]
    assert "1 columns" in errors["line 5"] and "line 2" in errors["line 6"]
    assert "4 mistakes" in str(caught.value.message)
    assert not CalendarDay.objects.filter(calendar=office).exists()


ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//opsdesk tests//holidays//EN\r
BEGIN:VEVENT\r
UID:1@test\r
SUMMARY:\xe5\x9b\xbd\xe5\xba\x86\xe8\x8a\x82\r
DTSTART;VALUE=DATE:20251001\r
DTEND;VALUE=DATE:20251009\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@test\r
SUMMARY:\xe4\xb8\x8a\xe7\x8f\xad(\xe8\xa1\xa5\xe5\x9b\xbd\xe5\xba\x86\xe8\x8a\x82)\r
DTSTART;VALUE=DATE:20250928\r
DTEND;VALUE=DATE:20250929\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:3@test\r
SUMMARY:Team meeting\r
DTSTART:20250929T090000Z\r
DTEND:20250929T100000Z\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:4@test\r
SUMMARY:Reformation Day\r
DTSTART;VALUE=DATE:20251031\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_a_good_ics_file(office):
    result = calendar_import(calendar=office, file=io.BytesIO(ICS), format="ics")
    assert (result.created, result.updated, result.skipped) == (10, 0, 1)  # 8 + 1 + 1; meeting
    days = _days(office)
    assert days[date(2025, 10, 1)] == ("holiday", "国庆节", "国庆节")
    assert date(2025, 10, 8) in days and date(2025, 10, 9) not in days  # DTEND is exclusive
    assert days[date(2025, 9, 28)][0] == "workday"  # 上班(补国庆节)
    assert days[date(2025, 10, 31)][:2] == ("holiday", "Reformation Day")  # no DTEND: one day


def test_a_bad_ics_file_names_each_wrong_event(office):
    bad = ICS.replace(b"DTEND;VALUE=DATE:20250929", b"DTEND;VALUE=DATE:20250927").replace(
        b"UID:4@test\r\n", b"UID:4@test\r\nRRULE:FREQ=SOMETIMES\r\n")
    with pytest.raises(InvalidInput) as caught:
        calendar_import(calendar=office, file=bad, format="ics")
    assert list(caught.value.errors) == ["event 2", "event 4"]
    assert "RRULE" in caught.value.errors["event 4"]
    assert not CalendarDay.objects.filter(calendar=office).exists()


@pytest.mark.parametrize("data, format_, field", [
    (b"this is not a calendar", "ics", "file"),
    (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "ics", "file"),
    (b"date,kind,name\n", "csv", "file"),
    (b"2025-10-03,holiday,x\n", "xlsx", "format"),
    (b"x" * (1024 * 1024 + 1), "csv", "file"),
])
def test_files_that_cannot_be_imported(office, data, format_, field):
    with pytest.raises(InvalidInput) as caught:
        calendar_import(calendar=office, file=data, format=format_)
    assert field in caught.value.errors
