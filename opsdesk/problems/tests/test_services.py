"""Problem services: raising from incidents, linking, fields, transitions and history."""

import pytest
from django.db import connection
from django.utils import timezone

from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.core.testing.matrix import incident_in
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.problems import services
from opsdesk.problems.models import Problem, ProblemEvent, ProblemIncident
from opsdesk.reference.models import Priority

from .conftest import problem_make


def test_raise_from_many_incidents_in_one_step(org, incidents):
    problem = services.problem_raise(by=org.desk, incidents=incidents, data={})
    today = timezone.localdate(timezone.now(), timezone.get_default_timezone())
    assert problem.number.startswith(f"PRB{today:%Y%m%d}") and len(problem.number) == 15
    assert problem.status == "new"
    # What was not given comes from the incidents.
    assert problem.short_description == "VPN drops every hour"
    assert problem.owner_group == org.groups["NET2"]
    assert problem.created_by == org.desk
    linked = ProblemIncident.objects.filter(problem=problem).order_by("incident_id")
    assert [link.incident_id for link in linked] == sorted(i.pk for i in incidents)
    # Each incident names the problem, closed ones included, with a history entry.
    for incident in incidents:
        incident.refresh_from_db()
        assert incident.related_problem == problem.number
        entry = IncidentEvent.objects.filter(incident=incident, field="related_problem").get()
        # Set by the system (incident_update by=None), saying who linked it to which problem.
        assert entry.new_value == problem.number and entry.actor is None
        assert problem.number in entry.data["reason"] and org.desk.label in entry.data["reason"]
    kinds = list(ProblemEvent.objects.filter(problem=problem).values_list("kind", flat=True))
    assert kinds == ["created", "linked", "linked", "linked"]


def test_numbers_follow_each_other(org):
    first = problem_make(org, short_description="One")
    second = problem_make(org, short_description="Two")
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1


def test_raise_checks_input_and_rolls_back(org, incidents):
    with pytest.raises(InvalidInput) as error:
        services.problem_raise(by=org.manager, incidents=incidents,
                               data={"short_description": "   ", "assignee": org.other_engineer})
    assert set(error.value.errors) == {"short_description", "assignee"}
    assert not Problem.objects.exists()
    assert Incident.objects.filter(related_problem__startswith="PRB").count() == 0


def test_plain_users_cannot_raise_and_invisible_incidents_are_not_found(org, incidents):
    with pytest.raises(NotPermitted):
        services.problem_raise(by=org.requester, incidents=[], data={"short_description": "x"})
    hidden = incident_in(20, org, assignment_group=None)
    hidden_app = incident_in(10, org)
    from opsdesk.incidents.services import incident_transition
    hidden_app = incident_transition(incident=hidden_app, action="assign", by=org.manager,
                                     assignment_group=org.groups["APP2"])
    with pytest.raises(NotFound):  # the NET2 engineer does not see APP2's incident
        services.problem_raise(by=org.engineer, incidents=[hidden_app],
                               data={"short_description": "x"})
    assert hidden.pk and not Problem.objects.exists()


def test_link_and_unlink_keep_the_incident_field(org, incidents):
    problem = problem_make(org, incidents=incidents[:1])
    other = problem_make(org, incidents=incidents[:1], short_description="Second")
    incident = Incident.objects.get(pk=incidents[0].pk)
    assert incident.related_problem == other.number
    services.problem_incident_unlink(problem=other, by=org.engineer, incident=incident)
    assert Incident.objects.get(pk=incident.pk).related_problem == problem.number
    services.problem_incident_unlink(problem=problem, by=org.manager, incident=incident)
    assert Incident.objects.get(pk=incident.pk).related_problem == ""
    with pytest.raises(NotFound):
        services.problem_incident_unlink(problem=problem, by=org.manager, incident=incident)
    links = services.problem_incidents_link(problem=problem, by=org.desk, incidents=incidents)
    assert len(links) == 3
    # Linking again adds nothing.
    assert services.problem_incidents_link(problem=problem, by=org.desk,
                                           incidents=incidents) == []
    with pytest.raises(NotPermitted):  # the desk may link, not unlink
        services.problem_incident_unlink(problem=problem, by=org.desk, incident=incident)


def test_update_records_each_change(org):
    problem = problem_make(org, short_description="Slow VPN")
    p1 = Priority.objects.get(pk=1)
    services.problem_update(problem=problem, by=org.engineer, data={
        "root_cause": "Firewall session table full", "priority": p1, "assignee": org.engineer})
    problem.refresh_from_db()
    assert problem.root_cause == "Firewall session table full" and problem.priority_id == 1
    fields = set(problem.events.filter(kind="field").values_list("field", flat=True))
    assert fields == {"root_cause", "priority", "assignee"}
    with pytest.raises(NotPermitted):  # an engineer of another group
        services.problem_update(problem=problem, by=org.other_engineer, data={"root_cause": "x"})
    with pytest.raises(NotPermitted):  # the desk raises, it does not work problems
        services.problem_update(problem=problem, by=org.desk, data={"root_cause": "x"})


def test_transitions_follow_the_table(org):
    problem = problem_make(org, short_description="Printer jams")
    problem = services.problem_transition(problem=problem, action="investigate", by=org.engineer)
    assert problem.status == "investigating"
    with pytest.raises(InvalidInput) as error:
        services.problem_transition(problem=problem, action="resolve", by=org.engineer)
    assert "resolution" in error.value.errors
    with pytest.raises(Conflict):
        services.problem_transition(problem=problem, action="reopen", by=org.engineer,
                                    reason="x")
    problem = services.problem_transition(problem=problem, action="resolve", by=org.engineer,
                                          resolution="New rollers", root_cause="Worn rollers")
    assert problem.status == "resolved" and problem.resolved_at is not None
    assert problem.root_cause == "Worn rollers"
    problem = services.problem_transition(problem=problem, action="reopen", by=org.manager,
                                          reason="Jams again")
    assert problem.status == "investigating" and problem.resolved_at is None
    with pytest.raises(InvalidInput) as error:  # closing unresolved needs a reason
        services.problem_transition(problem=problem, action="close", by=org.manager)
    assert "reason" in error.value.errors
    problem = services.problem_transition(problem=problem, action="close", by=org.manager,
                                          reason="Duplicate of another problem")
    assert problem.status == "closed" and problem.closed_at is not None
    with pytest.raises(Conflict):
        services.problem_update(problem=problem, by=org.manager, data={"root_cause": "x"})
    steps = list(problem.events.filter(kind="transition").values_list("action", "to_status"))
    assert steps == [("investigate", "investigating"), ("resolve", "resolved"),
                     ("reopen", "investigating"), ("close", "closed")]


def test_unknown_action_and_who_may_act(org):
    problem = problem_make(org, short_description="Disk full")
    with pytest.raises(InvalidInput):
        services.problem_transition(problem=problem, action="explode", by=org.manager)
    for person in (org.desk, org.other_engineer, org.requester, org.admin):
        with pytest.raises(NotPermitted):
            services.problem_transition(problem=problem, action="investigate", by=person)
    assert services.problem_transition(problem=problem, action="investigate",
                                       by=org.owner).status == "investigating"


def test_history_is_append_only(org):
    problem = problem_make(org, short_description="x")
    event = problem.events.first()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        problem.events.all().delete()
    assert connection.vendor  # the history stays
