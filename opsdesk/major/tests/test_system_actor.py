"""incident_update as the system (by=None): "affects me too" raising the impact, problems keeping
related_problem, and the major app letting go of a cancelled master's children all go through
it; the history says the system did it and why, the SLA follows; people are checked as before."""

import pytest
from django.test import Client
from django.utils import translation

from opsdesk.core.exceptions import Conflict, NotPermitted
from opsdesk.incidents.choices import EventKind
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.incidents.services import incident_transition, incident_update
from opsdesk.major.affected import affected_attach
from opsdesk.major.models import MajorCriteria
from opsdesk.problems.services import problem_raise
from opsdesk.reference.models import ClosureCode, Impact

from .helpers import outage, resolve_params


def _field_events(incident, field):
    return list(IncidentEvent.objects.filter(incident=incident, kind=EventKind.FIELD,
                                             field=field).order_by("id"))


def test_affects_me_too_raises_the_impact_through_incident_update(org):
    MajorCriteria.objects.create(kind="affected", count=2, impact_id=2, action="none")
    incident = outage(org)  # impact 4, urgency 3: P3 on the 5×8 policy
    assert (incident.priority_id, incident.sla_policy_id) == (3, "P3")
    with translation.override("en"):  # the reason is written in the language of the moment
        for person in (org.colleague, org.outsider):
            affected_attach(incident=incident, user=person, by=org.desk)
    row = Incident.objects.get(pk=incident.pk)
    assert row.impact_id == 2 and row.priority_id == 2 and row.sla_policy_id == "P2"
    impact, priority = _field_events(incident, "impact")[-1], _field_events(incident,
                                                                          "priority")[-1]
    for entry in (impact, priority):
        assert entry.actor is None and entry.channel == "system"
        assert "2 people said the outage affects them" in entry.data["reason"]
    assert (impact.old_value, impact.new_value) == ("4", "2")
    recomputed = IncidentEvent.objects.filter(incident=incident, kind=EventKind.SLA,
                                              data__clock="policy").get()
    assert (recomputed.data["old_policy"], recomputed.data["new_policy"]) == ("P3", "P2")


def test_the_incident_page_says_system_and_why(org):
    MajorCriteria.objects.create(kind="affected", count=2, impact_id=2, action="none")
    incident = outage(org)
    with translation.override("en"):
        for person in (org.colleague, org.outsider):
            affected_attach(incident=incident, user=person, by=org.desk)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.desk)
    page = client.get(f"/incidents/{incident.number}/").content.decode()
    assert "Impact changed" in page
    assert "2 people said the outage affects them." in page
    entry = page[page.index("Impact changed") - 400:page.index("Impact changed")]
    assert "system" in entry


def test_a_problem_sets_related_problem_as_the_system_even_on_a_closed_incident(org):
    incident = outage(org)
    incident_transition(incident=incident, action="resolve", by=org.desk, **resolve_params())
    incident_transition(incident=incident, action="close", by=org.desk,
                        closure_code=ClosureCode.objects.get(pk="01"))
    problem = problem_raise(by=org.owner, incidents=[incident], data={})  # not an editor
    row = Incident.objects.get(pk=incident.pk)
    assert row.related_problem == problem.number and row.priority_id == incident.priority_id
    (entry,) = _field_events(incident, "related_problem")
    assert entry.actor is None and entry.new_value == problem.number
    assert problem.number in entry.data["reason"] and org.owner.label in entry.data["reason"]


def test_the_system_must_say_why_and_leaves_a_finished_incident_as_it_ended(org):
    incident = outage(org)
    with pytest.raises(ValueError):
        incident_update(incident=incident, by=None, data={"impact": Impact.objects.get(pk=1)})
    incident_transition(incident=incident, action="cancel", by=org.desk, reason="Duplicate")
    with pytest.raises(Conflict):
        incident_update(incident=incident, by=None, reason="test",
                        data={"impact": Impact.objects.get(pk=1)})
    assert Incident.objects.get(pk=incident.pk).impact_id == 4


def test_people_are_checked_as_before(org):
    incident = outage(org)
    with pytest.raises(NotPermitted):
        incident_update(incident=incident, by=org.outsider, data={"short_description": "x"})
    with pytest.raises(NotPermitted):  # a reason does not make anyone an editor
        incident_update(incident=incident, by=org.outsider, reason="please",
                        data={"short_description": "x"})
    incident_update(incident=incident, by=org.desk, data={"short_description": "ERP is slow"})
    entry = _field_events(incident, "short_description")[-1]
    assert entry.actor == org.desk and entry.data == {}
    incident_transition(incident=incident, action="cancel", by=org.desk, reason="Duplicate")
    with pytest.raises(Conflict):  # a person never edits a finished incident
        incident_update(incident=incident, by=org.desk, data={"related_problem": "PRB1"})
