"""Tasks for other groups: who creates and works them, the guard on resolve and close, the
history on the incident, mail on assignment, and what happens when the incident ends."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.collab.models import IncidentTask
from opsdesk.collab.selectors import my_tasks
from opsdesk.collab.services import task_create, task_transition, task_update
from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.testing.matrix import action_params
from opsdesk.incidents.choices import Channel, Status
from opsdesk.incidents.services import incident_transition

from .conftest import mails_to


def new_task(org, incident, *, by=None, mandatory=True, **data):
    data = {"title": "Replace the core switch port", "group": org.groups["NET3"],
            "mandatory": mandatory, **data}
    return task_create(incident=incident, by=by or org.engineer, data=data)


def resolve(org, incident, by):
    return incident_transition(incident=incident, action="resolve", by=by,
                               **action_params("resolve", org))


def test_the_group_works_and_finishes_a_task(org, incident):
    task = new_task(org, incident, description="Port 24 flaps")
    assert task.position == 1 and task.status == "open" and task.created_by == org.engineer
    task_transition(task=task, action="start", by=org.expert)
    task.refresh_from_db()
    assert task.status == "in_progress" and task.assignee == org.expert  # started: taken
    task_transition(task=task, action="complete", by=org.expert, note="Replaced the SFP")
    task.refresh_from_db()
    assert (task.status, task.completed_by, task.note) == ("done", org.expert,
                                                           "Replaced the SFP")
    assert task.completed_at is not None


def test_a_mandatory_open_task_blocks_resolving_and_names_the_task(org, incident):
    new_task(org, incident)
    with pytest.raises(Conflict) as refused:
        resolve(org, incident, org.engineer)
    assert "Replace the core switch port" in refused.value.message
    incident.refresh_from_db()
    assert incident.status == Status.IN_PROGRESS


def test_a_mandatory_open_task_blocks_closing(org, incident):
    new_task(org, incident)
    with pytest.raises(Conflict):
        incident_transition(incident=incident, action="close", by=org.desk,
                            **action_params("close", org))


def test_an_optional_task_does_not_block(org, incident):
    new_task(org, incident, mandatory=False)
    assert resolve(org, incident, org.engineer).status == Status.RESOLVED


def test_a_finished_or_cancelled_mandatory_task_no_longer_blocks(org, incident):
    done, dropped = new_task(org, incident), new_task(org, incident, title="Call the ISP")
    task_transition(task=done, action="complete", by=org.expert)
    task_transition(task=dropped, action="cancel", by=org.engineer, note="Not needed")
    assert resolve(org, incident, org.engineer).status == Status.RESOLVED


def test_the_system_is_not_blocked_and_a_closed_incident_leaves_no_task_open(org, incident):
    """A master resolving its children (by=None) must not fail on a child's task; the task
    stays open until the incident ends, then it is cancelled with a note."""
    task = new_task(org, incident)
    incident = incident_transition(incident=incident, action="resolve", by=None,
                                   channel=Channel.SYSTEM, **action_params("resolve", org))
    assert incident.status == Status.RESOLVED
    task.refresh_from_db()
    assert task.status == "open"
    incident_transition(incident=incident, action="confirm", by=org.requester)
    task.refresh_from_db()
    assert task.status == "cancelled" and task.completed_by is None and task.note


def test_tasks_are_written_to_the_incidents_history_for_staff_only(org, incident):
    task = new_task(org, incident)
    task_transition(task=task, action="complete", by=org.expert)
    entries = list(incident.events.filter(field="task").order_by("pk"))
    assert len(entries) == 2 and all(e.is_internal for e in entries)
    assert "Replace the core switch port" in entries[0].new_value
    assert entries[1].actor == org.expert


def test_the_group_is_mailed_on_creation_and_the_new_assignee_on_assignment(org, incident):
    task = new_task(org, incident)
    assert mails_to(org.expert.email)  # NET3 has no address of its own: its members
    helper = org.groups["NET3"].members.create(username="helper3", email="h3@example.com",
                                               is_engineer=True)
    task_update(task=task, by=org.engineer, data={"assignee": helper})
    assert len(mails_to("h3@example.com")) == 1
    assert "Replace the core switch port" in mails_to("h3@example.com")[0].subject


def test_who_may_create_tasks(org, incident):
    for outsider in (org.requester, org.other_engineer, org.outsider):
        with pytest.raises(NotPermitted):
            new_task(org, incident, by=outsider)
    assert new_task(org, incident, by=org.desk).created_by == org.desk  # the owner
    assert new_task(org, incident, by=org.manager).created_by == org.manager


def test_only_the_tasks_group_and_assignee_work_it(org, incident):
    task = new_task(org, incident)
    for other in (org.other_engineer, org.requester, org.desk):
        with pytest.raises(NotPermitted):
            task_transition(task=task, action="complete", by=other)
    task_transition(task=task, action="complete", by=org.manager)  # a manager steps in


def test_cancelling_needs_a_reason_and_the_asking_side(org, incident):
    task = new_task(org, incident)
    with pytest.raises(InvalidInput) as missing:
        task_transition(task=task, action="cancel", by=org.engineer)
    assert "note" in missing.value.errors
    with pytest.raises(NotPermitted):
        task_transition(task=task, action="cancel", by=org.expert, note="Not mine")


def test_bad_input_names_each_field(org, incident):
    with pytest.raises(InvalidInput) as bad:
        task_create(incident=incident, by=org.engineer, data={
            "title": " ", "group": org.groups["NET3"], "assignee": org.other_engineer,
            "due_at": timezone.now() - timedelta(hours=1)})
    assert set(bad.value.errors) == {"title", "assignee", "due_at"}
    assert not IncidentTask.objects.exists()


def test_no_task_on_a_finished_incident(org, incident):
    resolve(org, incident, org.engineer)
    incident_transition(incident=incident, action="confirm", by=org.requester)
    with pytest.raises(Conflict):
        new_task(org, incident)


def test_reopening_a_task_makes_it_block_again(org, incident):
    task = new_task(org, incident)
    task_transition(task=task, action="complete", by=org.expert)
    task_transition(task=task, action="reopen", by=org.engineer)
    with pytest.raises(Conflict):
        resolve(org, incident, org.engineer)


def test_my_tasks_lists_mine_and_my_groups_overdue_first(org, incident):
    later = new_task(org, incident, title="Later", due_at=timezone.now() + timedelta(days=2))
    undated = new_task(org, incident, title="Whenever")
    late = new_task(org, incident, title="Late", due_at=timezone.now() + timedelta(minutes=1))
    IncidentTask.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    mine_elsewhere = new_task(org, incident, title="For me", group=org.groups["APP2"],
                              assignee=org.other_engineer)
    assert [t.title for t in my_tasks(user=org.expert)] == ["Late", "Later", "Whenever"]
    assert [t.pk for t in my_tasks(user=org.other_engineer)] == [mine_elsewhere.pk]
    task_transition(task=later, action="complete", by=org.expert)
    assert later.pk not in [t.pk for t in my_tasks(user=org.expert)]
    assert undated.pk in [t.pk for t in my_tasks(user=org.expert)]


def test_a_group_with_an_open_task_sees_its_incident_until_the_task_is_finished(org, incident):
    from opsdesk.incidents.models import Incident

    assert not Incident.objects.restrict(org.expert).filter(pk=incident.pk).exists()
    task = task_create(incident=incident, by=org.engineer, channel=Channel.WEB,
                       data={"title": "Check the core switch", "group": org.groups["NET3"]})
    assert Incident.objects.restrict(org.expert).filter(pk=incident.pk).exists()
    task_transition(task=task, action="start", by=org.expert)
    task_transition(task=task, action="complete", by=org.expert)
    assert not Incident.objects.restrict(org.expert).filter(pk=incident.pk).exists()
