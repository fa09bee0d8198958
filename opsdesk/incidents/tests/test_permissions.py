"""Who may do what to which incident (SPEC §1): every role × every action, and visibility."""

import pytest

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.testing.factories import ServiceFactory, UserFactory, incident_factory
from opsdesk.core.testing.matrix import (ALLOW, DENY, action_params, check_matrix_complete,
                                         incident_in, matrix_cases)
from opsdesk.incidents.choices import TRANSITIONS, Action, EventKind, Status
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.incidents.services import (allowed_actions, comment_create, incident_transition,
                                        incident_update, people_add)
from opsdesk.reference.models import Impact, Priority, Urgency

# Every role of SPEC §1 as it meets an incident that the desk agent `desk` logged (so `desk` is
# its owner, 首问负责人) for `requester` and that is assigned to the group NET2:
#   requester       the person who reported it
#   colleague       same department, without the right to see the department's incidents
#   outsider        another department
#   desk            service-desk agent who logged it: the owner
#   other_desk      another service-desk agent (not the owner)
#   engineer        member of NET2, the assignment group (not the named assignee)
#   assignee        the named assignee, in NET2
#   collaborator    an engineer of no group who was added as a collaborator
#   other_engineer  engineer of APP2, another 2nd-line group
#   expert          engineer of NET3, the 3rd line (not assigned)
#   manager         incident manager
#   process_owner   owner of the process
#   admin           administrator
ROLES = ["requester", "colleague", "outsider", "desk", "other_desk", "engineer", "assignee",
         "collaborator", "other_engineer", "expert", "manager", "process_owner", "admin"]

A, D = ALLOW, DENY
# The status in which each action is tried: one of its sources.
STATE = {
    Action.ASSIGN: Status.ASSIGNED, Action.ACCEPT: Status.ASSIGNED,
    Action.HAND_BACK: Status.ASSIGNED, Action.START: Status.ASSIGNED,
    Action.PEND: Status.IN_PROGRESS, Action.RESUME: Status.PENDING,
    Action.RESOLVE: Status.IN_PROGRESS, Action.CONFIRM: Status.RESOLVED,
    Action.REJECT: Status.RESOLVED, Action.CLOSE: Status.RESOLVED,
    Action.CANCEL: Status.ASSIGNED, Action.REOPEN: Status.RESOLVED,
    Action.AWAIT_APPROVAL: Status.LOGGED,
}
# Expected outcome per action (rows) and role (columns, in the order of ROLES).
#                    req coll out desk odsk eng asgn coll oeng exp mgr powner admin
TABLE = {
    Action.ASSIGN:    [D, D, D, A, A, A, A, D, D, D, A, D, D],
    Action.ACCEPT:    [D, D, D, D, D, A, A, D, D, D, A, D, D],
    Action.HAND_BACK: [D, D, D, D, D, A, A, D, D, D, A, D, D],
    Action.START:     [D, D, D, A, A, A, A, D, D, D, A, D, D],
    Action.PEND:      [D, D, D, A, A, A, A, D, D, D, A, D, D],
    Action.RESUME:    [D, D, D, A, A, A, A, D, D, D, A, D, D],
    Action.RESOLVE:   [D, D, D, A, A, A, A, D, D, D, A, D, D],
    Action.CONFIRM:   [A, D, D, A, A, D, D, D, D, D, A, D, D],
    Action.REJECT:    [A, D, D, A, D, D, D, D, D, D, D, D, D],
    Action.CLOSE:     [D, D, D, A, A, D, D, D, D, D, A, D, D],
    Action.CANCEL:    [A, D, D, A, A, D, D, D, D, D, A, D, D],
    Action.REOPEN:    [D, D, D, A, A, A, A, D, D, D, A, D, D],
    # System only: the catalogue puts a new request that needs approval on hold.
    Action.AWAIT_APPROVAL: [D, D, D, D, D, D, D, D, D, D, D, D, D],
}
MATRIX = {action: dict(zip(ROLES, row, strict=True)) for action, row in TABLE.items()}

# incident_update: who may change the fields of an open incident.
#               req coll out desk odsk eng asgn coll oeng exp mgr powner admin
EDIT_ROW = [D, D, D, A, A, A, A, D, D, D, A, D, D]
EDIT = {"edit": dict(zip(ROLES, EDIT_ROW, strict=True))}


def test_the_matrix_covers_every_role_and_action():
    check_matrix_complete(MATRIX, actions=list(Action), roles=ROLES)
    check_matrix_complete(EDIT, actions=["edit"], roles=ROLES)
    for action, status in STATE.items():
        assert status in TRANSITIONS[action].sources


@pytest.fixture
def people(org):
    """Every role of ROLES as a person; the NET2 assignee and the collaborator are extra."""
    extra = {
        "other_desk": UserFactory(username="other_desk", is_service_desk=True),
        "assignee": UserFactory(username="assignee", is_engineer=True),
        "collaborator": UserFactory(username="collaborator", is_engineer=True),
        "process_owner": org.owner,
    }
    org.groups["NET2"].members.add(extra["assignee"])
    return {**{r: getattr(org, r) for r in ROLES if hasattr(org, r) and r != "owner"}, **extra}


def incident_for_matrix(status, org, people):
    """An incident in `status`, assigned to NET2 and its member `assignee`, with a collaborator."""
    incident = incident_in(Status.LOGGED, org)
    if status == Status.LOGGED:
        return incident
    incident = incident_transition(incident=incident, action=Action.ASSIGN, by=org.manager,
                                   assignment_group=org.groups["NET2"],
                                   assignee=people["assignee"])
    people_add(incident=incident, by=org.manager, field="collaborators",
               users=[people["collaborator"]])
    steps = {Status.ASSIGNED: [], Status.IN_PROGRESS: [Action.START],
             Status.PENDING: [Action.START, Action.PEND],
             Status.RESOLVED: [Action.START, Action.RESOLVE]}[status]
    for action in steps:
        incident = incident_transition(incident=incident, action=action, by=org.manager,
                                       **action_params(action, org))
    assert incident.status == status
    return Incident.objects.get(pk=incident.pk)


@pytest.mark.parametrize(("action", "role", "expected"), matrix_cases(MATRIX))
def test_action_matrix(org, people, action, role, expected):
    incident = incident_for_matrix(STATE[action], org, people)
    user = people[role]
    assert (action in allowed_actions(user=user, incident=incident)) is (expected == ALLOW)
    events_before = IncidentEvent.objects.filter(incident=incident).count()
    params = action_params(action, org)
    if expected == ALLOW:
        result = incident_transition(incident=incident, action=action, by=user, **params)
        row = Incident.objects.get(pk=incident.pk)
        assert result.status == row.status == TRANSITIONS[action].target
        event = row.events.filter(kind=EventKind.TRANSITION).last()
        assert (event.action, event.actor) == (action, user)
    else:
        with pytest.raises(NotPermitted):
            incident_transition(incident=incident, action=action, by=user, **params)
        assert Incident.objects.get(pk=incident.pk).status == STATE[action]
        assert IncidentEvent.objects.filter(incident=incident).count() == events_before


@pytest.mark.parametrize(("action", "role", "expected"), matrix_cases(EDIT))
def test_edit_matrix(org, people, action, role, expected):
    incident = incident_for_matrix(Status.IN_PROGRESS, org, people)
    user = people[role]
    if expected == ALLOW:
        incident_update(incident=incident, by=user, data={"description": f"Seen by {role}"})
        row = Incident.objects.get(pk=incident.pk)
        assert row.description == f"Seen by {role}"
        event = row.events.get(field="description")
        assert (event.actor, event.new_value) == (user, f"Seen by {role}")
    else:
        with pytest.raises(NotPermitted):
            incident_update(incident=incident, by=user, data={"description": "Hijacked"})
        assert Incident.objects.get(pk=incident.pk).description == ""


def test_inactive_people_may_do_nothing(org):
    incident = incident_in(Status.ASSIGNED, org)
    org.engineer.is_active = False
    org.engineer.save()
    org.manager.is_active = False
    org.manager.save()
    for user in (org.engineer, org.manager):
        assert allowed_actions(user=user, incident=incident) == []
        with pytest.raises(NotPermitted):
            incident_transition(incident=incident, action=Action.ACCEPT, by=user)
        with pytest.raises(NotPermitted):
            incident_update(incident=incident, by=user, data={"description": "x"})
        assert not Incident.objects.restrict(user).exists()


def test_finished_incidents_cannot_be_edited(org):
    for status in (Status.CLOSED, Status.CANCELLED):
        incident = incident_in(status, org)
        with pytest.raises(Conflict):
            incident_update(incident=incident, by=org.desk, data={"description": "Later edit"})
        assert Incident.objects.get(pk=incident.pk).description == ""


# --- Visibility -----------------------------------------------------------------------------------

def visible(user) -> set:
    return set(Incident.objects.restrict(user).values_list("short_description", flat=True))


@pytest.fixture
def spread(org):
    """Incidents in different hands; the short description names each one."""
    other_requester = UserFactory(username="other_requester", department=org.outsider.department)

    def log(name, requester, **data):
        incident = incident_factory(by=org.desk, requester=requester, short_description=name)
        for field in ("collaborators", "watchers"):
            if field in data:
                people_add(incident=incident, by=org.desk, field=field, users=data[field])
        if "group" in data:
            incident = incident_transition(
                incident=incident, action=Action.ASSIGN, by=org.desk,
                assignment_group=org.groups[data["group"]], assignee=data.get("assignee"))
        return incident

    return {
        "own": log("own", org.requester),
        "colleague's": log("colleague's", org.colleague),
        "outsider's": log("outsider's", other_requester, group="APP2"),
        "net2": log("net2", other_requester, group="NET2"),
        "collaborating": log("collaborating", other_requester, collaborators=[org.engineer]),
        "watched": log("watched", other_requester, watchers=[org.engineer]),
        "assigned to engineer": log("assigned to engineer", other_requester, group="NET2",
                                    assignee=org.engineer),
        "net3": log("net3", other_requester, group="NET3", assignee=org.expert),
    }


def test_requester_sees_only_their_own(org, spread):
    assert visible(org.requester) == {"own"}


def test_colleague_sees_the_department_only_when_allowed(org, spread):
    assert visible(org.colleague) == {"colleague's"}
    org.colleague.can_view_department = True
    org.colleague.save()
    assert visible(org.colleague) == {"colleague's", "own"}


def test_outsider_sees_none_of_them(org, spread):
    assert visible(org.outsider) == set()


def test_engineer_sees_group_collaborations_watched_and_assigned(org, spread):
    assert visible(org.engineer) == {"net2", "collaborating", "watched",
                                     "assigned to engineer"}
    assert visible(org.other_engineer) == {"outsider's"}
    assert visible(org.expert) == {"net3"}


@pytest.mark.parametrize("role", ["desk", "manager", "owner", "admin"])
def test_desk_managers_process_owner_and_admins_see_all(org, spread, role):
    assert visible(getattr(org, role)) == set(spread)


def test_engineer_loses_sight_when_the_incident_moves_to_another_group(org, spread):
    incident = spread["net2"]
    incident_transition(incident=incident, action=Action.ASSIGN, by=org.desk,
                        assignment_group=org.groups["APP2"])
    engineer = type(org.engineer).objects.get(pk=org.engineer.pk)  # fresh group cache
    assert "net2" not in visible(engineer)
    assert "net2" in visible(org.other_engineer)


def test_nobody_can_watch_their_way_into_an_incident(org, spread):
    incident = spread["net2"]
    with pytest.raises(NotPermitted):
        people_add(incident=incident, by=org.outsider, field="watchers", users=[org.outsider])
    assert "net2" not in visible(org.outsider)
    # Someone who sees it may watch it: the colleague with department view watches "own".
    org.colleague.can_view_department = True
    org.colleague.save()
    people_add(incident=spread["own"], by=org.colleague, field="watchers", users=[org.colleague])
    assert spread["own"].watchers.filter(pk=org.colleague.pk).exists()


def test_people_who_cannot_see_an_incident_cannot_comment_on_it(org, spread):
    incident = spread["net2"]
    for user, visibility in ((org.outsider, "public"), (org.requester, "public"),
                             (org.other_engineer, "internal"), (org.other_engineer, "public")):
        with pytest.raises(NotPermitted):
            comment_create(incident=incident, by=user, body="Hello", visibility=visibility)
    assert incident.comments.count() == 0


def test_only_editors_add_collaborators_and_only_staff_collaborate(org, spread):
    incident = spread["own"]
    with pytest.raises(NotPermitted):
        people_add(incident=incident, by=org.requester, field="collaborators",
                   users=[org.engineer])
    with pytest.raises(InvalidInput) as raised:
        people_add(incident=incident, by=org.desk, field="collaborators", users=[org.colleague])
    assert "collaborators" in raised.value.errors
    with pytest.raises(InvalidInput):
        incident_update(incident=incident, by=org.desk, data={"collaborators": [org.colleague]})
    assert incident.collaborators.count() == 0
    people_add(incident=incident, by=org.desk, field="collaborators", users=[org.expert])
    assert list(incident.collaborators.all()) == [org.expert]


# --- incident_update and incident_create: fields and priority -------------------------------------

def priority(level):
    return Priority.objects.get(pk=level)


@pytest.mark.parametrize("role", ["desk", "manager"])
def test_desk_and_manager_may_override_priority_with_a_reason(org, role):
    incident = incident_in(Status.ASSIGNED, org)  # impact 4 × urgency 3: P3
    user = getattr(org, role)
    before = IncidentEvent.objects.filter(incident=incident).count()
    with pytest.raises(InvalidInput) as raised:
        incident_update(incident=incident, by=user, data={"priority": priority(1)})
    assert "priority_override_reason" in raised.value.errors
    with pytest.raises(InvalidInput):
        incident_update(incident=incident, by=user,
                        data={"priority": priority(1), "priority_override_reason": "   "})
    row = Incident.objects.get(pk=incident.pk)
    assert (row.priority_id, row.priority_overridden) == (3, False)
    assert IncidentEvent.objects.filter(incident=incident).count() == before

    incident_update(incident=incident, by=user, data={
        "priority": priority(1), "priority_override_reason": "CFO's laptop before the board"})
    row = Incident.objects.get(pk=incident.pk)
    assert (row.priority_id, row.priority_overridden) == (1, True)
    assert row.priority_override_reason == "CFO's laptop before the board"
    event = row.events.get(field="priority")
    assert (event.old_value, event.new_value, event.actor) == ("3", "1", user)
    # The override holds when impact or urgency change; giving the matrix value ends it.
    incident_update(incident=incident, by=org.engineer, data={"urgency": Urgency.objects.get(pk=4)})
    assert Incident.objects.get(pk=incident.pk).priority_id == 1
    incident_update(incident=incident, by=user, data={"priority": priority(4)})
    row = Incident.objects.get(pk=incident.pk)
    assert (row.priority_id, row.priority_overridden, row.priority_override_reason) == (
        4, False, "")


@pytest.mark.parametrize("role", ["engineer", "owner_only"])
def test_others_may_not_override_priority(org, role):
    incident = incident_in(Status.ASSIGNED, org)
    if role == "owner_only":  # the owner who has since left the desk keeps ownership, not the role
        org.desk.is_service_desk = False
        org.desk.save()
        user = org.desk
    else:
        user = org.engineer
    with pytest.raises(NotPermitted):
        incident_update(incident=incident, by=user, data={
            "priority": priority(1), "priority_override_reason": "I say so"})
    assert Incident.objects.get(pk=incident.pk).priority_id == 3
    # They may still change impact and urgency; the matrix then decides.
    incident_update(incident=incident, by=user, data={"impact": Impact.objects.get(pk=1),
                                                      "urgency": Urgency.objects.get(pk=1)})
    row = Incident.objects.get(pk=incident.pk)
    assert (row.priority_id, row.priority_overridden) == (1, False)


def test_required_items_cannot_be_emptied(org):
    incident = incident_in(Status.ASSIGNED, org)
    for field in ("impact", "urgency", "requester", "short_description"):
        with pytest.raises(InvalidInput) as raised:
            incident_update(incident=incident, by=org.desk, data={field: None})
        assert field in raised.value.errors
    row = Incident.objects.get(pk=incident.pk)
    assert (row.impact_id, row.urgency_id, row.requester) == (4, 3, org.requester)


def test_plain_user_logs_for_themselves_with_requester_fields_only(org):
    service = ServiceFactory()
    incident, _created = incident_create_as(org.requester, {
        "short_description": "VPN drops", "description": "Every ten minutes",
        "service": service, "impact": Impact.objects.get(pk=3), "watchers": [org.colleague]})
    assert incident.requester == org.requester and incident.owner is None
    assert incident.priority_id == 3 and not incident.priority_overridden


@pytest.mark.parametrize("data", [
    {"requester": "colleague"},
    {"priority": 1, "priority_override_reason": "Urgent for me"},
    {"collaborators": ["engineer"]},
    {"vendor_reference": "CASE-1"},
    {"duplicate_of": "incident"},
    {"alert_ids": ["a1"]},
    {"related_problem": "PRB1"},
    {"registered_at": "2020"},
], ids=lambda d: next(iter(d)))
def test_plain_user_may_not_set_other_fields_or_log_for_someone_else(org, data):
    other = incident_factory(by=org.desk, requester=org.requester)
    resolved = {"requester": org.colleague, "priority": priority(1),
                "collaborators": [org.engineer], "duplicate_of": other}
    data = {k: resolved.get(k, v) for k, v in data.items()}
    before = Incident.objects.count()
    with pytest.raises(NotPermitted):
        incident_create_as(org.requester, {"short_description": "Mine", **data})
    assert Incident.objects.count() == before


def test_desk_logs_for_someone_else_and_may_override_priority(org):
    incident, _created = incident_create_as(org.desk, {
        "requester": org.colleague, "short_description": "Server room is hot",
        "priority": priority(2), "priority_override_reason": "Heat wave"})
    assert incident.requester == org.colleague and incident.owner == org.desk
    assert (incident.priority_id, incident.priority_overridden) == (2, True)
    assert incident.requester_department == org.colleague.department


def test_engineer_may_not_override_priority_when_logging(org):
    with pytest.raises(NotPermitted):
        incident_create_as(org.engineer, {"short_description": "Disk full",
                                          "priority": priority(1),
                                          "priority_override_reason": "Prod"})


def incident_create_as(user, data):
    from opsdesk.incidents.services import incident_create

    return incident_create(by=user, data=data)
