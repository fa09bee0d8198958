"""Fault: the server's clock jumps (NTP correcting a clock that drifted, a VM resumed).

The SLA keeps its deadlines as stored instants (response_due_at, resolution_due_at) and the
tick compares them with the clock when it runs. So a jump forward makes the next tick record
everything that fell due in between, once, against the stored due times; a jump backward
records nothing, takes no breach back and shows no negative elapsed time. time_machine moves
this process's clock; the SLA tick is the real one (sla_tick_run, what the worker runs).

Runs on every database (the clock is the application's, whatever stores the rows).
"""

from collections import Counter
from datetime import timedelta

import pytest
import time_machine

from opsdesk.incidents.choices import EventKind
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_create
from opsdesk.incidents.tests.sla_support import sh
from opsdesk.reference.models import Priority
from opsdesk.sla.engine import clock_remaining, sla_clocks
from opsdesk.sla.state import sla_state
from opsdesk.sla.tick import sla_tick_run

from .report import record

T0 = sh(2026, 11, 20, 10, 0)  # P1 is 7×24: response due in 15 min, resolution in 4 h


def _tick_at(moment) -> Counter:
    with time_machine.travel(moment, tick=False):
        return Counter({k: v for k, v in sla_tick_run().items() if k != "checked" and v})


def _crossings(incident) -> Counter:
    return Counter(incident.events.filter(kind=EventKind.SLA).exclude(action="created")
                   .values_list("data__clock", "action"))


def _not_negative(incident, moment) -> None:
    """What the queues show: no clock has run less than nothing, or has more than its target
    left; an overdue clock's remaining time is negative by design, and only then."""
    for clock, at in sla_clocks(incident=incident, now=moment):
        remaining = clock_remaining(clock=clock, at=at)
        assert remaining <= clock.target, (clock.name, remaining, clock.target)
        assert (remaining < 0) == (moment > clock.due_at), (clock.name, remaining, moment)


@pytest.mark.django_db
def test_the_sla_survives_clock_jumps_forward_and_back(org):
    org.dept.head = org.colleague
    org.dept.save()
    with time_machine.travel(T0, tick=False):
        incident, _ = incident_create(
            by=org.desk, data={"short_description": "Payroll server down",
                               "requester": org.requester, "priority": Priority.objects.get(pk=1),
                               "priority_override_reason": "Fault test"},
            assign={"assignment_group": org.groups["NET2"]})
    response_due, resolution_due = incident.response_due_at, incident.resolution_due_at
    assert (response_due, resolution_due) == (T0 + timedelta(minutes=15),
                                              T0 + timedelta(hours=4))
    assert _tick_at(T0 + timedelta(minutes=1)) == Counter()

    # Forward 2 h in one step: the response clock's three crossings at once, each once, against
    # the stored due time; the resolution clock (50 % used) its first warning.
    forward = _tick_at(T0 + timedelta(hours=2, minutes=1))
    assert forward == Counter(response_warning_first=1, response_warning_second=1,
                              response_breach=1, resolution_warning_first=1)
    incident.refresh_from_db()
    assert incident.response_breached and not incident.resolution_breached
    assert (incident.response_due_at, incident.resolution_due_at) == (response_due,
                                                                      resolution_due)
    breach = incident.events.get(kind=EventKind.SLA, action="breach", data__clock="response")
    assert breach.data["due_at"] == response_due.isoformat()
    assert Incident.objects.filter(pk=incident.pk, response_due_at__lt=T0 + timedelta(
        minutes=16), response_breached=True).exists()  # the breach counts at 10:15, not 12:01
    assert _tick_at(T0 + timedelta(hours=2, minutes=1)) == Counter()  # the same tick again

    # Back 90 min, then to before the incident was logged: nothing recorded, nothing undone.
    for back in (T0 + timedelta(minutes=31), T0 - timedelta(hours=1)):
        assert _tick_at(back) == Counter()
        incident.refresh_from_db()
        assert incident.response_breached and incident.response_sla_level == 3
        with time_machine.travel(back, tick=False):
            state = sla_state(incident=incident)
        assert state.clock == "response" and state.colour == "breached"
        _not_negative(incident, back)

    # Forward again past the resolution due time: its crossings and escalations, once each.
    late = _tick_at(T0 + timedelta(hours=5))
    assert late["resolution_breach"] == 1 and late["head_escalation"] == 1
    assert late["functional_escalation"] == 1
    assert _tick_at(T0 + timedelta(hours=5)) == Counter()
    crossings = _crossings(incident)
    assert set(crossings.values()) == {1}, crossings
    assert {("response", "breach"), ("resolution", "breach"),
            ("breach", "escalated_head")} <= set(crossings)
    incident.refresh_from_db()
    assert incident.assignment_group.code == "NET3"
    record("clock_jumps", {"ticks": 8, "jumps": "+2 h, -1.5 h, -3 h (before logging), +6 h",
                           "entries": sum(crossings.values()), "doubles": 0})
