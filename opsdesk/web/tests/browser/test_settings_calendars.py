"""The process owner's business calendars, as they use them: from Settings to the list, into the
shipped 5×8 calendar, a company holiday added through the form, seen in the list of days and in
the year's month grid. Screenshots of the list and the calendar page in both languages."""

from datetime import date

import pytest
from playwright.sync_api import expect

from opsdesk.sla.models import CalendarDay, DayKind
from opsdesk.sla.selectors import calendar_snapshot

LANGUAGES = ["en", "zh"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_owner_adds_a_company_holiday(org, page_for, shoot, lang, tr):
    page = page_for(org.owner, lang)
    page.goto("/settings/")
    page.locator("a[href='/settings/calendars/']").click()
    page.wait_for_url("**/settings/calendars/")
    expect(page.locator("h1")).to_have_text(tr(lang, "Business calendars"))
    expect(page.locator("tbody tr")).to_have_count(2)  # the shipped 7×24 and 5×8
    shoot(page, f"48-settings-calendars-{lang}")

    page.locator("a[href='/settings/calendars/5x8/']").click()
    page.wait_for_url("**/settings/calendars/5x8/")
    page.goto("/settings/calendars/5x8/?year=2026")
    expect(page.locator("#hours input[name=hours_0]")).to_have_value("09:00-12:00, 13:00-18:00")
    expect(page.locator("tr.day-holiday")).to_have_count(33)

    form = page.locator("#add-day")
    form.locator("input[name=date]").fill("2026-12-24")
    form.locator("select[name=kind]").select_option(DayKind.HOLIDAY.value)
    form.locator("input[name=name_zh]").fill("公司假日")
    form.locator("input[name=name_en]").fill("Company day off")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/settings/calendars/5x8/?year=2026#days")

    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator("tr.day-holiday")).to_have_count(34)
    row = page.locator("tr.day-holiday", has_text="2026-12-24")
    expect(row).to_contain_text("公司假日" if lang == "zh" else "Company day off")
    december = page.locator("table.month").nth(11)
    expect(december.locator("td.holiday", has_text="24")).to_have_attribute(
        "title", "公司假日" if lang == "zh" else "Company day off")
    assert CalendarDay.objects.get(calendar_id="5x8", date=date(2026, 12, 24)).kind == "holiday"
    assert calendar_snapshot(code="5x8").hours_on(date(2026, 12, 24)) == ()
    shoot(page, f"49-settings-calendar-5x8-{lang}")
