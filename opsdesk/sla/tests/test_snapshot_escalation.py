"""Snapshotted targets, escalation after N reassignments and by hand, and the auto-close wait
that restarts when the requester answers. Instants counted by hand on 5×8 Shanghai."""

import pytest

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.incidents.choices import EventKind, Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import comment_create, incident_update
from opsdesk.incidents.tests.sla_support import HOUR, act, at, logged, resolve, sh
from opsdesk.reference.models import Priority
from opsdesk.sla.escalation import incident_escalate_to_managers
from opsdesk.sla.models import SlaPolicy
from opsdesk.sla.state import sla_state
from opsdesk.sla.tick import sla_tick_run

pytestmark = pytest.mark.django_db


def edit_policy(code: str, **values) -> None:
    policy = SlaPolicy.objects.get(code=code)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save()  # forgets the cached policies


def assigned_to_net2(org):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    return act(incident, "assign", org, sh(2025, 3, 10, 9, 1), assignment_group=org.groups["NET2"])


def sla_events(incident) -> list[tuple]:
    return list(incident.events.filter(kind=EventKind.SLA).order_by("id")
                .values_list("data__clock", "data__crossing"))


def test_clocks_keep_the_targets_they_started_with(org):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))  # P3: 2 h / 8 h, 50 % and 80 %
    edit_policy("P3", response_seconds=HOUR, resolution_seconds=2 * HOUR,
                warn_first_percent=10, warn_second_percent=20)
    incident = Incident.objects.get(pk=incident.pk)
    assert (incident.sla_response_seconds, incident.sla_resolution_seconds,
            incident.sla_warn_first_percent) == (2 * HOUR, 8 * HOUR, 50)
    with at(sh(2025, 3, 10, 9, 50)):  # 50 min of 2 h: under 50 %, whatever P3 says now
        assert sla_tick_run()["checked"] == 0
        assert sla_state(incident=incident).colour == "ok"
    assert sla_events(incident) == []
    newer = logged(org, when=sh(2025, 3, 10, 9, 0))
    assert newer.response_due_at == sh(2025, 3, 10, 10, 0)  # the edited target: 1 h


def test_a_priority_change_takes_the_new_policy_as_it_is_now(org):
    edit_policy("P2", resolution_seconds=10 * HOUR, warn_second_percent=90)
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    incident = act(incident, "start", org, sh(2025, 3, 10, 9, 5))
    with at(sh(2025, 3, 10, 11, 0)):  # 2 h of P3's 8 h elapsed
        incident = incident_update(incident=incident, by=org.desk, data={
            "priority": Priority.objects.get(pk=2), "priority_override_reason": "VIP"})
    assert (incident.sla_resolution_seconds, incident.sla_warn_second_percent) == (10 * HOUR, 90)
    assert incident.resolution_due_at == sh(2025, 3, 10, 19, 0)  # 8 h left on 7×24


def test_the_third_reassignment_notifies_the_incident_managers_once(org):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    groups = [org.groups[code] for code in ("NET2", "APP2", "NET2", "APP2", "NET2")]
    for minute, group in enumerate(groups, start=1):
        incident = act(incident, "assign", org, sh(2025, 3, 10, 9, minute),
                       assignment_group=group)
    # the first assignment is no reassignment: 4 reassignments, the escalation at the 3rd
    assert incident.reassignment_count == 4 and incident.hierarchical_escalation_count == 1
    event = incident.events.get(kind=EventKind.SLA)
    assert event.data["notify"] == "incident_managers" and event.data["reassignments"] == 3


def test_reassignment_escalation_follows_the_policy_number_and_zero_means_never(org):
    edit_policy("P3", escalate_after_reassignments=0)
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    for minute, code in enumerate(("NET2", "APP2", "NET2", "APP2", "NET2"), start=1):
        incident = act(incident, "assign", org, sh(2025, 3, 10, 9, minute),
                       assignment_group=org.groups[code])
    assert incident.hierarchical_escalation_count == 0 and sla_events(incident) == []


@pytest.mark.parametrize("role", ["desk", "engineer", "manager"])
def test_escalate_by_hand_writes_history_and_counts(org, role):
    incident = assigned_to_net2(org)
    with at(sh(2025, 3, 10, 10, 0)):
        incident = incident_escalate_to_managers(incident=incident, by=getattr(org, role),
                                                 reason="  Whole floor offline  ")
    assert Incident.objects.get(pk=incident.pk).hierarchical_escalation_count == 1
    event = incident.events.get(kind=EventKind.SLA)
    assert (event.actor, event.new_value, event.data["crossing"]) == (
        getattr(org, role), "Whole floor offline", "escalated")
    assert event.is_internal


@pytest.mark.parametrize("role", ["requester", "other_engineer", "owner"])
def test_others_may_not_escalate_by_hand(org, role):
    incident = assigned_to_net2(org)
    with pytest.raises(NotPermitted):
        incident_escalate_to_managers(incident=incident, by=getattr(org, role), reason="x")
    assert Incident.objects.get(pk=incident.pk).hierarchical_escalation_count == 0


def test_escalating_by_hand_needs_a_reason_and_an_open_incident(org):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    with pytest.raises(InvalidInput):
        incident_escalate_to_managers(incident=incident, by=org.manager, reason="  ")
    incident = resolve(incident, org, sh(2025, 3, 10, 10, 0))
    with pytest.raises(Conflict):
        incident_escalate_to_managers(incident=incident, by=org.manager, reason="Late")
    assert not incident.events.filter(kind=EventKind.SLA).exists()


def test_a_requester_reply_restarts_the_auto_close_wait(org):
    incident = logged(org, when=sh(2025, 3, 7, 9, 0))
    incident = resolve(incident, org, sh(2025, 3, 7, 10, 0))  # Friday: reminder Tue 10:00
    with at(sh(2025, 3, 11, 10, 0)):
        sla_tick_run()
    with at(sh(2025, 3, 11, 15, 0)):  # Tuesday: "it still flickers"
        comment_create(incident=incident, by=org.requester, body="It still flickers")
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.auto_close_wait_from == sh(2025, 3, 11, 15, 0)
    assert not incident.auto_close_reminded
    assert incident.sla_next_check_at == sh(2025, 3, 13, 15, 0)  # new reminder: Thursday
    with at(sh(2025, 3, 12, 10, 0)):  # the old close instant passes: nothing happens
        sla_tick_run()
    assert Incident.objects.get(pk=incident.pk).status == Status.RESOLVED
    with at(sh(2025, 3, 14, 15, 0)):  # Friday: 3 working days after the reply
        sla_tick_run()
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.status == Status.CLOSED and incident.closure_code_id == "09"
    assert sla_events(incident) == [("auto_close", "reminder"), ("auto_close", "reminder"),
                                    ("auto_close", "closed")]


def test_a_staff_reply_does_not_restart_the_wait(org):
    incident = logged(org, when=sh(2025, 3, 7, 9, 0))
    incident = resolve(incident, org, sh(2025, 3, 7, 10, 0))
    with at(sh(2025, 3, 10, 10, 0)):
        comment_create(incident=incident, by=org.desk, body="Any news?")
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.auto_close_wait_from == sh(2025, 3, 7, 10, 0)
    assert incident.sla_next_check_at == sh(2025, 3, 11, 10, 0)
