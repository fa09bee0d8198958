"""Services of major incidents: each path, the permission matrix, the notifications."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.testing.matrix import ALLOW, DENY, check_matrix_complete, matrix_cases
from opsdesk.incidents.models import Comment, Incident
from opsdesk.major.models import MajorIncident, MajorState, MajorUpdate
from opsdesk.major.selectors import is_major_master, major_get
from opsdesk.major.services import (
    major_child_unlink, major_children_link, major_declare, major_promote, major_propose,
    major_reject, major_update_post)
from opsdesk.notifications.models import Delivery
from opsdesk.reference.models import Impact, Urgency

from .helpers import declared, outage

ROLES = ["requester", "desk", "engineer", "manager", "owner", "admin"]
MATRIX = {
    "propose": {"requester": DENY, "desk": ALLOW, "engineer": ALLOW, "manager": ALLOW,
                "owner": ALLOW, "admin": DENY},
    "declare": {"requester": DENY, "desk": DENY, "engineer": DENY, "manager": ALLOW,
                "owner": DENY, "admin": DENY},
    "reject": {"requester": DENY, "desk": DENY, "engineer": DENY, "manager": ALLOW,
               "owner": DENY, "admin": DENY},
    "update": {"requester": DENY, "desk": ALLOW, "engineer": DENY, "manager": ALLOW,
               "owner": DENY, "admin": DENY},
    "link": {"requester": DENY, "desk": ALLOW, "engineer": DENY, "manager": ALLOW,
             "owner": DENY, "admin": DENY},
}


def test_matrix_is_complete():
    check_matrix_complete(MATRIX, actions=list(MATRIX), roles=ROLES)


def _act(action, org, who):
    if action == "propose":
        return major_propose(incident=outage(org), by=who, reason="Whole ERP is down")
    if action == "declare":
        return major_declare(incident=outage(org), by=who, reason="ERP down")
    if action == "reject":
        candidate = major_propose(incident=outage(org), by=org.desk, reason="ERP down?")
        return major_reject(major=candidate, by=who, reason="Only one printer")
    major = declared(org)
    if action == "update":
        return major_update_post(major=major, by=who, text="We are on it")
    return major_children_link(major=major, by=who, children=[outage(org)])


@pytest.mark.parametrize(("action", "role", "expected"), matrix_cases(MATRIX))
def test_permission_matrix(org, action, role, expected):
    who = getattr(org, role)
    if expected == ALLOW:
        assert _act(action, org, who)
    else:
        with pytest.raises(NotPermitted):
            _act(action, org, who)


def test_propose_then_promote_sets_manager_cadence_and_notifies(org):
    incident = outage(org)
    candidate = major_propose(incident=incident, by=org.desk, reason="Finance cannot post")
    assert candidate.state == MajorState.CANDIDATE and candidate.proposed_by == org.desk
    assert not is_major_master(Incident.objects.get(pk=incident.pk))
    # The incident managers hear of the candidate.
    assert Delivery.objects.filter(email=org.manager.email,
                                   subject__contains=incident.number).exists()
    before = timezone.now()
    major = major_promote(major=candidate, by=org.manager, cadence_minutes=15,
                          stakeholders=[org.owner])
    assert major.state == MajorState.DECLARED and major.manager == org.manager
    assert major.cadence_minutes == 15
    assert before + timedelta(minutes=15) <= major.next_update_due_at
    assert is_major_master(Incident.objects.get(pk=incident.pk))
    assert major_get(user=org.desk, number=incident.number).pk == major.pk
    # The stakeholder is told in their own language (the mail is keyed per declaration).
    assert Delivery.objects.filter(email=org.owner.email, subject__contains=incident.number,
                                   idempotency_key__contains=":declared").exists()


def test_default_cadence_follows_priority_and_the_rules(org):
    from opsdesk.major.models import MajorCriteria

    p1 = outage(org, impact=Impact.objects.get(pk=1), urgency=Urgency.objects.get(pk=1))
    assert major_declare(incident=p1, by=org.manager).cadence_minutes == 30
    MajorCriteria.objects.create(kind="priority", priority_id=2, cadence_minutes=20)
    p2 = outage(org, impact=Impact.objects.get(pk=2), urgency=Urgency.objects.get(pk=2))
    assert major_declare(incident=p2, by=org.manager).cadence_minutes == 20


def test_reject_needs_a_reason_and_a_rejected_one_can_be_proposed_again(org):
    candidate = major_propose(incident=outage(org), by=org.desk, reason="ERP down")
    with pytest.raises(InvalidInput) as error:
        major_reject(major=candidate, by=org.manager, reason=" ")
    assert "reason" in error.value.errors
    rejected = major_reject(major=candidate, by=org.manager, reason="One user only")
    assert rejected.state == MajorState.REJECTED
    with pytest.raises(Conflict):
        major_promote(major=rejected, by=org.manager)
    again = major_propose(incident=candidate.incident, by=org.engineer, reason="Now 50 users")
    assert again.pk == candidate.pk and again.state == MajorState.CANDIDATE


def test_cannot_propose_twice_or_a_child(org):
    major = declared(org)
    with pytest.raises(Conflict):
        major_propose(incident=major.incident, by=org.desk, reason="again")
    child = outage(org)
    major_children_link(major=major, by=org.desk, children=[child])
    with pytest.raises(Conflict):
        major_propose(incident=Incident.objects.get(pk=child.pk), by=org.desk, reason="x")


def test_manager_must_be_an_incident_manager(org):
    with pytest.raises(InvalidInput) as error:
        major_declare(incident=outage(org), by=org.manager, manager=org.engineer)
    assert "manager" in error.value.errors
    assert not MajorIncident.objects.exists()


def test_public_update_goes_to_master_and_children_and_resets_due(org):
    major = declared(org)
    children = [outage(org, requester=org.colleague) for _ in range(3)]
    major_children_link(major=major, by=org.manager, children=children)
    old_due = MajorIncident.objects.get(pk=major.pk).next_update_due_at
    update = major_update_post(major=major, by=org.manager, text="Failover in progress")
    major.refresh_from_db()
    assert major.last_update_at is not None and major.next_update_due_at >= old_due
    for child in children + [major.incident]:
        assert Comment.objects.filter(incident=child, body="Failover in progress",
                                      visibility="public").exists()
    internal = major_update_post(major=major, by=org.manager, text="DBA paged", is_public=False)
    assert not Comment.objects.filter(body="DBA paged").exists()
    assert list(MajorUpdate.objects.filter(major=major)) == [internal, update]


def test_update_needs_text_and_a_declared_major(org):
    major = declared(org)
    with pytest.raises(InvalidInput):
        major_update_post(major=major, by=org.manager, text="  ")
    candidate = major_propose(incident=outage(org), by=org.desk, reason="ERP")
    with pytest.raises(Conflict):
        major_update_post(major=candidate, by=org.manager, text="x")


def test_link_checks_and_unlink(org):
    major = declared(org)
    with pytest.raises(InvalidInput):
        major_children_link(major=major, by=org.manager, children=[major.incident])
    other = declared(org)
    with pytest.raises(Conflict):
        major_children_link(major=major, by=org.manager, children=[other.incident])
    child = outage(org)
    major_children_link(major=major, by=org.manager, children=[child])
    assert Incident.objects.get(pk=child.pk).parent_id == major.incident_id
    with pytest.raises(Conflict):
        major_children_link(major=other, by=org.manager,
                            children=[Incident.objects.get(pk=child.pk)])
    major_child_unlink(major=major, by=org.manager, child=Incident.objects.get(pk=child.pk))
    assert Incident.objects.get(pk=child.pk).parent_id is None


def test_major_get_hides_invisible_incidents(org):
    from opsdesk.core.exceptions import NotFound

    major = declared(org)
    with pytest.raises(NotFound):
        major_get(user=org.outsider, number=major.incident.number)
