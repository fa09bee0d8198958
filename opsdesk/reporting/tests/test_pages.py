"""The reports pages: who sees what, the monthly report on screen and as PDF, keeping
schedules in the browser (new from a queue, edit, send now, history, delete)."""

import io
import re

import pytest
import time_machine
from django.test import Client
from pypdf import PdfReader

from opsdesk.notifications.models import Delivery
from opsdesk.reporting.models import ReportSchedule
from opsdesk.reporting.tests.test_schedules import sh

pytestmark = pytest.mark.django_db


def browser(user, language="en"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def test_the_reports_page_for_each_role(org):
    page = browser(org.owner).get("/reports/?month=2025-03").content.decode()
    assert 'href="/reports/monthly/2025-03/?lang=en"' in page
    assert 'href="/reports/monthly/2025-03.pdf?lang=en"' in page
    assert "/reports/export/kpis.xlsx" in page and "New scheduled report" in page
    manager = browser(org.manager).get("/reports/").content.decode()
    assert "Monthly service report" in manager and "New scheduled report" not in manager
    org.groups["NET2"].manager = org.engineer
    org.groups["NET2"].save()
    lead = browser(org.engineer).get("/reports/").content.decode()
    assert "/reports/export/kpis.xlsx" in lead and "/reports/monthly/" not in lead
    assert browser(org.desk).get("/reports/").status_code == 403
    assert browser(org.requester).get("/reports/").status_code == 403
    assert Client().get("/reports/").status_code == 302


def test_the_monthly_report_on_screen_and_as_pdf_in_either_language(org):
    owner = browser(org.owner, "zh-hans")
    page = owner.get("/reports/monthly/2025-03/?lang=en")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="en">' in html and "Monthly service report, March 2025" in html
    assert 'href="/reports/monthly/2025-03.pdf?lang=en"' in html
    assert "<script" not in html
    chinese = owner.get("/reports/monthly/2025-03/").content.decode()
    assert '<html lang="zh-Hans">' in chinese and "2025年3月" in chinese
    pdf = owner.get("/reports/monthly/2025-03.pdf?lang=en")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="opsdesk-monthly-report-2025-03.pdf"'
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
                    .split())
    assert "Monthly service report, March 2025" in text
    assert browser(org.engineer).get("/reports/monthly/2025-03/").status_code == 403
    assert owner.get("/reports/monthly/2025-13/").status_code == 404


def test_a_process_owner_schedules_a_queue_from_its_export_link(org):
    owner = browser(org.owner)
    form = owner.get("/reports/schedules/new/?kind=incident_list&queue=unassigned&priority=1")
    page = form.content.decode()
    params = re.search(r'name="params"[^>]*value="([^"]*)"', page).group(1)
    assert params == "status=open&amp;priority=1&amp;assignee=none"
    response = owner.post("/reports/schedules/new/", {
        "name": "Unassigned P1", "kind": "incident_list", "format": "xlsx",
        "frequency": "weekly", "day_of_month": 1, "weekday": 0, "hour": 8, "language": "zh-hans",
        "recipients": "manager\nboss@example.com", "params": "status=open&priority=1&assignee=none",
        "is_active": "on"})
    schedule = ReportSchedule.objects.get()
    assert response.status_code == 302 and response["Location"] == (
        f"/reports/schedules/{schedule.pk}/")
    assert schedule.owner == org.owner and schedule.params == \
        "status=open&priority=1&assignee=none"
    listing = owner.get("/reports/").content.decode()
    assert "Unassigned P1" in listing and "Weekly, Monday at 8:00" in listing


def test_a_bad_schedule_keeps_what_was_typed_and_names_the_field(org):
    response = browser(org.owner).post("/reports/schedules/new/", {
        "name": "Weekly report", "kind": "monthly_report", "format": "pdf",
        "frequency": "weekly", "day_of_month": 1, "weekday": 0, "hour": 8, "language": "en",
        "recipients": "ghost", "params": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Weekly report" in page and "The monthly service report is sent monthly." in page
    assert "no active user “ghost”" in page
    assert ReportSchedule.objects.count() == 0


def test_send_now_then_the_history_shows_it_and_delete_removes_it(org):
    owner = browser(org.owner)
    with time_machine.travel(sh(2025, 4, 3, 10), tick=False):
        owner.post("/reports/schedules/new/", {
            "name": "KPIs", "kind": "kpi_table", "format": "csv", "frequency": "monthly",
            "day_of_month": 1, "weekday": 0, "hour": 8, "language": "en",
            "recipients": "boss@example.com", "is_active": "on"})
        schedule = ReportSchedule.objects.get()
        sent = owner.post(f"/reports/schedules/{schedule.pk}/send/", follow=True)
    page = sent.content.decode()
    assert "Sent to boss@example.com." in page
    assert "opsdesk-kpis-20250301-20250331.csv" in page and "by hand, Owner" in page
    assert Delivery.objects.filter(email="boss@example.com").count() == 1
    assert browser(org.manager).post(f"/reports/schedules/{schedule.pk}/send/").status_code == 404
    assert browser(org.manager).get(f"/reports/schedules/{schedule.pk}/").status_code == 404
    owner.post(f"/reports/schedules/{schedule.pk}/delete/")
    assert ReportSchedule.objects.count() == 0


def test_editing_keeps_the_owner_and_stopping_shows_it(org):
    owner = browser(org.owner)
    owner.post("/reports/schedules/new/", {
        "name": "KPIs", "kind": "kpi_table", "format": "csv", "frequency": "monthly",
        "day_of_month": 1, "weekday": 0, "hour": 8, "language": "en",
        "recipients": "boss@example.com", "is_active": "on"})
    schedule = ReportSchedule.objects.get()
    response = browser(org.admin).post(f"/reports/schedules/{schedule.pk}/", {
        "name": "KPIs daily", "kind": "kpi_table", "format": "xlsx", "frequency": "daily",
        "day_of_month": 1, "weekday": 0, "hour": 7, "language": "zh-hans",
        "recipients": "boss@example.com\nmanager"})
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.name, schedule.frequency, schedule.hour, schedule.is_active) == (
        "KPIs daily", "daily", 7, False)
    assert schedule.owner == org.owner
    assert "stopped" in owner.get("/reports/").content.decode()
