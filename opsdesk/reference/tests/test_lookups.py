"""Edited reference rows apply at once, although lists and creation read them from memory."""

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.refs import resolve_refs
from opsdesk.reference.models import PriorityMatrixCell, Source

FOUR_BY_FOUR = {"impact": 4, "urgency": 4}


def test_an_edited_matrix_cell_applies_to_the_next_incident(org):
    assert incident_factory(by=org.desk, requester=org.requester,
                            **resolve_refs(FOUR_BY_FOUR)).priority_id == 4
    cell = PriorityMatrixCell.objects.get(impact_id=4, urgency_id=4)
    cell.priority_id = 3
    cell.save()
    assert incident_factory(by=org.desk, requester=org.requester,
                            **resolve_refs(FOUR_BY_FOUR)).priority_id == 3


def test_a_renamed_code_shows_its_new_name(org):
    from opsdesk.incidents.selectors import incident_get

    incident = incident_factory(by=org.desk, requester=org.requester)
    assert incident_get(user=org.desk, number=incident.number).source.name_en == "Self-service portal"
    source = Source.objects.get(pk="03")
    source.name_en = "Portal"
    source.save()
    assert incident_get(user=org.desk, number=incident.number).source.name_en == "Portal"
