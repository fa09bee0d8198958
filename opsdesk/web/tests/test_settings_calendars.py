"""The process owner's business calendar pages: who may use them, the list, creating a calendar,
editing its details and hours, dated days, file imports, bad input and query counts."""

import re
from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opsdesk.core.testing.matrix import ALLOW, DENY, check_matrix_complete, matrix_cases
from opsdesk.sla.clock import parse_hours
from opsdesk.sla.models import BusinessCalendar, CalendarDay, DayKind, WorkingPeriod
from opsdesk.sla.selectors import calendar_snapshot
from opsdesk.sla.services import calendar_create

ROLES = ("requester", "desk", "engineer", "manager", "owner", "admin")
PAGES = ("/settings/calendars/", "/settings/calendars/new/", "/settings/calendars/5x8/",
         "/settings/calendars/5x8/days/2025-10-01/")
ONLY_OWNER_AND_ADMIN = {"requester": DENY, "desk": DENY, "engineer": DENY, "manager": DENY,
                        "owner": ALLOW, "admin": ALLOW}
ACCESS = {page: dict(ONLY_OWNER_AND_ADMIN) for page in PAGES}
check_matrix_complete(ACCESS, actions=PAGES, roles=ROLES)
OFFICE = "09:00-12:00, 13:00-18:00"
MID_2025 = "2025-06-02 10:00 +08:00"  # so "this year" is 2025 and "next year" 2026


def browser(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def five() -> BusinessCalendar:
    return BusinessCalendar.objects.get(code="5x8")


def field_errors(page: str, name: str) -> str:
    """The error list rendered next to the field with this name ('' if none)."""
    match = re.search(rf'<ul class="errors" id="id_{name}_error" role="alert">(.*?)</ul>',
                      page, re.DOTALL)
    return match.group(1) if match else ""


def create_post(**values) -> dict:
    data = {"code": "shop", "name_zh": "门店", "name_en": "Shops",
            "time_zone": "Asia/Shanghai", **{f"hours_{n}": OFFICE for n in range(5)},
            "hours_5": "10:00-16:00", "hours_6": ""}
    data.update(values)
    return data


def details_post(**values) -> dict:
    calendar = five()
    data = {"name_zh": calendar.name_zh, "name_en": calendar.name_en,
            "time_zone": calendar.time_zone, "is_active": "on"}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


# --- who may use them ----------------------------------------------------------------------------

@pytest.mark.parametrize("page, role, expected", matrix_cases(ACCESS))
def test_who_may_open_each_calendar_page(org, page, role, expected):
    response = browser(getattr(org, role)).get(page)
    assert response.status_code == (200 if expected == ALLOW else 403)


def test_denied_people_cannot_post_either(org):
    manager = browser(org.manager)
    posts = {"/settings/calendars/new/": create_post(),
             "/settings/calendars/5x8/": details_post(name_en="Hacked"),
             "/settings/calendars/5x8/hours/": {f"hours_{n}": "" for n in range(7)},
             "/settings/calendars/5x8/days/": {"date": "2025-12-24", "kind": "holiday",
                                               "name_zh": "平安夜", "name_en": "Xmas Eve"},
             "/settings/calendars/5x8/days/2025-10-01/delete/": {},
             "/settings/calendars/5x8/import/": {
                 "file": SimpleUploadedFile("a.csv", b"2025-12-24,holiday,x\n")}}
    for url, data in posts.items():
        assert manager.post(url, data).status_code == 403, url
    assert not BusinessCalendar.objects.filter(code="shop").exists()
    assert five().name_en.startswith("5×8") and five().working_periods.count() == 10
    assert CalendarDay.objects.filter(date=date(2025, 10, 1)).exists()
    assert not CalendarDay.objects.filter(date=date(2025, 12, 24)).exists()


def test_the_settings_index_links_the_calendars(org):
    page = browser(org.owner).get("/settings/").content.decode()
    assert 'href="/settings/calendars/"' in page


# --- the list ------------------------------------------------------------------------------------

@time_machine.travel(MID_2025, tick=False)
def test_the_list_shows_zone_hours_and_this_and_next_years_days(org):
    calendar_create(code="night", name_zh="夜班", name_en="Night shift", time_zone="Europe/Berlin",
                    hours=("22:00-24:00",) * 5 + ("", ""))
    page = browser(org.owner).get("/settings/calendars/").content.decode()
    five_row = re.search(r'<tr>\s*<td class="num"[^>]*><a href="/settings/calendars/5x8/">'
                         r'.*?</tr>', page, re.DOTALL).group(0)
    assert "Mon–Fri" in five_row and OFFICE in five_row
    counts = re.findall(r'<td class="count"[^>]*>(\d+)</td>', five_row)
    assert counts == ["28", "5", "33", "6"]  # holidays, make-up days of 2025 and of 2026
    assert "Holidays 2025" in page and "Make-up days 2026" in page
    assert "7×24, every minute" in page
    assert "Europe/Berlin" in page and "22:00-24:00" in page


def test_the_list_costs_the_same_queries_for_more_calendars(org, django_assert_max_num_queries):
    owner = browser(org.owner)
    owner.get("/settings/calendars/")  # warm the session
    with django_assert_max_num_queries(5):
        owner.get("/settings/calendars/")
    for n in range(4):
        calendar_create(code=f"c{n}", name_zh=f"日历{n}", name_en=f"Calendar {n}",
                        time_zone="UTC", hours=(OFFICE,) * 5 + ("", ""))
    with django_assert_max_num_queries(5):
        page = owner.get("/settings/calendars/").content.decode()
    assert page.count('href="/settings/calendars/c') == 4


# --- creating a calendar -------------------------------------------------------------------------

def test_create_a_calendar_with_its_week(org):
    owner = browser(org.owner)
    page = owner.get("/settings/calendars/new/").content.decode()
    zones = re.findall(r'<option value="([^"]+)"', page)
    assert zones[0] == "Asia/Shanghai" and "Europe/Berlin" in zones[:20] and len(zones) > 300
    response = owner.post("/settings/calendars/new/", create_post())
    assert response.status_code == 302 and response["Location"] == "/settings/calendars/shop/"
    snapshot = calendar_snapshot(code="shop")
    assert snapshot.weekly[0] == parse_hours(OFFICE)
    assert snapshot.weekly[5] == parse_hours("10:00-16:00") and snapshot.weekly[6] == ()
    assert "The calendar shop is created." in owner.get(response["Location"]).content.decode()


def test_bad_create_input_keeps_what_was_typed_and_saves_nothing(org):
    response = browser(org.owner).post("/settings/calendars/new/", create_post(
        code="5x8", name_en="", hours_2="9-18", hours_5="10:00-16:00, 15:00-25:00"))
    assert response.status_code == 422
    page = response.content.decode()
    assert "A calendar with code “5x8” exists." in field_errors(page, "code")
    assert "This field cannot be blank." in field_errors(page, "name_en")
    assert "Write the hours like 09:00-12:00" in field_errors(page, "hours_2")
    assert "“9-18”" in field_errors(page, "hours_2")
    assert field_errors(page, "hours_5") and not field_errors(page, "hours_0")
    assert 'value="9-18"' in page and 'value="门店"' in page
    assert not BusinessCalendar.objects.filter(name_zh="门店").exists()


def test_a_code_that_would_hide_behind_a_url_is_refused(org):
    owner = browser(org.owner)
    for code in ("new", "a/b", "with space"):
        response = owner.post("/settings/calendars/new/", create_post(code=code))
        assert response.status_code == 422 and field_errors(response.content.decode(), "code")
    assert not BusinessCalendar.objects.filter(name_zh="门店").exists()


# --- the calendar page ---------------------------------------------------------------------------

def test_the_calendar_page_lists_the_years_days_and_a_month_grid(org):
    page = browser(org.owner).get("/settings/calendars/5x8/?year=2025").content.decode()
    assert "Business calendar 5x8" in page
    assert 'value="09:00-12:00, 13:00-18:00"' in page and 'name="hours_6" value=""' not in page
    rows = re.findall(r'<tr class="day-(holiday|workday)">', page)
    assert rows.count("holiday") == 28 and rows.count("workday") == 5
    national_day = re.search(r'<tr class="day-holiday">\s*<td[^>]*><a[^>]*>2025-10-01</a>.*?</tr>',
                             page, re.DOTALL).group(0)
    assert "Wed" in national_day and "holiday (not worked)" in national_day
    assert page.count('<table class="month">') == 12
    assert page.count('<td class="holiday"') == 28 and page.count('<td class="workday"') == 5
    assert 'href="?year=2024#days"' in page and 'href="?year=2026#days"' in page


def test_the_calendar_page_query_count_does_not_grow_with_days(org, django_assert_max_num_queries):
    owner = browser(org.owner)
    owner.get("/settings/calendars/5x8/?year=2026")
    with django_assert_max_num_queries(7):
        page = owner.get("/settings/calendars/5x8/?year=2026").content.decode()
    assert page.count('<tr class="day-') == 39


def test_edit_details_of_a_calendar(org):
    response = browser(org.owner).post("/settings/calendars/5x8/", details_post(
        name_en="Office days", time_zone="Asia/Tokyo", is_active=None, year="2026"))
    assert response.status_code == 302
    assert response["Location"] == "/settings/calendars/5x8/?year=2026"
    calendar = five()
    assert (calendar.name_en, calendar.time_zone, calendar.is_active) == (
        "Office days", "Asia/Tokyo", False)
    assert calendar_snapshot(code="5x8").time_zone == "Asia/Tokyo"


def test_bad_details_keep_the_input_and_save_nothing(org):
    owner = browser(org.owner)
    response = owner.post("/settings/calendars/5x8/", details_post(
        name_zh="", name_en="Typed here", time_zone="Asia/Tokyo"))
    assert response.status_code == 422
    page = response.content.decode()
    assert "This field cannot be blank." in field_errors(page, "name_zh")
    assert 'value="Typed here"' in page and '<option value="Asia/Tokyo" selected>' in page
    response = owner.post("/settings/calendars/5x8/", details_post(time_zone="Mars/Olympus"))
    assert response.status_code == 422
    assert "Mars/Olympus" in field_errors(response.content.decode(), "time_zone")
    assert five().name_en.startswith("5×8") and five().time_zone == "Asia/Shanghai"


def test_edit_the_weekly_hours(org):
    hours = {f"hours_{n}": "08:30-12:00, 13:00-17:30" for n in range(5)}
    response = browser(org.owner).post("/settings/calendars/5x8/hours/",
                                       {**hours, "hours_5": "09:00-12:00", "hours_6": ""})
    assert response.status_code == 302 and response["Location"].endswith("#hours")
    snapshot = calendar_snapshot(code="5x8")
    assert snapshot.weekly[0] == parse_hours("08:30-12:00, 13:00-17:30")
    assert snapshot.weekly[5] == parse_hours("09:00-12:00")


def test_one_wrong_weekday_saves_no_hours_and_keeps_the_input(org):
    hours = {f"hours_{n}": "08:00-17:00" for n in range(7)}
    response = browser(org.owner).post("/settings/calendars/5x8/hours/",
                                       {**hours, "hours_3": "08:00-17:00, lunch"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "lunch" in field_errors(page, "hours_3") and not field_errors(page, "hours_2")
    assert 'value="08:00-17:00, lunch"' in page
    assert calendar_snapshot(code="5x8").weekly[0] == parse_hours(OFFICE)
    assert WorkingPeriod.objects.filter(calendar_id="5x8").count() == 10


# --- dated days ----------------------------------------------------------------------------------

def test_add_edit_and_delete_a_holiday(org):
    owner = browser(org.owner)
    response = owner.post("/settings/calendars/5x8/days/", {
        "date": "2025-12-24", "kind": "holiday", "name_zh": "平安夜", "name_en": "Christmas Eve",
        "year": "2025"})
    assert response.status_code == 302
    assert response["Location"] == "/settings/calendars/5x8/?year=2025#days"
    assert calendar_snapshot(code="5x8").hours_on(date(2025, 12, 24)) == ()
    page = owner.get(response["Location"]).content.decode()
    assert "Christmas Eve" in page and "2025-12-24 is saved." in page

    url = "/settings/calendars/5x8/days/2025-12-24/"
    assert 'value="平安夜"' in owner.get(url).content.decode()
    response = owner.post(url, {"kind": "workday", "name_zh": "盘点", "name_en": "Stocktaking",
                                "works_like": "5"})
    assert response.status_code == 302
    row = CalendarDay.objects.get(calendar_id="5x8", date=date(2025, 12, 24))
    assert (row.kind, row.name_en, row.works_like) == (DayKind.WORKDAY, "Stocktaking", 5)

    assert owner.post(url + "delete/").status_code == 302
    assert not CalendarDay.objects.filter(calendar_id="5x8", date=date(2025, 12, 24)).exists()
    assert calendar_snapshot(code="5x8").hours_on(date(2025, 12, 24)) == parse_hours(OFFICE)


def test_a_day_without_names_or_date_is_refused_next_to_its_fields(org):
    response = browser(org.owner).post("/settings/calendars/5x8/days/", {
        "date": "24.12.2025", "kind": "holiday", "name_zh": "", "name_en": "Eve"})
    assert response.status_code == 422
    page = response.content.decode()
    assert field_errors(page, "date") and field_errors(page, "name_zh")
    assert 'value="Eve"' in page and 'value="24.12.2025"' in page
    assert not CalendarDay.objects.filter(name_en="Eve").exists()


def test_unknown_days_and_dates_are_not_found(org):
    owner = browser(org.owner)
    assert owner.get("/settings/calendars/5x8/days/2025-12-24/").status_code == 404
    assert owner.get("/settings/calendars/5x8/days/someday/").status_code == 404
    assert owner.get("/settings/calendars/nope/").status_code == 404
    assert owner.get("/settings/calendars/5x8/hours/").status_code == 405


# --- imports -------------------------------------------------------------------------------------

def upload(name: str, content: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="application/octet-stream")


def test_a_good_csv_import_shows_its_counts(org):
    owner = browser(org.owner)
    csv = ("date,kind,name,name_en\n2025-12-24,holiday,平安夜,Christmas Eve\n"
           "2025-12-27,workday,补班,Make-up Saturday\n2025-10-01,holiday,国庆节,National Day\n")
    response = owner.post("/settings/calendars/5x8/import/",
                          {"file": upload("company.csv", csv), "year": "2025"})
    assert response.status_code == 302
    page = owner.get(response["Location"]).content.decode()
    assert "Imported: 2 days added, 1 replaced, 0 events with a time of day skipped." in page
    assert calendar_snapshot(code="5x8").hours_on(date(2025, 12, 27)) == parse_hours(OFFICE)


def test_a_good_ics_import(org):
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
           "BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20251225\r\n"
           "DTEND;VALUE=DATE:20251227\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n"
           "BEGIN:VEVENT\r\nUID:2\r\nDTSTART:20251229T100000Z\r\nSUMMARY:Meeting\r\n"
           "END:VEVENT\r\nEND:VCALENDAR\r\n")
    owner = browser(org.owner)
    response = owner.post("/settings/calendars/5x8/import/", {"file": upload("x.ICS", ics)})
    assert response.status_code == 302
    assert "2 days added, 0 replaced, 1 events" in owner.get(response["Location"]).content.decode()
    christmas = CalendarDay.objects.filter(calendar_id="5x8", date__gte=date(2025, 12, 25),
                                           date__lt=date(2026, 1, 1))
    assert [(d.date.day, d.kind, d.name_en) for d in christmas] == [
        (25, "holiday", "Christmas"), (26, "holiday", "Christmas")]


def test_a_bad_import_names_each_line_next_to_the_upload_and_imports_nothing(org):
    before = CalendarDay.objects.count()
    csv = ("2025-12-24,holiday,平安夜\n2025-13-01,holiday,Bad date\n"
           "2025-12-27,weekend,Bad kind\n2025-12-24,workday,again\n")
    response = browser(org.owner).post("/settings/calendars/5x8/import/",
                                       {"file": upload("company.csv", csv)})
    assert response.status_code == 422
    errors = field_errors(response.content.decode(), "file")
    assert "The file has 3 mistakes; nothing was imported." in errors
    assert "Line 2: “2025-13-01” is not a date like 2025-10-01." in errors
    assert "Line 3: The kind must be holiday or workday" in errors
    assert "Line 4: 2025-12-24 is already listed in line 1." in errors
    assert CalendarDay.objects.count() == before


def test_an_import_of_another_kind_of_file_or_none_is_refused(org):
    owner = browser(org.owner)
    response = owner.post("/settings/calendars/5x8/import/",
                          {"file": upload("days.xlsx", "2025-12-24,holiday,x")})
    assert response.status_code == 422
    assert "Choose csv or ics." in field_errors(response.content.decode(), "file")
    response = owner.post("/settings/calendars/5x8/import/", {})
    assert response.status_code == 422 and field_errors(response.content.decode(), "file")
    response = owner.post("/settings/calendars/5x8/import/",
                          {"file": upload("empty.csv", "date,kind,name\n")})
    assert response.status_code == 422
    assert "no all-day dates" in field_errors(response.content.decode(), "file")
