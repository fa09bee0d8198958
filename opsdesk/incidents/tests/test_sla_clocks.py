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


# --- Pause rules per policy and per clock ----------------------------------------------------


def _pause_rules(code: str = "P3", **fields) -> None:
    from opsdesk.sla.models import SlaPolicy

    policy = SlaPolicy.objects.get(code=code)
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.save()  # forgets the cached policies


def _set_status(incident, status, when, reason: str | None = None):
    """Change the status as the lifecycle does, without its first-response rule: the lifecycle
    counts a pend as a first response, so an incident pending before its first response only
    arises outside it (an import, a future action); the engine must still stop the clock."""
    from opsdesk.sla.engine import sla_on_transition

    old, incident.status, incident.pending_reason_id = incident.status, status, reason
    sla_on_transition(incident=incident, action="test", old_status=old, new_status=status,
                      now=when)
    incident.save()
    return Incident.objects.get(pk=incident.pk)


def test_the_shipped_policies_keep_todays_pause_rules(org):
    from opsdesk.sla.models import SlaPolicy

    for policy in SlaPolicy.objects.all():
        assert policy.response_pause_statuses == []
        assert policy.resolution_pause_statuses == [40]
        assert sorted(policy.resolution_pause_reasons.values_list("code", flat=True)) == \
            ["01", "02"]


def test_a_response_clock_that_pauses_while_pending_moves_its_due_date(org):
    from opsdesk.incidents.choices import Status
    from opsdesk.sla.state import sla_state

    _pause_rules(response_pause_statuses=[35])
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))  # Monday; response due 11:00
    assert incident.response_due_at == sh(2025, 3, 10, 11, 0)
    incident = _set_status(incident, Status.PENDING, sh(2025, 3, 10, 10, 0), reason="03")
    assert incident.response_paused_at == sh(2025, 3, 10, 10, 0)
    assert incident.first_response_at is None
    # standing still: the tick does not wake for the response clock, the queue shows "paused"
    state = sla_state(incident=incident, now=sh(2025, 3, 10, 10, 30))
    assert (state.clock, state.colour, state.remaining_seconds) == ("response", "paused", HOUR)
    incident = _set_status(incident, Status.IN_PROGRESS, sh(2025, 3, 10, 11, 0))
    # stood still 10–11: 1 business hour; 1 h was left, so 11–12
    assert incident.response_paused_at is None
    assert incident.response_paused_seconds == HOUR
    assert incident.response_due_at == sh(2025, 3, 10, 12, 0)
    assert incident.resolution_paused_at is None  # reason 03 does not pause resolution
    assert incident.resolution_due_at == sh(2025, 3, 10, 18, 0)


def test_a_pause_over_lunch_and_night_counts_business_time_only(org):
    from opsdesk.incidents.choices import Status

    _pause_rules(response_pause_statuses=[35])
    incident = logged(org, when=sh(2025, 3, 10, 11, 0))  # response due 14:00 (lunch 12–13)
    assert incident.response_due_at == sh(2025, 3, 10, 14, 0)
    incident = _set_status(incident, Status.PENDING, sh(2025, 3, 10, 11, 30), reason="03")
    incident = _set_status(incident, Status.IN_PROGRESS, sh(2025, 3, 11, 9, 30))
    # stood still Mon 11:30–12, 13–18, Tue 09–09:30 = 6 h; 1 h 30 left: Tue 09:30–11:00
    assert incident.response_paused_seconds == 6 * HOUR
    assert incident.response_due_at == sh(2025, 3, 11, 11, 0)


def test_a_first_response_while_the_response_clock_stands_still_ends_the_pause(org):
    from opsdesk.incidents.choices import Status
    from opsdesk.incidents.services import comment_create

    _pause_rules(response_pause_statuses=[35])
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    incident = _set_status(incident, Status.PENDING, sh(2025, 3, 10, 10, 0), reason="03")
    with at(sh(2025, 3, 10, 10, 30)):
        comment_create(incident=incident, by=org.desk, body="Looking into it")
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.first_response_at == sh(2025, 3, 10, 10, 30)
    assert incident.response_paused_at is None and incident.response_paused_seconds == 1800
    assert incident.response_due_at == sh(2025, 3, 10, 11, 30)
    assert incident.first_response_at < incident.response_due_at  # met


def test_by_default_the_response_clock_runs_while_pending(org):
    from opsdesk.incidents.choices import Status

    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    incident = _set_status(incident, Status.PENDING, sh(2025, 3, 10, 10, 0), reason="01")
    assert incident.response_paused_at is None
    assert incident.resolution_paused_at == sh(2025, 3, 10, 10, 0)  # 01 pauses resolution
    incident = _set_status(incident, Status.IN_PROGRESS, sh(2025, 3, 10, 11, 0))
    assert incident.response_due_at == sh(2025, 3, 10, 11, 0)
    # resolution stood still 10–11: due Mon 18:00 moves to Tue 10:00
    assert incident.resolution_due_at == sh(2025, 3, 11, 10, 0)


def test_pending_for_any_reason_pauses_resolution_when_the_policy_says_so(org):
    _pause_rules(resolution_pause_statuses=[35, 40])
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    incident = act(incident, "start", org, sh(2025, 3, 10, 10, 0))
    incident = pend(incident, org, sh(2025, 3, 10, 11, 0), reason="03")  # not a named reason
    assert incident.resolution_paused_at == sh(2025, 3, 10, 11, 0)
    incident = act(incident, "resume", org, sh(2025, 3, 10, 14, 0))
    # stood still 11–12, 13–14 = 2 h; 6 h were left: 14–18, Tue 09–11
    assert incident.resolution_paused_seconds == 2 * HOUR
    assert incident.resolution_due_at == sh(2025, 3, 11, 11, 0)


def test_a_resolution_clock_that_does_not_pause_while_resolved_runs_on(org):
    _pause_rules(resolution_pause_statuses=[])
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))  # resolution due Mon 18:00
    incident = act(incident, "start", org, sh(2025, 3, 10, 10, 0))
    incident = resolve(incident, org, sh(2025, 3, 10, 11, 0))
    assert incident.resolution_paused_at is None
    # the tick wakes for it: 50 % of 8 h from 09:00 is 09–12, 13–14
    assert incident.sla_next_check_at == sh(2025, 3, 10, 14, 0)
    incident = act(incident, "reopen", org, sh(2025, 3, 11, 9, 0), reason="Back again")
    assert incident.resolution_due_at == sh(2025, 3, 10, 18, 0)  # nothing was kept back
    assert incident.resolution_paused_seconds == 0


def test_a_pending_pause_survives_resolving_and_ends_at_the_reopen(org):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    incident = act(incident, "start", org, sh(2025, 3, 10, 10, 0))
    incident = pend(incident, org, sh(2025, 3, 10, 11, 0))  # 01: awaiting the user
    incident = resolve(incident, org, sh(2025, 3, 10, 14, 0))
    assert incident.resolution_paused_at == sh(2025, 3, 10, 11, 0)
    incident = act(incident, "reopen", org, sh(2025, 3, 11, 9, 0), reason="Back again")
    # stood still Mon 11–12, 13–18 = 6 h; 6 h were left from Tue 09:00: 09–12, 13–16
    assert incident.resolution_paused_seconds == 6 * HOUR
    assert incident.resolution_due_at == sh(2025, 3, 11, 16, 0)
