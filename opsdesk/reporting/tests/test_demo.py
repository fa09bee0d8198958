"""The demo's scheduled reports: created for the process owner, once."""

import pytest

from opsdesk.demo.reports import reports_seed
from opsdesk.reporting.models import ReportSchedule

pytestmark = pytest.mark.django_db


def test_the_demo_schedules_are_created_once_and_valid(org):
    assert reports_seed() == 3
    assert reports_seed() == 0
    kinds = {s.kind: s for s in ReportSchedule.objects.all()}
    assert set(kinds) == {"monthly_report", "kpi_table", "incident_list"}
    assert all(s.owner == org.owner for s in kinds.values())
    assert kinds["incident_list"].params == "status=open&priority=1&priority=2"
