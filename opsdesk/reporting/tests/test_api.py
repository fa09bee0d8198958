"""The reports API: the monthly report's numbers and files, and scheduled reports."""

import pytest
import time_machine
from django.test import Client

from opsdesk.reporting.models import ReportSchedule
from opsdesk.reporting.tests.test_schedules import sh

pytestmark = pytest.mark.django_db


def api(user, language="en"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def test_the_monthly_report_as_json_html_and_pdf(org):
    owner = api(org.owner)
    data = owner.get("/api/v1/reports/monthly/2025-03").json()
    assert data["month"] == "2025-03" and data["start"] == "2025-03-01"
    assert data["end"] == "2025-03-31"
    assert {k["code"] for k in data["kpis"]} >= {"response_on_time", "volume"}
    assert owner.get("/api/v1/reports/monthly/2025-03?format=pdf")["Content-Type"] == \
        "application/pdf"
    html = owner.get("/api/v1/reports/monthly/2025-03?format=html&lang=zh-hans")
    assert '<html lang="zh-Hans">' in html.content.decode()
    assert owner.get("/api/v1/reports/monthly/March").status_code == 422
    assert api(org.engineer).get("/api/v1/reports/monthly/2025-03").status_code == 403


def test_schedules_through_the_api(org):
    client = api(org.owner)
    created = client.post("/api/v1/reports/schedules", {
        "name": "Daily KPIs", "kind": "kpi_table", "frequency": "daily", "hour": 7,
        "format": "csv", "language": "en", "params": "group=NET2",
        "recipients": ["manager", "boss@example.com"]}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["recipients"] == ["manager", "boss@example.com"] and body["owner"] == "owner"
    pk = body["id"]
    refused = client.post("/api/v1/reports/schedules", {"name": "x", "kind": "weekly"},
                          content_type="application/json")
    assert refused.status_code == 422 and "kind" in refused.json()["errors"]
    extra = client.post("/api/v1/reports/schedules", {"name": "x", "owner": "admin"},
                        content_type="application/json")
    assert extra.status_code == 422
    changed = client.patch(f"/api/v1/reports/schedules/{pk}", {"is_active": False},
                           content_type="application/json")
    assert changed.json()["is_active"] is False
    with time_machine.travel(sh(2025, 4, 3, 10), tick=False):
        run = client.post(f"/api/v1/reports/schedules/{pk}/send").json()
    assert run["status"] == "sent" and run["period_start"] == "2025-04-02"
    assert run["triggered_by"] == "owner"
    assert [r["id"] for r in client.get(f"/api/v1/reports/schedules/{pk}/runs").json()] == [
        run["id"]]
    assert api(org.manager).get("/api/v1/reports/schedules").status_code == 403
    assert api(org.manager).get(f"/api/v1/reports/schedules/{pk}").status_code == 404
    assert client.delete(f"/api/v1/reports/schedules/{pk}").status_code == 204
    assert ReportSchedule.objects.count() == 0
