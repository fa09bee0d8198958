"""The lifecycle (SPEC §2-§3): the transition table, its guards, effects and system timestamps."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from opsdesk.core.exceptions import Conflict, InvalidInput
from opsdesk.core.testing.factories import UserFactory, incident_factory
from opsdesk.core.testing.matrix import action_params, incident_in
from opsdesk.incidents.choices import TRANSITIONS, Action, Channel, EventKind, Status
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.incidents.services import comment_create, incident_transition, incident_update
from opsdesk.reference.models import ClosureCode, PendingReason, ResolutionCode

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def snapshot(incident) -> dict:
    """What a user would check to see that nothing happened: re-read from the database."""
    row = Incident.objects.get(pk=incident.pk)
    return {
        "status": row.status, "group": row.assignment_group_id, "assignee": row.assignee_id,
        "owner": row.owner_id, "pending_reason": row.pending_reason_id,
        "resolution": row.resolution, "resolution_code": row.resolution_code_id,
        "closure_code": row.closure_code_id, "resolved_at": row.resolved_at,
        "closed_at": row.closed_at, "reassignments": row.reassignment_count,
        "hand_backs": row.hand_back_count, "reopens": row.reopen_count,
        "escalations": row.escalation_count, "events": IncidentEvent.objects.filter(
            incident=row).count(),
    }


def actor_for(action: str, org):
    """Someone the guard lets take the action, so that only the status decides."""
    if action == Action.AWAIT_APPROVAL:
        return None  # system only
    return org.requester if action == Action.REJECT else org.manager


def params_for(action: str, org) -> dict:
    if action == Action.AWAIT_APPROVAL:
        from opsdesk.reference.models import PendingReason

        return {"pending_reason": PendingReason.objects.get(pk="06")}
    return action_params(action, org)


def transition(incident, action, by, **params):
    return incident_transition(incident=incident, action=action, by=by, **params)


# --- Every action from every status ------------------------------------------------------

@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.key)
@pytest.mark.parametrize("action", list(Action), ids=str)
def test_every_action_from_every_status(org, status, action):
    incident = incident_in(status, org)
    rule = TRANSITIONS[action]
    before = snapshot(incident)
    by = actor_for(action, org)
    if status in rule.sources:
        result = transition(incident, action, by, **params_for(action, org))
        assert result.status == rule.target
        assert Incident.objects.get(pk=incident.pk).status == rule.target
        event = IncidentEvent.objects.filter(incident=incident, kind=EventKind.TRANSITION).last()
        assert (event.action, event.from_status, event.to_status) == (action, status, rule.target)
        assert event.actor == by
    else:
        with pytest.raises(Conflict):
            transition(incident, action, by, **params_for(action, org))
        assert snapshot(incident) == before


def test_transition_table_is_complete_and_closed_is_final():
    assert set(TRANSITIONS) == set(Action)
    for rule in TRANSITIONS.values():
        assert Status.CLOSED not in rule.sources
        assert Status.CANCELLED not in rule.sources


def test_unknown_action_is_invalid_input(org):
    incident = incident_in(Status.LOGGED, org)
    with pytest.raises(InvalidInput):
        transition(incident, "teleport", org.manager)


# --- Required fields ---------------------------------------------------------------------

REQUIRED = [
    (Action.RESOLVE, Status.IN_PROGRESS, "resolution"),
    (Action.RESOLVE, Status.IN_PROGRESS, "resolution_code"),
    (Action.CLOSE, Status.RESOLVED, "closure_code"),
    (Action.PEND, Status.IN_PROGRESS, "pending_reason"),
    (Action.REOPEN, Status.RESOLVED, "reason"),
    (Action.REJECT, Status.RESOLVED, "reason"),
    (Action.HAND_BACK, Status.ASSIGNED, "reason"),
    (Action.CANCEL, Status.LOGGED, "reason"),
    (Action.ASSIGN, Status.LOGGED, "assignment_group"),
]


@pytest.mark.parametrize("blank", [None, "   "], ids=["missing", "blank"])
@pytest.mark.parametrize(("action", "status", "field"), REQUIRED,
                         ids=[f"{a}-{f}" for a, _s, f in REQUIRED])
def test_missing_required_field_is_invalid_and_changes_nothing(org, action, status, field, blank):
    incident = incident_in(status, org)
    params = action_params(action, org)
    if blank is None:
        params.pop(field, None)
    else:
        params[field] = blank
    before = snapshot(incident)
    with pytest.raises(InvalidInput) as raised:
        transition(incident, action, actor_for(action, org), **params)
    assert field in raised.value.errors
    assert snapshot(incident) == before


def test_the_table_requires_what_the_process_says():
    assert set(TRANSITIONS[Action.RESOLVE].required) == {"resolution", "resolution_code"}
    assert TRANSITIONS[Action.CLOSE].required == ("closure_code",)
    assert TRANSITIONS[Action.PEND].required == ("pending_reason",)
    assert TRANSITIONS[Action.ASSIGN].required == ("assignment_group",)
    for action in (Action.REOPEN, Action.REJECT, Action.HAND_BACK, Action.CANCEL):
        assert TRANSITIONS[action].required == ("reason",)


def test_close_as_duplicate_needs_the_master_incident(org):
    master = incident_in(Status.IN_PROGRESS, org)
    incident = incident_in(Status.LOGGED, org)
    before = snapshot(incident)
    duplicate = ClosureCode.objects.get(pk="04")
    with pytest.raises(InvalidInput) as raised:
        transition(incident, Action.CLOSE, org.desk, closure_code=duplicate)
    assert "duplicate_of" in raised.value.errors
    assert snapshot(incident) == before
    with pytest.raises(InvalidInput) as raised:
        transition(incident, Action.CLOSE, org.desk, closure_code=duplicate, duplicate_of=incident)
    assert "duplicate_of" in raised.value.errors
    closed = transition(incident, Action.CLOSE, org.desk, closure_code=duplicate,
                        duplicate_of=master)
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED
    assert closed.closure_code_id == "04" and closed.duplicate_of == master


def test_assigning_to_a_person_outside_the_group_is_refused(org):
    incident = incident_in(Status.LOGGED, org)
    before = snapshot(incident)
    with pytest.raises(InvalidInput) as raised:
        transition(incident, Action.ASSIGN, org.desk, assignment_group=org.groups["NET2"],
                   assignee=org.other_engineer)
    assert "assignee" in raised.value.errors
    assert snapshot(incident) == before


def test_assigning_again_to_the_same_place_is_a_conflict(org):
    incident = incident_in(Status.ASSIGNED, org)
    before = snapshot(incident)
    with pytest.raises(Conflict):
        transition(incident, Action.ASSIGN, org.desk, assignment_group=org.groups["NET2"])
    assert snapshot(incident) == before


# --- First-contact resolution, hand-backs, reassignments, escalations, reopens -----------------

def resolve_params(**extra):
    return {"resolution": "Reset the password",
            "resolution_code": ResolutionCode.objects.get(pk="05"), **extra}


def test_desk_resolving_without_assigning_is_first_contact_resolution(org):
    incident = incident_in(Status.LOGGED, org)
    resolved = transition(incident, Action.RESOLVE, org.desk, **resolve_params())
    assert Incident.objects.get(pk=resolved.pk).first_contact_resolution is True


def test_desk_resolving_after_starting_work_itself_is_first_contact_resolution(org):
    incident = incident_in(Status.LOGGED, org)
    incident = transition(incident, Action.START, org.desk)
    resolved = transition(incident, Action.RESOLVE, org.desk, **resolve_params())
    assert Incident.objects.get(pk=resolved.pk).first_contact_resolution is True


def test_resolution_after_an_assignment_is_not_first_contact(org):
    incident = incident_in(Status.LOGGED, org)
    incident = transition(incident, Action.ASSIGN, org.desk, assignment_group=org.groups["NET2"])
    incident = transition(incident, Action.HAND_BACK, org.engineer, reason="Wrong group")
    # Back at the desk, which now resolves it: it was assigned once, so not first contact.
    resolved = transition(incident, Action.RESOLVE, org.desk, **resolve_params())
    assert Incident.objects.get(pk=resolved.pk).first_contact_resolution is False


def test_engineer_resolution_is_not_first_contact(org):
    incident = incident_in(Status.ASSIGNED, org)
    incident = transition(incident, Action.ACCEPT, org.engineer)
    resolved = transition(incident, Action.RESOLVE, org.engineer, **resolve_params())
    assert Incident.objects.get(pk=resolved.pk).first_contact_resolution is False


def test_reopened_first_contact_resolution_no_longer_counts(org):
    incident = incident_in(Status.LOGGED, org)
    incident = transition(incident, Action.RESOLVE, org.desk, **resolve_params())
    incident = transition(incident, Action.REJECT, org.requester, reason="Still locked out")
    assert Incident.objects.get(pk=incident.pk).first_contact_resolution is False
    incident = transition(incident, Action.RESOLVE, org.desk, **resolve_params())
    assert Incident.objects.get(pk=incident.pk).first_contact_resolution is False


def test_hand_back_returns_the_incident_to_the_owners_queue(org):
    incident = incident_in(Status.LOGGED, org)
    incident = transition(incident, Action.ASSIGN, org.desk, assignment_group=org.groups["NET2"],
                          assignee=org.engineer)
    incident = transition(incident, Action.ACCEPT, org.engineer)
    incident = transition(incident, Action.HAND_BACK, org.engineer, reason="This is an app issue")
    row = Incident.objects.get(pk=incident.pk)
    assert row.status == Status.LOGGED
    assert row.hand_back_count == 1
    assert row.assignment_group is None and row.assignee is None
    assert row.owner == org.desk
    event = row.events.filter(kind=EventKind.TRANSITION).last()
    assert event.action == Action.HAND_BACK and event.new_value == "This is an app issue"
    assert event.data["group"] == "NET2" and event.data["assignee"] == "engineer"
    # Handed back again after the next assignment: counted again.
    incident = transition(incident, Action.ASSIGN, org.desk, assignment_group=org.groups["APP2"])
    incident = transition(incident, Action.HAND_BACK, org.other_engineer, reason="Not ours")
    assert Incident.objects.get(pk=incident.pk).hand_back_count == 2


def test_reassignment_is_counted_but_the_first_assignment_is_not(org):
    incident = incident_in(Status.LOGGED, org)
    incident = transition(incident, Action.ASSIGN, org.desk, assignment_group=org.groups["NET2"])
    row = Incident.objects.get(pk=incident.pk)
    assert (row.reassignment_count, row.escalation_count) == (0, 0)
    incident = transition(incident, Action.ASSIGN, org.engineer,
                          assignment_group=org.groups["APP2"])
    row = Incident.objects.get(pk=incident.pk)
    assert row.assignment_group == org.groups["APP2"] and row.status == Status.ASSIGNED
    assert (row.reassignment_count, row.escalation_count) == (1, 0)  # same line: no escalation


def test_escalation_to_a_higher_line_is_counted(org):
    incident = incident_in(Status.ASSIGNED, org)  # NET2, line 2
    incident = transition(incident, Action.ACCEPT, org.engineer)
    incident = transition(incident, Action.ASSIGN, org.engineer,
                          assignment_group=org.groups["NET3"], assignee=org.expert)
    row = Incident.objects.get(pk=incident.pk)
    assert row.status == Status.ASSIGNED
    assert (row.assignment_group, row.assignee) == (org.groups["NET3"], org.expert)
    assert (row.reassignment_count, row.escalation_count) == (1, 1)
    event = row.events.filter(kind=EventKind.ASSIGNMENT).last()
    assert event.data["escalation"] is True
    assert (event.old_value, event.new_value) == ("NET2 / engineer", "NET3 / expert")
    # Back down to a 2nd-line group: a reassignment, not an escalation.
    incident = transition(incident, Action.ASSIGN, org.expert, assignment_group=org.groups["APP2"])
    row = Incident.objects.get(pk=incident.pk)
    assert (row.reassignment_count, row.escalation_count) == (2, 1)


@pytest.mark.parametrize(("action", "by"), [(Action.REJECT, "requester"), (Action.REOPEN, "desk")])
def test_reject_and_reopen_count_and_go_back_to_work(org, action, by):
    incident = incident_in(Status.ASSIGNED, org)
    incident = transition(incident, Action.ACCEPT, org.engineer)
    incident = transition(incident, Action.RESOLVE, org.engineer, **resolve_params())
    incident = transition(incident, action, getattr(org, by), reason="Not fixed")
    row = Incident.objects.get(pk=incident.pk)
    assert row.status == Status.IN_PROGRESS
    assert row.reopen_count == 1
    assert row.resolved_at is None
    assert row.assignee == org.engineer  # back to whoever resolved it
    incident = transition(incident, Action.RESOLVE, org.engineer, **resolve_params())
    incident = transition(incident, action, getattr(org, by), reason="Still not fixed")
    assert Incident.objects.get(pk=incident.pk).reopen_count == 2


# --- Owner (首问负责人) ---------------------------------------------------------------------------

def test_the_desk_agent_who_logs_it_stays_owner_whoever_acts(org):
    other_desk = UserFactory(username="other_desk", is_service_desk=True)
    incident = incident_factory(by=org.desk, requester=org.requester)
    assert incident.owner == org.desk
    incident = transition(incident, Action.ASSIGN, other_desk, assignment_group=org.groups["NET2"])
    incident = transition(incident, Action.ACCEPT, org.engineer)
    incident = transition(incident, Action.ASSIGN, org.manager, assignment_group=org.groups["NET3"])
    incident = transition(incident, Action.START, org.expert)
    incident_update(incident=incident, by=other_desk, data={"description": "More detail"})
    comment_create(incident=incident, by=other_desk, body="Called the user")
    incident = transition(incident, Action.RESOLVE, org.expert, **resolve_params())
    incident = transition(incident, Action.CONFIRM, other_desk)
    assert Incident.objects.get(pk=incident.pk).owner == org.desk
    assert not IncidentEvent.objects.filter(incident=incident, field="owner").exists()


def test_portal_incident_is_owned_by_the_first_desk_agent_who_acts(org):
    other_desk = UserFactory(username="other_desk", is_service_desk=True)
    incident = incident_factory(by=org.requester, channel=Channel.WEB)
    assert incident.owner is None
    # The incident manager and the engineers are not the first line: no owner yet.
    incident = transition(incident, Action.ASSIGN, org.manager, assignment_group=org.groups["NET2"])
    incident = transition(incident, Action.HAND_BACK, org.engineer, reason="Needs triage")
    assert Incident.objects.get(pk=incident.pk).owner is None
    incident = transition(incident, Action.START, org.desk)
    assert Incident.objects.get(pk=incident.pk).owner == org.desk
    incident = transition(incident, Action.PEND, other_desk,
                          pending_reason=PendingReason.objects.get(pk="01"))
    assert Incident.objects.get(pk=incident.pk).owner == org.desk


@pytest.mark.parametrize("how", ["update", "reply", "work_note"])
def test_portal_incident_owner_is_claimed_by_any_desk_action(org, how):
    incident = incident_factory(by=org.requester)
    if how == "update":
        incident_update(incident=incident, by=org.desk, data={"location": None,
                                                               "description": "Triage"})
    else:
        comment_create(incident=incident, by=org.desk, body="Looking at it",
                       visibility="public" if how == "reply" else "internal")
    row = Incident.objects.get(pk=incident.pk)
    assert row.owner == org.desk
    event = row.events.get(field="owner")
    assert (event.actor, event.old_value, event.new_value) == (org.desk, "", "desk")


# --- System timestamps ---------------------------------------------------------------------------

def test_system_timestamps_follow_the_clock_not_the_input(org):
    typed = datetime(2020, 1, 1, tzinfo=UTC)
    with time_machine.travel(T0, tick=False):
        incident = incident_factory(
            by=org.desk, requester=org.requester, registered_at=typed, first_response_at=typed,
            assigned_at=typed, resolved_at=typed, closed_at=typed, status=Status.CLOSED,
            occurred_at=T0 - timedelta(hours=2))
    row = Incident.objects.get(pk=incident.pk)
    assert row.registered_at == T0
    assert row.occurred_at == T0 - timedelta(hours=2)  # a person's item: typed in
    assert row.status == Status.LOGGED
    assert (row.first_response_at, row.assigned_at, row.resolved_at, row.closed_at) == (
        None, None, None, None)

    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        incident = transition(incident, Action.ASSIGN, org.desk,
                              assignment_group=org.groups["NET2"], assigned_at=typed)
    row = Incident.objects.get(pk=incident.pk)
    assert row.assigned_at == T0 + timedelta(minutes=5)
    assert row.first_response_at is None  # assigning is not a response to the user

    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        incident = transition(incident, Action.ACCEPT, org.engineer, first_response_at=typed)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        incident = transition(incident, Action.ASSIGN, org.engineer,
                              assignment_group=org.groups["NET3"])
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        incident = transition(incident, Action.START, org.expert)
        incident = transition(incident, Action.PEND, org.expert,
                              pending_reason=PendingReason.objects.get(pk="02"))
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        incident = transition(incident, Action.RESOLVE, org.expert, resolved_at=typed,
                              **resolve_params())
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        incident = transition(incident, Action.CONFIRM, org.requester, closed_at=typed)
    row = Incident.objects.get(pk=incident.pk)
    assert row.registered_at == T0
    assert row.assigned_at == T0 + timedelta(minutes=5)  # the first assignment
    assert row.first_response_at == T0 + timedelta(minutes=20)  # the accept, never moved again
    assert row.resolved_at == T0 + timedelta(hours=2)
    assert row.closed_at == T0 + timedelta(hours=5)


@pytest.mark.parametrize("how", ["accept", "start", "resolve", "staff_reply"])
def test_first_response_is_set_by_the_first_responding_act(org, how):
    with time_machine.travel(T0, tick=False):
        incident = incident_in(Status.LOGGED, org)
        if how == "accept":
            incident = transition(incident, Action.ASSIGN, org.desk,
                                  assignment_group=org.groups["NET2"])
    with time_machine.travel(T0 + timedelta(minutes=7), tick=False):
        if how == "accept":
            transition(incident, Action.ACCEPT, org.engineer)
        elif how == "start":
            transition(incident, Action.START, org.desk)
        elif how == "resolve":
            transition(incident, Action.RESOLVE, org.desk, **resolve_params())
        else:
            comment_create(incident=incident, by=org.desk, body="We are on it")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        comment_create(incident=incident, by=org.manager, body="Update: still on it")
    assert Incident.objects.get(pk=incident.pk).first_response_at == T0 + timedelta(minutes=7)


def test_requester_replies_and_work_notes_are_not_a_first_response(org):
    incident = incident_in(Status.LOGGED, org)
    comment_create(incident=incident, by=org.requester, body="Any news?")
    comment_create(incident=incident, by=org.desk, body="Check the DHCP lease",
                   visibility="internal")
    assert Incident.objects.get(pk=incident.pk).first_response_at is None


# --- Closure codes and automatic resume ----------------------------------------------------------

@pytest.mark.parametrize(("workaround", "code"), [(True, "02"), (False, "01")])
def test_confirm_defaults_the_closure_code(org, workaround, code):
    incident = incident_in(Status.IN_PROGRESS, org)
    incident = transition(incident, Action.RESOLVE, org.manager,
                          **resolve_params(is_workaround=workaround))
    incident = transition(incident, Action.CONFIRM, org.requester)
    row = Incident.objects.get(pk=incident.pk)
    assert row.status == Status.CLOSED and row.closure_code_id == code
    assert row.is_workaround is workaround


def test_confirm_keeps_a_closure_code_given_by_the_owner(org):
    incident = incident_in(Status.RESOLVED, org)
    incident = transition(incident, Action.CONFIRM, org.desk,
                          closure_code=ClosureCode.objects.get(pk="03"))
    assert Incident.objects.get(pk=incident.pk).closure_code_id == "03"


def test_requester_withdrawing_is_closure_code_07(org):
    incident = incident_in(Status.ASSIGNED, org)
    transition(incident, Action.CANCEL, org.requester, reason="It works again")
    row = Incident.objects.get(pk=incident.pk)
    assert row.status == Status.CANCELLED and row.closure_code_id == "07"


def test_requester_reply_resumes_an_incident_awaiting_the_user(org):
    incident = incident_in(Status.IN_PROGRESS, org)
    incident = transition(incident, Action.PEND, org.engineer,
                          pending_reason=PendingReason.objects.get(pk="01"))
    comment_create(incident=incident, by=org.requester, body="Here is the screenshot")
    row = Incident.objects.get(pk=incident.pk)
    assert row.status == Status.IN_PROGRESS
    assert row.pending_reason is None
    event = row.events.filter(kind=EventKind.TRANSITION).last()
    assert event.action == Action.RESUME
    assert event.actor is None and event.channel == Channel.SYSTEM
    assert event.data == {"pending_reason": "01"}


@pytest.mark.parametrize(("reason", "who"), [("02", "requester"), ("01", "colleague"),
                                             ("01", "engineer")])
def test_other_replies_do_not_resume(org, reason, who):
    org.colleague.can_view_department = True
    org.colleague.save()
    incident = incident_in(Status.IN_PROGRESS, org)
    incident = transition(incident, Action.PEND, org.manager,
                          pending_reason=PendingReason.objects.get(pk=reason))
    comment_create(incident=incident, by=getattr(org, who), body="Any news?")
    row = Incident.objects.get(pk=incident.pk)
    assert row.status == Status.PENDING and row.pending_reason_id == reason


@pytest.mark.parametrize(("action", "params"), [
    (Action.ASSIGN, {"assignment_group": "APP2"}),
    (Action.CLOSE, {"closure_code": "05"}),
    (Action.CANCEL, {"reason": "Duplicate call"}),
    (Action.RESUME, {}),
    (Action.RESOLVE, {}),
])
def test_leaving_pending_ends_the_wait(org, action, params):
    incident = incident_in(Status.PENDING, org)
    if "assignment_group" in params:
        params = {"assignment_group": org.groups[params["assignment_group"]]}
    elif "closure_code" in params:
        params = {"closure_code": ClosureCode.objects.get(pk=params["closure_code"])}
    elif action == Action.RESOLVE:
        params = resolve_params()
    transition(incident, action, org.manager, **params)
    row = Incident.objects.get(pk=incident.pk)
    assert row.status != Status.PENDING
    assert row.pending_reason is None
