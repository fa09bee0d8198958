from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Status
from opsdesk.incidents.refs import resolve_refs
from opsdesk.incidents.services import incident_transition


def test_report_to_closure(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    assert incident.number.startswith("INC") and incident.number.endswith("0001")
    assert incident.owner == org.desk
    assert incident.priority_id == 3  # impact 4 × urgency 3 by the ITSS formula
    incident = incident_transition(incident=incident, action="assign", by=org.desk,
                                   assignment_group=org.groups["NET2"])
    incident = incident_transition(incident=incident, action="accept", by=org.engineer)
    assert incident.assignee == org.engineer and incident.status == Status.IN_PROGRESS
    refs = resolve_refs({"resolution_code": "04"})
    incident = incident_transition(incident=incident, action="resolve", by=org.engineer,
                                   resolution="Restarted the spooler", **refs)
    incident = incident_transition(incident=incident, action="confirm", by=org.requester)
    assert incident.status == Status.CLOSED and incident.closure_code_id == "01"
    assert {"created", "assignment", "transition"} <= {e.kind for e in incident.events.all()}
