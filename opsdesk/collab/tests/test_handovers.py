"""Shift handovers: written by the outgoing group with its open incidents, acknowledged once by
the incoming shift, read by staff of those groups only."""

from datetime import date

import pytest

from opsdesk.collab.models import Handover
from opsdesk.collab.selectors import (handover_get, handover_list, handover_open_incidents,
                                      may_acknowledge)
from opsdesk.collab.services import handover_acknowledge, handover_create
from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.core.testing.factories import UserFactory
from opsdesk.core.testing.matrix import incident_in


def write(org, by, items=(), **data):
    data = {"shift_date": date(2026, 11, 25), "shift_label": "夜班", "to_label": "白班",
            "from_group": org.groups["NET2"], "to_group": org.groups["NET2"],
            "summary": "Core switch watched all night; VPN still flaky.", **data}
    return handover_create(by=by, data={**data, "items": list(items)})


@pytest.fixture
def day_engineer(org):
    user = UserFactory(username="day_engineer", is_engineer=True)
    org.groups["NET2"].members.add(user)
    return user


def test_write_with_my_groups_open_incidents_and_acknowledge(org, incident, day_engineer):
    assert [i.pk for i in handover_open_incidents(user=org.engineer)] == [incident.pk]
    handover = write(org, org.engineer, [{"incident": incident, "note": "Wait for the ISP"}])
    got = handover_get(user=day_engineer, pk=handover.pk)
    assert [(i.incident, i.note, i.visible) for i in got.item_list] == [
        (incident, "Wait for the ISP", True)]
    assert may_acknowledge(user=day_engineer, handover=got)
    handover_acknowledge(handover=handover, by=day_engineer)
    handover.refresh_from_db()
    assert handover.acknowledged_by == day_engineer and handover.acknowledged_at
    with pytest.raises(Conflict):
        handover_acknowledge(handover=handover, by=day_engineer)


def test_the_writer_does_not_acknowledge_their_own_handover(org, incident):
    handover = write(org, org.engineer)
    with pytest.raises(Conflict):
        handover_acknowledge(handover=handover, by=org.engineer)


def test_only_the_incoming_group_acknowledges(org, incident):
    handover = write(org, org.engineer, to_group=org.groups["NET3"])
    with pytest.raises(NotPermitted):
        handover_acknowledge(handover=handover, by=org.other_engineer)
    handover_acknowledge(handover=handover, by=org.expert)


def test_only_the_outgoing_group_or_a_manager_writes(org, incident):
    for person in (org.other_engineer, org.requester, org.owner):
        with pytest.raises(NotPermitted):
            write(org, person)
    assert write(org, org.manager).written_by == org.manager


def test_an_incident_the_writer_cannot_see_is_refused_and_nothing_is_written(org, incident):
    with pytest.raises(NotPermitted):  # not a member of NET2
        write(org, org.other_engineer, [{"incident": incident}])
    hidden = incident_in(10, org)  # logged, no group: the engineer cannot see it
    with pytest.raises(InvalidInput) as refused:
        write(org, org.engineer, [{"incident": hidden}])
    assert hidden.number in refused.value.errors["items"]
    assert not Handover.objects.exists()


def test_missing_fields_are_named(org):
    with pytest.raises(InvalidInput) as bad:
        handover_create(by=org.engineer, data={"summary": " ", "from_group": org.groups["NET2"],
                                               "to_group": None})
    assert set(bad.value.errors) == {"shift_date", "shift_label", "to_group", "summary"}


def test_who_reads_handovers(org, incident):
    handover = write(org, org.engineer)
    assert handover_get(user=org.desk, pk=handover.pk)  # the desk sees everything
    with pytest.raises(NotFound):
        handover_get(user=org.other_engineer, pk=handover.pk)
    with pytest.raises(NotPermitted):
        handover_list(user=org.requester)


def test_the_list_is_newest_first_in_a_fixed_number_of_queries(org, incident,
                                                                django_assert_max_num_queries):
    for n in range(5):
        write(org, org.engineer, summary=f"Shift {n}")
    with django_assert_max_num_queries(2):
        rows, more = handover_list(user=org.engineer, limit=3)
        [(h.from_group.code, h.written_by.label) for h in rows]
    assert [h.summary for h in rows] == ["Shift 4", "Shift 3", "Shift 2"] and more
