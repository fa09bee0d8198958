"""The demo's KPI seed: every incident counted, the process owner's targets set once."""

import pytest

from opsdesk.core.testing.factories import incident_factory
from opsdesk.demo.measures import measures_seed
from opsdesk.measures.models import IncidentFact, KpiTarget, KpiTargetChange

pytestmark = pytest.mark.django_db


def test_the_demo_counts_every_incident_and_sets_the_targets_once(org):
    for n in range(3):
        incident_factory(by=org.desk, requester=org.requester, short_description=f"VPN {n}")
    assert measures_seed() >= 1
    assert IncidentFact.objects.count() == 3
    assert float(KpiTarget.objects.get(code="reopen_rate").target) == 3.0
    assert KpiTargetChange.objects.get(code="first_contact_resolution").changed_by == org.owner
    measures_seed()
    assert KpiTargetChange.objects.count() == 2
