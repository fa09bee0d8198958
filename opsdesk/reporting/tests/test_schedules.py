"""Scheduled reports: kept by process owners, due at their time, mailed once per period with
the file attached (through the real SMTP test server), and a history of what was sent."""

import io
import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.utils import translation
from pypdf import PdfReader

from opsdesk.core.exceptions import InvalidInput, NotPermitted
from opsdesk.measures.kpis import KpiFilters, kpi_values
from opsdesk.measures.rollups import rollup_tick
from opsdesk.measures.tests.story import story_build
from opsdesk.notifications.models import Delivery
from opsdesk.notifications.services import deliveries_send_due
from opsdesk.notifications.tests.conftest import smtp_server  # noqa: F401  (fixture)
from opsdesk.reporting import runs, schedules
from opsdesk.reporting.models import ReportRun, ReportSchedule

SH = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def kpi_schedule(org, **data) -> ReportSchedule:
    values = {"name": "KPI 月报", "kind": "kpi_table", "frequency": "monthly",
              "day_of_month": 1, "hour": 8, "language": "en", "format": "xlsx",
              "recipients": ["manager", "CIO@Example.com"]}
    return schedules.schedule_create(by=org.owner, data={**values, **data})


# ---- keeping schedules ---------------------------------------------------------------------

@pytest.mark.django_db
def test_every_bad_field_is_named_and_nothing_is_saved(org):
    with pytest.raises(InvalidInput) as refused:
        schedules.schedule_create(by=org.owner, data={
            "name": "", "kind": "monthly_report", "frequency": "weekly", "format": "csv",
            "day_of_month": 31, "hour": "noon", "language": "fr",
            "recipients": ["nobody", "not-an-address@"]})
    assert set(refused.value.errors) == {"name", "frequency", "format", "day_of_month", "hour",
                                         "language", "recipients"}
    assert "nobody" in refused.value.errors["recipients"]
    with pytest.raises(InvalidInput) as refused:
        kpi_schedule(org, params="group=NOPE")
    assert "params" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        kpi_schedule(org, recipients=[])
    assert "recipients" in refused.value.errors
    assert ReportSchedule.objects.count() == 0


@pytest.mark.django_db
def test_only_process_owners_and_administrators_keep_schedules(org):
    for person in (org.manager, org.desk, org.engineer, org.requester):
        with pytest.raises(NotPermitted):
            schedules.schedule_list(user=person)
        with pytest.raises(NotPermitted):
            schedules.schedule_create(by=person, data={"name": "x"})
    schedule = kpi_schedule(org)
    assert schedules.schedule_list(user=org.admin) == [schedule]
    schedules.schedule_update(schedule=schedule, by=org.admin, data={"name": "KPIs"})
    schedule.refresh_from_db()
    assert schedule.name == "KPIs" and schedule.owner == org.owner  # the data stays the owner's


@pytest.mark.django_db
def test_filters_are_kept_in_a_fixed_order_and_recipients_once(org):
    schedule = kpi_schedule(org, params="?channel=01&group=NET2&start=2020-01-01",
                            recipients="manager\ncio@example.com, CIO@example.com")
    assert schedule.params == "group=NET2&channel=01"  # the period comes from the schedule
    assert schedules.schedule_recipient_lines(schedule) == ["manager", "cio@example.com"]
    listing = schedules.schedule_create(by=org.owner, data={
        "name": "Open P1", "kind": "incident_list", "frequency": "daily", "format": "csv",
        "params": "status=open&priority=1&sort=-priority&bogus=1", "recipients": ["owner"]})
    assert listing.params == "status=open&priority=1&sort=-priority"


# ---- when a schedule is due ----------------------------------------------------------------

@pytest.mark.parametrize("frequency, now, expected, key", [
    ("monthly", sh(2026, 4, 1, 7, 59), sh(2026, 3, 1, 8), "M:2026-03"),
    ("monthly", sh(2026, 4, 1, 8, 0), sh(2026, 4, 1, 8), "M:2026-04"),
    ("weekly", sh(2026, 4, 8, 9), sh(2026, 4, 6, 8), "W:2026-W15"),  # Wednesday → Monday
    ("daily", sh(2026, 4, 8, 7), sh(2026, 4, 7, 8), "D:2026-04-07"),
])
def test_the_latest_occurrence_and_its_period_key(frequency, now, expected, key):
    schedule = ReportSchedule(frequency=frequency, day_of_month=1, weekday=0, hour=8)
    moment = runs.occurrence_latest(schedule, now)
    assert moment == expected
    assert runs.period_key(schedule, moment) == key


def test_the_period_each_report_covers():
    day = date(2026, 4, 1)
    assert runs.report_period(ReportSchedule(frequency="monthly"), day) == (
        date(2026, 3, 1), date(2026, 3, 31))
    assert runs.report_period(ReportSchedule(frequency="weekly"), date(2026, 4, 6)) == (
        date(2026, 3, 30), date(2026, 4, 5))
    assert runs.report_period(ReportSchedule(frequency="daily"), day) == (
        date(2026, 3, 31), date(2026, 3, 31))


# ---- sending -------------------------------------------------------------------------------

def attachment_of(message):
    [attachment] = list(message.iter_attachments())
    return attachment


@pytest.mark.django_db
def test_the_tick_mails_the_kpi_table_once_per_month_with_the_file(org, smtp_server):  # noqa: F811
    story_build(org)  # March 2025, counted by hand in measures/tests/test_kpis.py
    rollup_tick()
    with time_machine.travel(sh(2025, 3, 20, 9), tick=False):
        deliveries_send_due()  # the story's own notifications
        smtp_server.messages.clear()
        kpi_schedule(org)
    with time_machine.travel(sh(2025, 4, 1, 7, 59), tick=False):
        # Due on the 1st at 08:00; March 1 came before the schedule, so nothing is due yet.
        assert runs.report_schedules_tick() == {"sent": 0, "failed": 0, "skipped": 0}
    with time_machine.travel(sh(2025, 4, 1, 8, 0, 30), tick=False):
        assert runs.report_schedules_tick()["sent"] == 1
        assert runs.report_schedules_tick()["sent"] == 0  # the same period: never twice
        expected = kpi_values(filters=KpiFilters(start=date(2025, 3, 1), end=date(2025, 4, 1)))
        assert deliveries_send_due().sent == 2
    with time_machine.travel(sh(2025, 4, 20, 8), tick=False):
        assert runs.report_schedules_tick()["sent"] == 0
    [run] = ReportRun.objects.all()
    assert (run.status, run.period_key, run.period_start, run.period_end) == (
        "sent", "M:2025-04", date(2025, 3, 1), date(2025, 3, 31))
    assert run.recipients == "manager@example.com, cio@example.com"
    assert sorted(to for _f, [to], _m in smtp_server.messages) == [
        "cio@example.com", "manager@example.com"]
    message = smtp_server.messages[0][2]
    assert " ".join(message["Subject"].split()) == "KPI 月报 · KPIs, 2025-03-01 – 2025-03-31"
    assert "opsdesk-kpis-20250301-20250331.xlsx" in message.get_body(("plain",)).get_content()
    file = attachment_of(message)
    assert file.get_filename() == "opsdesk-kpis-20250301-20250331.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(file.get_content()))
    rows = {row[0]: row for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    for code in ("response_on_time", "resolution_on_time", "volume", "satisfaction_mean"):
        assert rows[code][2] == round(expected[code].value, 2)
    assert rows["volume"][2] == 7 and rows["response_on_time"][5] == "No"
    with time_machine.travel(sh(2025, 5, 1, 8, 1), tick=False):
        assert runs.report_schedules_tick()["sent"] == 1  # the next month


@pytest.mark.django_db
def test_the_monthly_report_goes_as_a_pdf_in_the_schedules_language(org, smtp_server):  # noqa: F811
    with time_machine.travel(sh(2025, 3, 20, 9), tick=False):
        schedules.schedule_create(by=org.owner, data={
            "name": "Monthly report for the CIO", "kind": "monthly_report",
            "frequency": "monthly", "day_of_month": 2, "hour": 9, "language": "en",
            "format": "pdf", "recipients": ["cio@example.com"]})
    with time_machine.travel(sh(2025, 4, 2, 9, 5), tick=False), translation.override("zh-hans"):
        assert runs.report_schedules_tick()["sent"] == 1
        deliveries_send_due()
    [(_f, _to, message)] = smtp_server.messages
    assert " ".join(message["Subject"].split()) == (
        "Monthly report for the CIO · Monthly service report, March 2025")
    assert "KPIs with a target met it" in message.get_body(("plain",)).get_content()
    pdf = attachment_of(message)
    assert pdf.get_filename() == "opsdesk-monthly-report-2025-03.pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_content())).pages)
    assert "Monthly service report, March 2025" in " ".join(text.split())


@pytest.mark.django_db
def test_a_tick_that_was_down_sends_the_latest_missed_period_only(org):
    with time_machine.travel(sh(2025, 1, 20, 9), tick=False):
        schedule = kpi_schedule(org, format="csv")
    with time_machine.travel(sh(2025, 4, 15, 9), tick=False):  # down since January
        assert runs.report_schedules_tick()["sent"] == 1
    assert [r.period_key for r in schedule.runs.all()] == ["M:2025-04"]


@pytest.mark.django_db
def test_a_report_that_cannot_be_made_is_recorded_with_the_reason(org):
    with time_machine.travel(sh(2025, 3, 20, 9), tick=False):
        schedule = kpi_schedule(org)
    org.owner.is_process_owner = False  # the owner left the role: the KPIs are not theirs
    org.owner.save()
    with time_machine.travel(sh(2025, 4, 1, 8, 1), tick=False):
        assert runs.report_schedules_tick() == {"sent": 0, "failed": 1, "skipped": 0}
        assert runs.report_schedules_tick()["failed"] == 0  # recorded once for the period
    [run] = schedule.runs.all()
    assert run.status == "failed" and "KPIs" in run.error
    assert Delivery.objects.count() == 0


@pytest.mark.django_db
def test_send_now_is_recorded_as_by_hand_and_does_not_use_up_the_period(org):
    with time_machine.travel(sh(2025, 3, 20, 9), tick=False):
        schedule = kpi_schedule(org, format="csv")
    with time_machine.travel(sh(2025, 4, 1, 7), tick=False):
        run = runs.schedule_send_now(schedule=schedule, by=org.admin)
    assert run.status == "sent" and run.triggered_by == org.admin
    assert run.filename == "opsdesk-kpis-20250301-20250331.csv"
    with time_machine.travel(sh(2025, 4, 1, 8, 1), tick=False):
        assert runs.report_schedules_tick()["sent"] == 1
    assert Delivery.objects.count() == 4
    with pytest.raises(NotPermitted):
        runs.schedule_send_now(schedule=schedule, by=org.manager)


@pytest.mark.django_db(transaction=True)
def test_two_ticks_that_race_send_a_period_once(reference_data, org):
    with time_machine.travel(sh(2025, 3, 20, 9), tick=False):
        schedule = kpi_schedule(org, format="csv")
    moment = sh(2025, 4, 1, 8)
    start, results, errors = threading.Barrier(3), [], []

    def tick():
        try:
            start.wait(timeout=30)
            found = ReportSchedule.objects.get(pk=schedule.pk)
            results.append(runs.schedule_send(schedule=found, occurrence=moment,
                                              key=runs.period_key(found, moment)))
        except BaseException as exc:  # noqa: BLE001  (re-raised below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len([r for r in results if r is not None]) == 1
    assert ReportRun.objects.count() == 1
    assert Delivery.objects.count() == 2  # one mail per recipient
