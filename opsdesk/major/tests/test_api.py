"""The major-incident API as its callers use it: tokens, JSON, the error shape."""

import pytest

from opsdesk.api.tests.conftest import ApiClient
from opsdesk.incidents.models import Incident

from .helpers import declared, outage


@pytest.fixture
def as_(org):
    return lambda role: ApiClient(getattr(org, role))


def test_propose_promote_update_children_flow(org, as_):
    incident = outage(org)
    desk, manager = as_("desk"), as_("manager")
    response = desk.post(f"/major-incidents/{incident.number}/propose", {"reason": "ERP down"})
    assert response.status_code == 201 and response.json()["state"] == "candidate"
    assert desk.post(f"/major-incidents/{incident.number}/promote", {}).status_code == 403
    response = manager.post(f"/major-incidents/{incident.number}/promote",
                            {"cadence_minutes": 15, "stakeholders": ["owner"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "declared" and body["manager"] == "manager"
    assert body["stakeholders"] == ["owner"] and body["cadence_minutes"] == 15
    child = outage(org, requester=org.colleague)
    response = manager.post(f"/major-incidents/{incident.number}/children",
                            {"numbers": [child.number]})
    assert [c["number"] for c in response.json()["children"]] == [child.number]
    response = manager.post(f"/major-incidents/{incident.number}/updates",
                            {"text": "Failover started"})
    assert response.status_code == 201
    assert [u["text"] for u in manager.get(f"/major-incidents/{incident.number}/updates")
            .json()] == ["Failover started"]
    listed = desk.get("/major-incidents").json()
    assert [m["number"] for m in listed] == [incident.number]
    response = manager.delete(f"/major-incidents/{incident.number}/children/{child.number}")
    assert response.json()["children"] == []


def test_errors_name_the_fields(org, as_):
    major = declared(org)
    manager = as_("manager")
    response = manager.post(f"/major-incidents/{major.incident.number}/updates", {"text": " "})
    assert response.status_code == 422 and "text" in response.json()["errors"]
    response = manager.post(f"/major-incidents/{major.incident.number}/children",
                            {"numbers": ["INC000"]})
    assert response.status_code == 422 and "numbers" in response.json()["errors"]
    other = outage(org)
    response = manager.post(f"/major-incidents/{other.number}/declare", {"manager": "nobody"})
    assert response.status_code == 422 and "manager" in response.json()["errors"]
    response = manager.post(f"/major-incidents/{other.number}/declare", {"number": "x"})
    assert response.status_code == 422  # unknown fields are refused
    assert as_("requester").get("/major-incidents").status_code == 403
    assert as_("desk").get("/major-incidents/INC000").status_code == 404


def test_affected_is_idempotent_and_open_to_anyone_for_a_declared_major(org, as_):
    major = declared(org)
    outsider = as_("outsider")
    first = outsider.post(f"/major-incidents/{major.incident.number}/affected")
    second = outsider.post(f"/major-incidents/{major.incident.number}/affected")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["count"] == 1
    plain = outage(org)
    assert outsider.post(f"/major-incidents/{plain.number}/affected").status_code == 404


def test_criteria_get_and_put_for_the_process_owner(org, as_):
    rules = {"rules": [{"kind": "priority", "priority": 1, "action": "declare",
                        "cadence_minutes": 30},
                       {"kind": "cluster", "count": 5, "window_minutes": 15}]}
    assert as_("manager").put("/major-incidents/criteria", rules).status_code == 403
    response = as_("owner").put("/major-incidents/criteria", rules)
    assert response.status_code == 200
    assert [r["kind"] for r in response.json()["rules"]] == ["priority", "cluster"]
    bad = as_("owner").put("/major-incidents/criteria", {"rules": [{"kind": "cluster"}]})
    assert bad.status_code == 422 and "rules.0.count" in bad.json()["errors"]
    assert [r["kind"] for r in as_("desk").get("/major-incidents/criteria").json()["rules"]] == [
        "priority", "cluster"]
    assert Incident.objects.count() == 0
