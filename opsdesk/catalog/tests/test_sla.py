"""A service request keeps its type's SLA policy, and no clock starts before its approval."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from opsdesk.catalog.models import RequestType
from opsdesk.catalog.services import request_approve, request_order
from opsdesk.cmdb.models import Service
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_update
from opsdesk.reference.models import Impact, Urgency


def order(by, request_type, answers):
    return request_order(by=by, request_type=request_type, answers=answers)[0]


def raise_priority(incident, by):
    """The desk makes it urgent and wide: the matrix would say P1."""
    return incident_update(incident=incident, by=by, data={
        "impact": Impact.objects.get(pk=1), "urgency": Urgency.objects.get(pk=1)})


def test_a_priority_change_keeps_the_types_own_policy_and_its_due_dates(org, catalog):
    incident = order(org.requester, catalog.reset, {"account": "li.lei"})
    due = incident.resolution_due_at
    edited = raise_priority(incident, org.desk)
    assert edited.priority_id == 1
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.sla_policy_id == "P2"
    assert stored.resolution_due_at == due
    assert not stored.events.filter(kind="sla", action="recomputed").exists()


def test_a_service_change_keeps_the_types_own_policy(org, catalog):
    service = Service.objects.create(code="MAIL", name_zh="邮件", name_en="Mail")
    incident = order(org.requester, catalog.reset, {"account": "li.lei"})
    incident_update(incident=incident, by=org.desk, data={"service": service})
    assert Incident.objects.get(pk=incident.pk).sla_policy_id == "P2"


def test_a_type_without_its_own_policy_follows_the_matrix_as_any_incident(org, catalog):
    plain = RequestType.objects.create(code="toner", name_zh="硒鼓", name_en="Toner",
                                       fulfilment_group=org.groups["DESK"])
    incident = order(org.requester, plain, {})
    assert incident.sla_policy_id == "P3"
    raise_priority(incident, org.desk)
    assert Incident.objects.get(pk=incident.pk).sla_policy_id == "P1"


def test_an_edit_while_awaiting_approval_starts_no_clock(org, catalog):
    incident = order(org.requester, catalog.vpn, {"start": "2026-05-01"})
    raise_priority(incident, org.desk)
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.priority_id == 1
    assert stored.sla_policy_id is None
    assert stored.response_due_at is None and stored.resolution_due_at is None
    assert stored.sla_next_check_at is None


def test_the_clocks_start_at_the_approval_on_the_types_policy_after_an_edit(org, catalog):
    incident = order(org.requester, catalog.vpn, {"start": "2026-05-01"})
    raise_priority(incident, org.desk)
    later = timezone.now() + timedelta(hours=3)
    with time_machine.travel(later, tick=False):
        request_approve(incident=incident, by=catalog.boss)
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.sla_policy_id == "P2"  # the type's, not P1 from the matrix
    assert stored.resolution_due_at == later + timedelta(
        seconds=catalog.policy.resolution_seconds)  # 7x24: from the approval on
    raise_priority(stored, org.desk)  # again after the approval: still the type's
    assert Incident.objects.get(pk=incident.pk).sla_policy_id == "P2"
