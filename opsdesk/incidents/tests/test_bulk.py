"""Bulk assign and bulk update: each incident on its own, permission checked per record."""

import pytest
from django.utils import translation

from opsdesk.core.exceptions import InvalidInput
from opsdesk.core.testing.factories import ServiceFactory, incident_factory
from opsdesk.incidents.choices import Action, Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import (
    incident_transition,
    incidents_bulk_assign,
    incidents_bulk_update,
)
from opsdesk.reference.models import Category, ClosureCode, Priority, ResolutionCode


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def log(org, n=1, **values):
    return [incident_factory(by=org.desk, requester=org.requester, short_description=f"Case {i}",
                             **values) for i in range(n)]


def test_desk_assigns_many_and_each_is_recorded(org):
    incidents = log(org, 3)
    result = incidents_bulk_assign(by=org.desk, numbers=[i.number for i in incidents],
                                   assignment_group=org.groups["NET2"], assignee=org.engineer)
    assert result.done == [i.number for i in incidents] and result.refused == []
    for incident in Incident.objects.all():
        assert incident.status == Status.ASSIGNED and incident.assignee == org.engineer
        assert incident.events.filter(kind="assignment").count() == 1


def test_refusals_name_the_incident_and_the_reason_and_do_not_stop_the_others(org):
    open_one, closed, other = log(org, 3)
    incident_transition(incident=closed, action=Action.RESOLVE, by=org.desk, resolution="Done",
                        resolution_code=ResolutionCode.objects.first())
    incident_transition(incident=closed, action=Action.CLOSE, by=org.desk,
                        closure_code=ClosureCode.objects.get(pk="01"))
    result = incidents_bulk_assign(
        by=org.desk, numbers=[open_one.number, closed.number, "INC000000000000", other.number],
        assignment_group=org.groups["NET2"])
    assert result.done == [open_one.number, other.number]
    reasons = dict(result.refused)
    assert set(reasons) == {closed.number, "INC000000000000"}
    assert "closed" in reasons[closed.number] and reasons["INC000000000000"] == "Not found."
    assert Incident.objects.get(pk=closed.pk).assignment_group is None


def test_engineer_may_only_reassign_what_their_group_holds(org):
    ours, theirs, unseen = log(org, 3)
    incident_transition(incident=ours, action=Action.ASSIGN, by=org.desk,
                        assignment_group=org.groups["NET2"])
    incident_transition(incident=theirs, action=Action.ASSIGN, by=org.desk,
                        assignment_group=org.groups["APP2"], assignee=org.other_engineer)
    incident_transition(incident=theirs, action=Action.ACCEPT, by=org.other_engineer)
    # The engineer collaborates on `theirs`: they see it, but may not assign it.
    theirs.collaborators.add(org.engineer)
    result = incidents_bulk_assign(by=org.engineer,
                                   numbers=[ours.number, theirs.number, unseen.number],
                                   assignment_group=org.groups["NET3"])
    assert result.done == [ours.number]
    reasons = dict(result.refused)
    assert "may not" in reasons[theirs.number]
    assert reasons[unseen.number] == "Not found."  # invisible: its existence does not leak
    assert Incident.objects.get(pk=theirs.pk).assignment_group == org.groups["APP2"]


def test_assignee_outside_the_group_is_refused_per_record(org):
    incident, = log(org)
    result = incidents_bulk_assign(by=org.desk, numbers=[incident.number],
                                   assignment_group=org.groups["NET2"], assignee=org.expert)
    assert result.done == [] and "not a member" in result.refused[0][1]
    assert Incident.objects.get(pk=incident.pk).status == Status.LOGGED


def test_bulk_update_fields_and_priority_override_with_reason(org):
    incidents = log(org, 2)
    erp, printer = ServiceFactory(code="ERP"), Category.objects.get(path="HW.PRINTER")
    result = incidents_bulk_update(by=org.desk, numbers=[i.number for i in incidents], data={
        "priority": Priority.objects.get(pk=1), "priority_override_reason": "CEO's floor",
        "category": printer, "service": erp})
    assert len(result.done) == 2 and result.refused == []
    for incident in Incident.objects.all():
        assert (incident.priority_id, incident.priority_overridden) == (1, True)
        assert incident.category == printer and incident.service == erp
        assert set(incident.events.filter(kind="field").values_list("field", flat=True)) >= {
            "priority", "category", "service"}


def test_bulk_update_without_reason_or_right_changes_nothing(org):
    incident, = log(org)
    no_reason = incidents_bulk_update(by=org.desk, numbers=[incident.number],
                                      data={"priority": Priority.objects.get(pk=1)})
    assert no_reason.done == [] and "reason" in no_reason.refused[0][1]
    incident_transition(incident=incident, action=Action.ASSIGN, by=org.desk,
                        assignment_group=org.groups["NET2"])
    not_allowed = incidents_bulk_update(
        by=org.engineer, numbers=[incident.number],
        data={"priority": Priority.objects.get(pk=1), "priority_override_reason": "Urgent"})
    assert not_allowed.done == [] and "override" in not_allowed.refused[0][1]
    incident.refresh_from_db()
    assert incident.priority_id == 3 and not incident.priority_overridden


def test_bulk_update_refuses_fields_it_does_not_change(org):
    with pytest.raises(ValueError):
        incidents_bulk_update(by=org.desk, numbers=["INC1"], data={"requester": org.desk})


def test_too_many_numbers_change_nothing(org):
    incident, = log(org)
    with pytest.raises(InvalidInput):
        incidents_bulk_assign(by=org.desk, numbers=[incident.number] + [
            f"INC{n:012d}" for n in range(200)], assignment_group=org.groups["NET2"])
    assert Incident.objects.get(pk=incident.pk).status == Status.LOGGED
