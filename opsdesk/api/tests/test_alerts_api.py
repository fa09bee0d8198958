"""Reading alerts through the API: who may, what they see, paging, and no N+1."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.intake.models import AlertIntegration, Silence
from opsdesk.intake.parsers.types import NormalizedAlert
from opsdesk.intake.services.alerts import alerts_ingest

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(db):
    integration = AlertIntegration(name="prom", kind="alertmanager")
    integration.token_new()
    integration.save()
    now = timezone.now()
    for n in range(5):
        alerts_ingest(integration=integration, alerts=[NormalizedAlert(
            source="alertmanager", fingerprint=f"fp{n}", status="firing",
            summary=f"Disk full on db{n}", severity="critical",
            labels={"alertname": "Disk", "host": f"db{n}", "service": f"s{n}"},
            starts_at=now - timedelta(minutes=n))])
    Silence.objects.create(integration=integration, matchers=[["host", "=", "db1"]],
                           starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    return integration


def test_the_desk_lists_alerts_with_their_incidents_page_by_page(org, alerts):
    desk = ApiClient(org.desk)
    first = desk.get("/alerts", limit=3)
    assert first.status_code == 200
    body = first.json()
    assert len(body["items"]) == 3 and body["next"]
    item = body["items"][0]
    assert item["summary"].startswith("Disk full on db") and item["status"] == "firing"
    assert item["incident"].startswith("INC") and item["handling"] == "incident"
    rest = desk.get("/alerts", limit=3, cursor=body["next"]).json()
    assert len(rest["items"]) == 2 and rest["next"] == ""
    seen = [i["fingerprint"] for i in body["items"] + rest["items"]]
    assert sorted(seen) == [f"fp{n}" for n in range(5)]
    silenced = next(i for i in body["items"] + rest["items"] if i["fingerprint"] == "fp1")
    assert silenced["silenced_until"] is not None


def test_filters_and_one_alert_with_its_deliveries(org, alerts):
    desk = ApiClient(org.desk)
    assert desk.get("/alerts", status="resolved").json()["items"] == []
    item = desk.get("/alerts", status="firing").json()["items"][0]
    detail = desk.get(f"/alerts/{item['id']}").json()
    assert detail["labels"]["alertname"] == "Disk"
    assert [e["status"] for e in detail["events"]] == ["firing"]
    assert detail["events"][0]["outcome"]
    assert desk.get("/alerts/999999").status_code == 404


def test_requesters_may_not_read_alerts_and_process_owners_may(org, alerts):
    response = ApiClient(org.requester).get("/alerts")
    assert response.status_code == 403
    assert "服务台" in response.json()["detail"]  # the site's language, Chinese
    assert ApiClient(org.engineer).get("/alerts").status_code == 200
    assert ApiClient(org.owner).get("/alerts").status_code == 200  # they set the rules


def test_the_list_costs_the_same_queries_for_few_and_many(org, alerts):
    desk = ApiClient(org.desk)
    desk.get("/alerts", limit=1)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        desk.get("/alerts", limit=1)
    with CaptureQueriesContext(connection) as many:
        desk.get("/alerts", limit=50)
    assert len(many) == len(few)
