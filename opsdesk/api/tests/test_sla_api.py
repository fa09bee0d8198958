"""GET /sla/policies and /sla/calendars: staff only, from memory, with clear 4xx on bad input."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.sla.models import SlaPolicy

READERS = ["desk", "manager", "owner", "admin"]
OTHERS = ["requester", "colleague", "engineer", "expert"]


def english(client, path, **params):
    return client.client.get(f"/api/v1{path}", params, HTTP_ACCEPT_LANGUAGE="en")


def _error(response, status):
    assert response.status_code == status, response.content
    assert response.json()["detail"]
    return response.json()


@pytest.mark.parametrize("person", READERS)
@pytest.mark.parametrize("path", ["/sla/policies", "/sla/policies/P1", "/sla/calendars",
                                  "/sla/calendars/5x8", "/sla/calendars/5x8/days"])
def test_the_desk_managers_owners_and_admins_read_the_sla_settings(api, person, path):
    assert getattr(api, person).get(path).status_code == 200


@pytest.mark.parametrize("person", OTHERS)
@pytest.mark.parametrize("path", ["/sla/policies", "/sla/policies/P1", "/sla/calendars",
                                  "/sla/calendars/5x8/days"])
def test_everyone_else_is_refused_with_a_reason(api, person, path):
    body = _error(english(getattr(api, person), path), 403)
    assert "SLA settings" in body["detail"]


def test_anonymous_callers_must_sign_in(client, db):
    assert client.get("/api/v1/sla/policies").status_code == 401


def test_the_shipped_policies(api):
    policies = english(api.manager, "/sla/policies").json()
    assert [p["code"] for p in policies] == ["P1", "P2", "P3", "P4"]
    p1 = policies[0]
    assert (p1["priority"], p1["service"], p1["organisation"]) == (1, None, None)
    assert p1["response"] == {"calendar": "7x24", "target_seconds": 900, "target": "15 min",
                              "pause_statuses": [], "pause_reasons": []}
    assert p1["resolution"] == {"calendar": "7x24", "target_seconds": 4 * 3600,
                                "target": "4 h", "pause_statuses": ["resolved"],
                                "pause_reasons": ["01", "02"]}
    assert p1["notify_manager_at_creation"] and p1["escalate_on_breach"]
    assert p1["auto_close"] == {"calendar": "5x8", "working_days": 3}
    assert policies[3]["resolution"]["target"] == "3 working days"


def test_a_specific_policy_names_its_service_and_organisation(api, org):
    service = Service.objects.create(code="MAIL", name_zh="邮件", name_en="Mail")
    SlaPolicy.objects.create(
        code="P1-MAIL", name_zh="邮件 P1", name_en="Mail P1", priority_id=1, service=service,
        organisation=org.dept, response_calendar_id="5x8", response_seconds=600,
        resolution_calendar_id="5x8", resolution_seconds=7200, auto_close_calendar_id="5x8",
        response_pause_statuses=[35], is_active=False)
    found = api.owner.get("/sla/policies/P1-MAIL").json()
    assert (found["service"], found["organisation"], found["is_active"]) == ("MAIL", "FIN", False)
    assert found["response"]["pause_statuses"] == ["pending"]
    active = [p["code"] for p in api.owner.get("/sla/policies", active="true").json()]
    inactive = [p["code"] for p in api.owner.get("/sla/policies", active="false").json()]
    assert "P1-MAIL" not in active and inactive == ["P1-MAIL"]


def test_the_lists_cost_no_query_per_row(api, org):
    def queries(path):
        api.desk.get(path)  # the token's last-used stamp is written once in a while
        lookups.clear()
        with CaptureQueriesContext(connection) as captured:
            assert api.desk.get(path).status_code == 200
        return len(captured)

    def add_policies(numbers):
        for n in numbers:
            service = Service.objects.create(code=f"S{n}", name_zh=f"服务{n}", name_en=f"S{n}")
            SlaPolicy.objects.create(
                code=f"X{n}", name_zh="x", name_en="x", priority_id=2, service=service,
                organisation=org.dept, response_calendar_id="5x8", response_seconds=600,
                resolution_calendar_id="7x24", resolution_seconds=7200,
                auto_close_calendar_id="5x8")

    add_policies([0])
    before = (queries("/sla/policies"), queries("/sla/calendars"))
    add_policies(range(1, 13))
    assert (queries("/sla/policies"), queries("/sla/calendars")) == before
    assert before[0] <= 9 and before[1] <= 5


def test_the_shipped_calendars_and_their_days(api):
    calendars = {c["code"]: c for c in api.desk.get("/sla/calendars").json()}
    five = calendars["5x8"]
    assert five["working_hours"]["monday"] == "09:00-12:00, 13:00-18:00"
    assert five["working_hours"]["sunday"] == "" and five["workday_seconds"] == 8 * 3600
    assert (five["time_zone"], five["is_24x7"]) == ("Asia/Shanghai", False)
    assert calendars["7x24"]["is_24x7"]
    days = {d["date"]: d for d in api.desk.get("/sla/calendars/5x8/days", year=2026).json()}
    assert days["2026-10-01"]["kind"] == "holiday"
    assert all(date.startswith("2026-") for date in days)
    assert any(d["kind"] == "workday" for d in days.values())  # 调休 make-up days


@pytest.mark.parametrize("path, params, status, field", [
    ("/sla/calendars/5x8/days", {"year": "twenty"}, 422, "year"),
    ("/sla/calendars/5x8/days", {"year": "99999"}, 422, "year"),
    ("/sla/policies", {"active": "maybe"}, 422, "active"),
    ("/sla/calendars/nope/days", {}, 404, None),
    ("/sla/calendars/nope", {}, 404, None),
    ("/sla/policies/NOPE", {}, 404, None),
])
def test_bad_input_is_a_clear_4xx(api, path, params, status, field):
    body = _error(english(api.desk, path, **params), status)
    if field:
        assert field in body["errors"], body
    else:
        assert "nope" in body["detail"].lower()
