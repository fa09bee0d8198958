"""GET /api/v1/measures/kpis… and PUT /api/v1/measures/targets/{code}, on the week of story.py."""

import pytest
from django.test import Client

from opsdesk.accounts.services import api_token_create
from opsdesk.measures.rollups import rollup_tick

from .story import at, sh, story_build

pytestmark = pytest.mark.django_db
MARCH = "start=2025-03-01&end=2025-03-31"
NOON = sh(2025, 3, 5, 12, 0)


@pytest.fixture
def story(org):
    s = story_build(org)
    rollup_tick()
    return s


def api(user) -> Client:
    """A client sending this person's personal token, reading English."""
    _token, secret = api_token_create(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en")


def test_every_kpi_with_its_formula_value_and_links(story, org):
    with at(NOON):
        body = api(org.owner).get(f"/api/v1/measures/kpis?{MARCH}&priority=3").json()
    assert body["period"] == {"start": "2025-03-01", "end": "2025-03-31"}
    kpis = {k["code"]: k for k in body["kpis"]}
    response = kpis["response_on_time"]
    assert (response["value"], response["numerator"], response["denominator"]) == \
        (pytest.approx(200 / 3), 2, 3)  # A and C of A, B, C (F is running)
    assert response["unit"] == "%" and response["higher_is_better"] is True
    assert response["target"] == 95.0 and response["met"] is False
    assert "priority=3" in response["records_url"] and "response_sla=decided" in \
        response["records_url"]
    assert response["formula"].startswith("Incidents whose response clock was met")
    assert kpis["volume"]["value"] == 4


def test_one_kpi_its_trend_and_a_breakdown(story, org):
    client = api(org.manager)
    with at(NOON):
        one = client.get(f"/api/v1/measures/kpis/resolution_median_business?{MARCH}").json()
        trend = client.get("/api/v1/measures/kpis/response_on_time/trend?"
                           f"{MARCH}&months=2").json()
        rows = client.get(f"/api/v1/measures/kpis/volume/breakdown?{MARCH}&by=channel").json()
    assert one["value"] == 3.0 and one["denominator"] == 3 and one["unit"] == "hours"
    assert [(p["month"], p["value"], p["count"]) for p in trend] == [
        ("2025-02-01", 100.0, 1), ("2025-03-01", pytest.approx(100 / 3), 6)]
    assert [(r["key"], r["value"]) for r in rows] == [("01", 3), ("03", 2), ("02", 1),
                                                      ("06", 1)]


def test_targets_are_set_by_the_process_owner_with_who_and_when(story, org):
    with at(sh(2025, 3, 6, 9, 0)):
        done = api(org.owner).put("/api/v1/measures/targets/reopen_rate",
                                  {"target": 3.5}, content_type="application/json")
    assert done.status_code == 200
    body = done.json()
    assert body["target"] == 3.5 and body["changed_by"] == "owner"
    assert body["changed_at"].startswith("2025-03-06T09:00:00")
    assert body["history"][0]["old_target"] == 5.0 and body["history"][0]["channel"] == "api"
    with at(NOON):
        kpi = api(org.owner).get(f"/api/v1/measures/kpis/reopen_rate?{MARCH}").json()
    assert kpi["target"] == 3.5 and kpi["target_changed_by"] == "owner"
    cleared = api(org.admin).put("/api/v1/measures/targets/reopen_rate", {"target": None},
                                 content_type="application/json")
    assert cleared.json()["target"] is None


@pytest.mark.parametrize("path, body, status, field", [
    ("/api/v1/measures/targets/reopen_rate", {"target": 101}, 422, "target"),
    ("/api/v1/measures/targets/nonsense", {"target": 1}, 422, "code"),
    ("/api/v1/measures/targets/reopen_rate", {"target": 1, "by": "me"}, 422, "by"),
])
def test_bad_targets_are_refused_with_a_reason(story, org, path, body, status, field):
    response = api(org.owner).put(path, body, content_type="application/json")
    assert response.status_code == status
    assert field in response.json()["errors"]


def test_who_may_read_and_who_may_set(story, org):
    assert api(org.requester).get("/api/v1/measures/kpis").status_code == 403
    assert api(org.engineer).get("/api/v1/measures/kpis/volume").status_code == 403
    assert api(org.manager).put("/api/v1/measures/targets/volume", {"target": 1},
                                content_type="application/json").status_code == 403
    assert Client().get("/api/v1/measures/kpis").status_code == 401


@pytest.mark.parametrize("query, field", [
    ("start=2025-13-01", "start"), ("group=NOPE", "group"), ("priority=P9", "priority"),
    ("start=2025-03-02&end=2025-03-01", "end"),
])
def test_bad_filters_name_the_parameter(story, org, query, field):
    response = api(org.owner).get(f"/api/v1/measures/kpis?{query}")
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_unknown_kpi_and_breakdown(story, org):
    client = api(org.owner)
    assert client.get("/api/v1/measures/kpis/nonsense").status_code == 422
    response = client.get("/api/v1/measures/kpis/volume/breakdown?by=colour")
    assert response.status_code == 422 and "by" in response.json()["errors"]
