"""The SLA tick: warnings, breaches, escalation and auto-close, each recorded exactly once."""

import pytest

from opsdesk.incidents.choices import EventKind, Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.tests.sla_support import act, at, logged, resolve, sh
from opsdesk.sla.tick import sla_tick_run

pytestmark = pytest.mark.django_db


def tick(when):
    with at(when):
        return sla_tick_run()


def sla_events(incident):
    return list(Incident.objects.get(pk=incident.pk).events.filter(kind=EventKind.SLA)
                .values_list("data__clock", "data__crossing"))


def test_nothing_is_recorded_before_the_first_threshold(org):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    act(incident, "start", org, sh(2025, 3, 10, 9, 5))
    assert tick(sh(2025, 3, 10, 12, 59))["checked"] == 0
    assert sla_events(incident) == []


def test_warnings_and_breach_are_recorded_once_each(org):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))  # P3: response due 11:00
    tick(sh(2025, 3, 10, 11, 30))
    tick(sh(2025, 3, 10, 11, 30))  # the same tick again records nothing more
    assert sla_events(incident) == [("response", "warning_first"),
                                    ("response", "warning_second"), ("response", "breach")]
    incident.refresh_from_db()
    assert incident.response_breached and incident.response_sla_level == 3
    assert incident.sla_next_check_at == sh(2025, 3, 10, 14, 0)  # resolution at 50 %: 4 h


def test_a_lunch_break_does_not_count(org):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    act(incident, "start", org, sh(2025, 3, 10, 9, 5))
    tick(sh(2025, 3, 10, 13, 30))  # 12–13 is lunch: 3.5 h elapsed, under 50 % of 8 h
    assert sla_events(incident) == []
    tick(sh(2025, 3, 10, 14, 0))
    assert sla_events(incident) == [("resolution", "warning_first")]


def test_paused_clock_raises_nothing(org):
    from opsdesk.incidents.tests.sla_support import pend

    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    act(incident, "start", org, sh(2025, 3, 10, 9, 5))
    pend(incident, org, sh(2025, 3, 10, 10, 0))
    tick(sh(2025, 3, 12, 10, 0))
    assert sla_events(incident) == []


def test_p2_second_warning_notifies_managers_and_breach_escalates_to_the_next_line(org):
    incident = logged(org, priority=2, when=sh(2025, 3, 10, 9, 0),
                      assignment_group=None)
    incident = act(incident, "assign", org, sh(2025, 3, 10, 9, 1),
                   assignment_group=org.groups["NET2"])
    act(incident, "start", org, sh(2025, 3, 10, 9, 2))
    tick(sh(2025, 3, 10, 15, 24))  # 6 h 24 = 80 % of 8 h
    incident.refresh_from_db()
    assert incident.hierarchical_escalation_count == 1
    tick(sh(2025, 3, 10, 17, 0))
    incident.refresh_from_db()
    assert incident.resolution_breached
    assert incident.assignment_group == org.groups["NET3"] and incident.escalation_count == 1
    assignment = incident.events.filter(kind=EventKind.ASSIGNMENT).last()
    assert assignment.actor is None and assignment.data["escalation"] is True


def test_resolved_incident_is_reminded_then_auto_closed_with_code_09(org):
    incident = logged(org, when=sh(2025, 3, 7, 9, 0))
    incident = resolve(incident, org, sh(2025, 3, 7, 10, 0))  # Friday
    tick(sh(2025, 3, 11, 9, 59))
    assert sla_events(incident) == []
    tick(sh(2025, 3, 11, 10, 0))  # Tuesday: one working day before
    assert sla_events(incident) == [("auto_close", "reminder")]
    tick(sh(2025, 3, 12, 10, 0))  # Wednesday: 3 working days after
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED and incident.closure_code_id == "09"
    tick(sh(2025, 3, 13, 10, 0))
    assert sla_events(incident) == [("auto_close", "reminder"), ("auto_close", "closed")]
