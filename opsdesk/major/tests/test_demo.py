"""The demo's major incident is built through the services and is complete."""

from opsdesk.demo.major import CHILDREN, major_seed
from opsdesk.incidents.models import Incident
from opsdesk.major.models import MajorCriteria, MajorIncident, MajorState


def test_major_seed_builds_a_declared_major_with_twenty_children(org):
    assert major_seed() == CHILDREN
    major = MajorIncident.objects.get()
    assert major.state == MajorState.DECLARED and major.manager == org.manager
    assert Incident.objects.filter(parent=major.incident).count() == CHILDREN
    assert major.updates.count() == 3
    assert MajorCriteria.objects.count() == 4
    assert major_seed() == 0  # safe to run again
