"""The list's manager filters: reopened incidents and incidents without an update for N hours."""

from datetime import UTC, datetime, timedelta

import time_machine

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Action
from opsdesk.incidents.services import incident_transition
from opsdesk.reference.models import ResolutionCode

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def test_reopened_and_stale_hours(api, org):
    with time_machine.travel(T0, tick=False):
        stale = incident_factory(by=org.desk, requester=org.requester, short_description="Old")
        reopened = incident_factory(by=org.desk, requester=org.requester, short_description="Back")
    with time_machine.travel(T0 + timedelta(hours=30), tick=False):
        incident_transition(incident=reopened, action=Action.RESOLVE, by=org.desk,
                            resolution="Restarted", resolution_code=ResolutionCode.objects.first())
        incident_transition(incident=reopened, action=Action.REJECT, by=org.requester,
                            reason="Still broken")
        incident_factory(by=org.desk, requester=org.requester, short_description="Fresh")
    with time_machine.travel(T0 + timedelta(hours=31), tick=False):
        def names(**query):
            r = api.desk.get("/incidents", **query)
            assert r.status_code == 200, r.content
            return {i["short_description"] for i in r.json()["items"]}

        assert names(reopened="1") == {"Back"}
        assert names(reopened="false") == {"Old", "Back", "Fresh"}
        assert names(stale_hours=24) == {"Old"}
        assert names(stale_hours=24, status="open") == {"Old"}
        assert names(stale_hours=1) == {"Old"}
        assert names(stale_hours=1, reopened="1") == set()
        assert names(stale_hours=24, updated_before=(T0 - timedelta(hours=1)).isoformat()) == set()
    assert stale.number


def test_bad_manager_filters_are_422_naming_the_parameter(api):
    for query, field in [({"stale_hours": "soon"}, "stale_hours"), ({"stale_hours": 0},
                         "stale_hours"), ({"reopened": "maybe"}, "reopened")]:
        r = api.desk.get("/incidents", **query)
        assert r.status_code == 422, (query, r.content)
        assert field in r.json()["errors"], r.json()
