"""The collaboration API: tasks on incidents, my tasks, handovers and my mentions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.api.tests.conftest import ApiClient
from opsdesk.collab.models import Handover, IncidentTask
from opsdesk.core.testing.matrix import incident_in


@pytest.fixture
def api(org):
    return type("Clients", (), {name: ApiClient(user) for name, user in org.people.items()})


def add_task(client, incident, **body):
    body = {"title": "Check the firewall logs", "group": "NET3", "mandatory": True, **body}
    return client.post(f"/incidents/{incident.number}/tasks", body)


def test_create_list_work_and_finish_a_task(api, org, incident):
    created = add_task(api.engineer, incident, due_at="2099-01-01T08:00:00+08:00")
    assert created.status_code == 201, created.content
    task = created.json()
    assert (task["incident"], task["group"]["code"], task["status"], task["mandatory"]) == (
        incident.number, "NET3", "open", True)
    listed = api.engineer.get(f"/incidents/{incident.number}/tasks").json()
    assert [t["id"] for t in listed] == [task["id"]]
    mine = api.expert.get("/tasks", mine="1").json()
    assert [t["id"] for t in mine["items"]] == [task["id"]]  # NET3 sees it without the incident
    assert api.expert.get(f"/tasks/{task['id']}").status_code == 200
    started = api.expert.post(f"/tasks/{task['id']}/actions/start")
    assert started.json()["assignee"]["code"] == "expert"
    done = api.expert.post(f"/tasks/{task['id']}/actions/complete", {"note": "Clean"})
    assert done.json()["status"] == "done" and done.json()["completed_by"]["code"] == "expert"


def test_resolving_with_a_mandatory_open_task_is_a_409_naming_it(api, org, incident):
    add_task(api.engineer, incident)
    refused = api.engineer.post(f"/incidents/{incident.number}/actions/resolve", {
        "resolution": "Fixed", "resolution_code": "08"}, **{"Accept-Language": "en"})
    assert refused.status_code == 409
    assert "Check the firewall logs" in refused.json()["detail"]


def test_bad_input_is_a_422_per_field_and_writes_nothing(api, org, incident):
    response = add_task(api.engineer, incident, group="NOPE", assignee="other_engineer",
                        title="")
    assert response.status_code == 422
    assert "group" in response.json()["errors"]
    wrong_member = add_task(api.engineer, incident, assignee="other_engineer")
    assert wrong_member.status_code == 422 and "assignee" in wrong_member.json()["errors"]
    unknown = add_task(api.engineer, incident, status="done")
    assert unknown.status_code == 422 and "status" in unknown.json()["errors"]
    assert not IncidentTask.objects.exists()


def test_permissions(api, org, incident):
    assert add_task(api.other_engineer, incident).status_code == 404  # cannot see it
    assert add_task(api.requester, incident).status_code == 403
    assert api.requester.get(f"/incidents/{incident.number}/tasks").status_code == 403
    task = add_task(api.engineer, incident).json()
    assert api.other_engineer.get(f"/tasks/{task['id']}").status_code == 404
    assert api.requester.get(f"/tasks/{task['id']}").status_code == 404
    assert api.desk.post(f"/tasks/{task['id']}/actions/complete").status_code == 403
    assert api.engineer.post(f"/tasks/{task['id']}/actions/cancel").status_code == 422
    assert api.engineer.post(f"/tasks/{task['id']}/actions/explode").status_code == 422


def test_patch_a_task(api, org, incident):
    task = add_task(api.engineer, incident).json()
    changed = api.engineer.patch(f"/tasks/{task['id']}", {"assignee": "expert",
                                                         "mandatory": False})
    assert changed.status_code == 200, changed.content
    assert changed.json()["assignee"]["code"] == "expert" and not changed.json()["mandatory"]
    assert api.engineer.patch(f"/tasks/{task['id']}", {}).status_code == 422
    assert api.expert.patch(f"/tasks/{task['id']}", {"title": "Mine now"}).status_code == 403


def test_the_task_list_costs_a_fixed_number_of_queries(api, org):
    for n in range(3):
        add_task(api.engineer, incident_in(30, org), title=f"Task {n}")
    with CaptureQueriesContext(connection) as few:
        assert len(api.expert.get("/tasks", mine="1").json()["items"]) == 3
    for n in range(6):
        add_task(api.engineer, incident_in(30, org), title=f"More {n}")
    with CaptureQueriesContext(connection) as many:
        assert len(api.expert.get("/tasks", mine="1").json()["items"]) == 9
    assert len(many) == len(few)


def test_handovers(api, org, incident):
    body = {"shift_date": "2026-11-25", "shift_label": "夜班", "from_group": "NET2",
            "to_group": "NET2", "summary": "Quiet night",
            "items": [{"incident": incident.number, "note": "ISP ticket 4711"}]}
    created = api.engineer.post("/handovers", body)
    assert created.status_code == 201, created.content
    handover = created.json()
    assert handover["items"] == [{"incident": incident.number, "note": "ISP ticket 4711",
                                  "short_description": incident.short_description}]
    assert api.engineer.get("/handovers").json()["items"][0]["id"] == handover["id"]
    assert api.requester.get("/handovers").status_code == 403
    assert api.other_engineer.get(f"/handovers/{handover['id']}").status_code == 404
    own = api.engineer.post(f"/handovers/{handover['id']}/acknowledge")
    assert own.status_code == 409
    hidden = api.engineer.post("/handovers", {**body, "items": [{"incident": "INC1"}]})
    assert hidden.status_code == 422 and "items" in hidden.json()["errors"]
    bad_group = api.engineer.post("/handovers", {**body, "to_group": "NOPE"})
    assert bad_group.status_code == 422 and "to_group" in bad_group.json()["errors"]
    assert Handover.objects.count() == 1


def test_my_mentions(api, org, incident):
    api.engineer.post(f"/incidents/{incident.number}/comments",
                      {"body": "@owner please check the matrix", "visibility": "internal"})
    mentions = api.owner.get("/mentions").json()
    assert [(m["incident"], m["author"]["code"]) for m in mentions] == [
        (incident.number, "engineer")]
    assert api.requester.get("/mentions").json() == []
