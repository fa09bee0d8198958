"""SLA clocks on incidents: due dates on business calendars, pauses, reopen, priority changes.

Every expected instant was counted by hand on the calendar (5×8: 09–12 and 13–18 Shanghai).
"""

import pytest

from opsdesk.incidents.choices import EventKind
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_update
from opsdesk.reference.models import Priority

from .sla_support import HOUR, act, at, logged, pend, resolve, sh

pytestmark = pytest.mark.django_db


def test_p3_logged_on_friday_evening_is_due_on_monday(org):
    incident = logged(org, when=sh(2025, 3, 7, 17, 0))  # Friday
    assert incident.sla_policy_id == "P3"
    # response 2 h: Fri 17–18, Mon 09–10; resolution 8 h: Fri 17–18, Mon 09–12, 13–17
    assert incident.response_due_at == sh(2025, 3, 10, 10, 0)
    assert incident.resolution_due_at == sh(2025, 3, 10, 17, 0)


def test_national_day_holidays_are_skipped(org):
    incident = logged(org, when=sh(2025, 9, 30, 17, 0))  # the eve of 1–8 October
    assert incident.response_due_at == sh(2025, 10, 9, 10, 0)


def test_make_up_working_saturday_counts(org):
    incident = logged(org, when=sh(2025, 10, 11, 10, 0))  # 调休: Saturday is worked
    assert incident.response_due_at == sh(2025, 10, 11, 12, 0)
    assert incident.resolution_due_at == sh(2025, 10, 13, 10, 0)  # 10–12, 13–18, Mon 09–10


def test_p1_runs_round_the_clock_and_notifies_the_managers(org):
    incident = logged(org, priority=1, when=sh(2025, 3, 8, 23, 0))  # Saturday night
    assert incident.response_due_at == sh(2025, 3, 8, 23, 15)
    assert incident.resolution_due_at == sh(2025, 3, 9, 3, 0)
    notice = incident.events.get(kind=EventKind.SLA)
    assert notice.data["notify"] == "incident_managers" and notice.is_internal
    assert incident.hierarchical_escalation_count == 1


def test_another_time_zone_via_a_service_policy(org):
    from opsdesk.cmdb.models import Service
    from opsdesk.sla.models import SlaPolicy
    from opsdesk.sla.services import calendar_create

    hours = ("09:00-12:00, 13:00-18:00",) * 5 + ("", "")
    calendar_create(code="de5x8", name_zh="柏林", name_en="Berlin", time_zone="Europe/Berlin",
                    hours=hours)
    service = Service.objects.create(code="SAP", name_zh="SAP", name_en="SAP")
    SlaPolicy.objects.create(code="P3-SAP", name_zh="x", name_en="x", priority_id=3,
                             service=service, response_calendar_id="de5x8",
                             response_seconds=2 * HOUR, resolution_calendar_id="de5x8",
                             resolution_seconds=8 * HOUR, auto_close_calendar_id="de5x8")
    # Friday 17:30 in Berlin is 00:30 on Saturday in Shanghai
    incident = logged(org, when=sh(2025, 3, 8, 0, 30), service=service)
    assert incident.sla_policy_id == "P3-SAP"
    assert incident.response_due_at == sh(2025, 3, 10, 17, 30)  # Monday 10:30 in Berlin


def test_organisation_policy_beats_the_default_and_service_beats_organisation(org):
    from opsdesk.cmdb.models import Service
    from opsdesk.sla.models import SlaPolicy
    from opsdesk.sla.policies import policy_match

    service = Service.objects.create(code="MAIL", name_zh="邮件", name_en="Mail")
    common = dict(priority_id=3, response_calendar_id="7x24", response_seconds=60,
                  resolution_calendar_id="7x24", resolution_seconds=120,
                  auto_close_calendar_id="5x8", name_zh="x", name_en="x")
    SlaPolicy.objects.create(code="FIN", organisation=org.dept, **common)
    SlaPolicy.objects.create(code="MAIL", service=service, **common)
    assert policy_match(priority_id=3, service_id=None, department_id=org.dept.pk).code == "FIN"
    assert policy_match(priority_id=3, service_id=service.pk,
                        department_id=org.dept.pk).code == "MAIL"
    assert policy_match(priority_id=3, service_id=None, department_id=None).code == "P3"


def test_pending_on_the_user_pauses_and_the_due_date_moves(org):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))  # Monday; resolution due Mon 18:00
    incident = act(incident, "start", org, sh(2025, 3, 10, 10, 0))
    incident = pend(incident, org, sh(2025, 3, 10, 11, 0))
    assert incident.resolution_paused_at == sh(2025, 3, 10, 11, 0)
    incident = act(incident, "resume", org, sh(2025, 3, 11, 10, 0))
    # stood still Mon 11–12, 13–18 and Tue 09–10 = 7 h; 6 h were left: Tue 10–12, 13–17
    assert incident.resolution_paused_seconds == 7 * HOUR
    assert incident.resolution_due_at == sh(2025, 3, 11, 17, 0)
    assert incident.resolution_paused_at is None


def test_pending_for_a_reason_that_does_not_pause_keeps_the_clock_running(org):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    incident = act(incident, "start", org, sh(2025, 3, 10, 10, 0))
    incident = pend(incident, org, sh(2025, 3, 10, 11, 0), reason="03")  # awaiting a change
    assert incident.resolution_paused_at is None
    assert incident.resolution_due_at == sh(2025, 3, 10, 18, 0)


def test_reopen_keeps_the_time_already_elapsed(org):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    incident = act(incident, "start", org, sh(2025, 3, 10, 10, 0))
    incident = resolve(incident, org, sh(2025, 3, 10, 11, 0))  # 2 h elapsed
    assert incident.sla_next_check_at is not None  # the auto-close steps
    incident = act(incident, "reopen", org, sh(2025, 3, 11, 9, 0), reason="Back again")
    assert incident.resolution_due_at == sh(2025, 3, 11, 16, 0)  # 6 h left from Tue 09:00


def test_priority_raised_midway_keeps_elapsed_business_time(org):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))  # P3, 5×8
    incident = act(incident, "start", org, sh(2025, 3, 10, 9, 5))
    with at(sh(2025, 3, 10, 11, 0)):  # 2 h of resolution elapsed
        incident = incident_update(incident=incident, by=org.desk, data={
            "priority": Priority.objects.get(pk=2), "priority_override_reason": "VIP"})
    assert incident.sla_policy_id == "P2"
    assert incident.resolution_due_at == sh(2025, 3, 10, 17, 0)  # 6 h of 8 left on 7×24
    event = incident.events.filter(kind=EventKind.SLA).last()
    assert event.data["lowered_near_breach"] is False and event.data["new_policy"] == "P2"


def test_priority_lowered_near_breach_is_recorded(org):
    incident = logged(org, priority=2, when=sh(2025, 3, 10, 9, 0))  # P2: 8 h on 7×24
    incident = act(incident, "start", org, sh(2025, 3, 10, 9, 5))
    with at(sh(2025, 3, 10, 15, 40)):  # 6 h 40 of 8 h: 83 %
        incident = incident_update(incident=incident, by=org.desk, data={
            "priority": Priority.objects.get(pk=4), "priority_override_reason": "Not urgent"})
    # P4: 3 working days = 24 h; 17 h 20 left from Mon 15:40: Mon 2 h 20, Tue 8 h, Wed 7 h
    assert incident.resolution_due_at == sh(2025, 3, 12, 17, 0)
    event = incident.events.filter(kind=EventKind.SLA).last()
    assert event.data["lowered_near_breach"] is True
    assert (event.data["old_priority"], event.data["new_priority"]) == (2, 4)


def test_public_reply_by_support_stops_the_response_clock(org):
    from opsdesk.incidents.services import comment_create

    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    before = incident.sla_next_check_at
    with at(sh(2025, 3, 10, 9, 30)):
        comment_create(incident=incident, by=org.desk, body="Looking into it")
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.first_response_at == sh(2025, 3, 10, 9, 30)
    # the next check is now the resolution clock's first warning (4 h), not the response one
    assert before == sh(2025, 3, 10, 10, 0) and incident.sla_next_check_at == sh(2025, 3, 10, 14, 0)
