"""The pages: the incident's task panel, My tasks, a task, the handover log; permissions and
query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.collab.models import Handover, IncidentTask
from opsdesk.collab.services import task_create, task_transition
from opsdesk.core.testing.matrix import incident_in


def client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def add(org, incident, title="Check the firewall logs", **data):
    return task_create(incident=incident, by=org.engineer, data={
        "title": title, "group": org.groups["NET3"], "mandatory": True, **data})


def test_the_panel_lists_tasks_with_overdue_in_red_and_the_add_form(org, incident):
    task = add(org, incident, due_at=timezone.now() + timedelta(minutes=1))
    IncidentTask.objects.filter(pk=task.pk).update(due_at=timezone.now() - timedelta(hours=2))
    page = client_for(org.engineer).get(f"/incidents/{incident.number}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Check the firewall logs" in html and "overdue since" in html
    assert 'class="error-text"' in html and "Add a task for a group" in html


def test_the_requester_sees_no_task_panel(org, incident):
    add(org, incident)
    html = client_for(org.requester).get(f"/incidents/{incident.number}/").content.decode()
    assert "Check the firewall logs" not in html and 'id="tasks-h"' not in html


def test_adding_a_task_from_the_incident_page(org, incident):
    client = client_for(org.engineer)
    response = client.post(f"/incidents/{incident.number}/tasks/", {
        "title": "Call the ISP", "group": org.groups["NET3"].pk, "assignee": "expert",
        "mandatory": "on"})
    assert response.status_code == 302
    task = IncidentTask.objects.get()
    assert (task.title, task.assignee, task.mandatory) == ("Call the ISP", org.expert, True)


def test_a_bad_task_form_is_shown_again_with_errors(org, incident):
    response = client_for(org.engineer).post(f"/incidents/{incident.number}/tasks/", {
        "title": "Call the ISP", "group": org.groups["NET3"].pk, "assignee": "other_engineer"})
    assert response.status_code == 422
    assert "is not a member of" in response.content.decode()
    assert not IncidentTask.objects.exists()


def test_resolving_from_the_page_shows_the_blocking_task(org, incident):
    add(org, incident)
    client = client_for(org.engineer)
    response = client.post(f"/incidents/{incident.number}/actions/resolve/", {
        "resolve-resolution": "Fixed", "resolve-resolution_code": "08"}, follow=True)
    assert "Mandatory tasks are still open" in response.content.decode()


def test_my_tasks_and_working_a_task_from_its_page(org, incident):
    task = add(org, incident)
    client = client_for(org.expert)
    listing = client.get("/work/tasks/")
    assert listing.status_code == 200 and "Check the firewall logs" in listing.content.decode()
    page = client.get(f"/work/tasks/{task.pk}/")
    assert page.status_code == 200
    assert client.post(f"/work/tasks/{task.pk}/complete/", {"note": "ok"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "done"


def test_task_pages_permissions(org, incident):
    task = add(org, incident)
    assert client_for(org.other_engineer).get(f"/work/tasks/{task.pk}/").status_code == 404
    assert client_for(org.requester).get("/work/tasks/").status_code == 403
    assert client_for(org.desk).post(f"/work/tasks/{task.pk}/complete/").status_code == 403
    assert client_for(org.engineer).post(f"/work/tasks/{task.pk}/cancel/").status_code == 422
    assert Client().get("/work/tasks/").status_code == 302  # sign in first


def test_my_tasks_page_costs_a_fixed_number_of_queries(org):
    client = client_for(org.expert)
    add(org, incident_in(30, org))
    client.get("/work/tasks/")
    with CaptureQueriesContext(connection) as few:
        client.get("/work/tasks/")
    for n in range(5):
        add(org, incident_in(30, org), title=f"Task {n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/work/tasks/").content.decode().count("data-task=") == 6
    assert len(many) == len(few)


def test_the_incident_page_costs_the_same_with_more_tasks(org, incident):
    client = client_for(org.engineer)
    add(org, incident)
    client.get(f"/incidents/{incident.number}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/incidents/{incident.number}/")
    for n in range(4):
        task_transition(task=add(org, incident, title=f"T{n}"), action="start", by=org.expert)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/incidents/{incident.number}/")
    assert len(many) - len(few) <= 2  # the timeline's new history rows may name new people


def test_write_read_and_acknowledge_a_handover(org, incident):
    from opsdesk.core.testing.factories import UserFactory

    day = UserFactory(username="day", is_engineer=True)
    org.groups["NET2"].members.add(day)
    writer = client_for(org.engineer)
    form = writer.get("/handovers/new/")
    assert form.status_code == 200 and incident.number in form.content.decode()
    response = writer.post("/handovers/new/", {
        "shift_date": "2026-11-25", "shift_label": "夜班", "from_group": org.groups["NET2"].pk,
        "to_group": org.groups["NET2"].pk, "summary": "Quiet night",
        "incident": [incident.number], f"note-{incident.number}": "ISP ticket 4711"})
    assert response.status_code == 302
    handover = Handover.objects.get()
    reader = client_for(day)
    assert "Quiet night" in reader.get("/handovers/").content.decode()
    detail = reader.get(f"/handovers/{handover.pk}/").content.decode()
    assert "ISP ticket 4711" in detail and "Acknowledge" in detail
    reader.post(f"/handovers/{handover.pk}/acknowledge/")
    handover.refresh_from_db()
    assert handover.acknowledged_by == day


def test_a_bad_handover_form_keeps_what_was_typed(org, incident):
    response = client_for(org.engineer).post("/handovers/new/", {
        "shift_label": "夜班", "from_group": org.groups["NET2"].pk,
        "to_group": org.groups["NET2"].pk, "summary": "Kept text"})
    assert response.status_code == 422 and "Kept text" in response.content.decode()


@pytest.mark.parametrize("path", ["/handovers/", "/handovers/new/"])
def test_handover_pages_are_for_staff_only(org, path):
    assert client_for(org.requester).get(path).status_code == 403


def test_handover_list_costs_a_fixed_number_of_queries(org):
    from opsdesk.collab.services import handover_create

    def write(n):
        handover_create(by=org.engineer, data={
            "shift_date": timezone.localdate(), "shift_label": f"S{n}",
            "from_group": org.groups["NET2"], "to_group": org.groups["NET2"], "summary": "x"})

    client = client_for(org.engineer)
    write(0)
    client.get("/handovers/")
    with CaptureQueriesContext(connection) as few:
        client.get("/handovers/")
    for n in range(5):
        write(n + 1)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/handovers/").content.decode().count("data-handover=") == 6
    assert len(many) == len(few)
