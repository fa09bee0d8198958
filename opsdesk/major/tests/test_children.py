"""Children follow their master: resolved, reopened, closed with it; let go when it is cancelled.

Each child changes as the system in the master's own transaction, its history names the master,
and children that moved on by themselves are left alone.
"""

import pytest

from opsdesk.core.exceptions import Conflict
from opsdesk.incidents import hooks as incident_hooks
from opsdesk.incidents.choices import Action, EventKind, Status
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.incidents.services import incident_transition
from opsdesk.major.models import MajorIncident, MajorState, ResolvedWithMaster
from opsdesk.major.services import major_children_link, major_propose
from opsdesk.reference.models import ClosureCode
from opsdesk.reviews import services as reviews

from .helpers import declared, outage, resolve_params


def _with_children(org, n=4):
    major = declared(org)
    children = [outage(org, requester=org.colleague) for _ in range(n)]
    major_children_link(major=major, by=org.manager, children=children)
    return major, children


def _fresh(incidents):
    rows = {i.pk: i for i in Incident.objects.filter(pk__in=[c.pk for c in incidents])}
    return [rows[c.pk] for c in incidents]


def _last_transition(incident):
    return (IncidentEvent.objects.filter(incident=incident, kind=EventKind.TRANSITION)
            .order_by("-id").first())


def _approve_review(org, master):
    review = reviews.review_create(incident=master, by=org.manager)
    reviews.review_update(review=review, by=org.manager, data={
        "root_cause": "The database primary's disk filled up."})
    reviews.review_submit(review=review, by=org.manager)
    reviews.review_approve(review=review, by=org.owner)


def test_resolve_notes_each_child_as_the_system_with_the_masters_number(org):
    major, children = _with_children(org, 3)
    master = incident_transition(incident=major.incident, action="resolve", by=org.manager,
                                 **resolve_params())
    for child in _fresh(children):
        assert child.status == Status.RESOLVED
        assert child.resolution_code_id == master.resolution_code_id == "01"
        entry = _last_transition(child)
        assert entry.action == Action.RESOLVE and entry.actor is None
        assert entry.channel == "system" and major.incident.number in entry.new_value
    assert ResolvedWithMaster.objects.filter(master=major.incident).count() == 3


def test_reopening_the_master_reopens_the_children_it_resolved_only(org):
    major, children = _with_children(org, 4)
    on_its_own, then_closed = children[0], children[1]
    incident_transition(incident=on_its_own, action="resolve", by=org.desk,
                        **resolve_params("Cleared the browser cache"))
    incident_transition(incident=major.incident, action="resolve", by=org.manager,
                        **resolve_params())
    # The desk closes one child by itself after the master resolved it.
    incident_transition(incident=then_closed, action="close", by=org.desk,
                        closure_code=ClosureCode.objects.get(pk="01"))
    incident_transition(incident=major.incident, action="reopen", by=org.manager,
                        reason="Logins fail again after the failover")
    own, closed, *followers = _fresh(children)
    assert own.status == Status.RESOLVED and own.resolution == "Cleared the browser cache"
    assert closed.status == Status.CLOSED
    for child in followers:
        assert child.status == Status.IN_PROGRESS and child.reopen_count == 1
        entry = _last_transition(child)
        assert entry.action == Action.REOPEN and entry.actor is None
        assert major.incident.number in entry.new_value
        assert "Logins fail again after the failover" in entry.new_value
    assert MajorIncident.objects.get(pk=major.pk).state == MajorState.DECLARED
    # Resolved again, the master resolves them again.
    incident_transition(incident=major.incident, action="resolve", by=org.manager,
                        **resolve_params("Replaced the failed disk"))
    assert {c.status for c in _fresh(followers)} == {Status.RESOLVED}
    assert all("Replaced the failed disk" in c.resolution for c in _fresh(followers))


def test_the_requester_rejecting_the_master_brings_its_children_back(org):
    major, children = _with_children(org, 2)
    incident_transition(incident=major.incident, action="resolve", by=org.manager,
                        **resolve_params())
    incident_transition(incident=major.incident, action="reject", by=org.requester,
                        reason="Still cannot log in")
    for child in _fresh(children):
        assert child.status == Status.IN_PROGRESS
        assert "Still cannot log in" in _last_transition(child).new_value


def test_closing_the_master_closes_the_children_it_resolved_with_its_code(org):
    major, children = _with_children(org, 4)
    incident_transition(incident=major.incident, action="resolve", by=org.manager,
                        **resolve_params())
    confirmed, rejected, *followers = children
    incident_transition(incident=confirmed, action="confirm", by=org.colleague)
    incident_transition(incident=rejected, action="reject", by=org.colleague,
                        reason="Mine still fails")
    _approve_review(org, major.incident)
    incident_transition(incident=major.incident, action="close", by=org.manager,
                        closure_code=ClosureCode.objects.get(pk="02"))
    confirmed, rejected, *followers = _fresh(children)
    assert confirmed.status == Status.CLOSED and confirmed.closure_code_id == "01"
    assert rejected.status == Status.IN_PROGRESS  # its requester moved it on: left alone
    for child in followers:
        assert child.status == Status.CLOSED and child.closure_code_id == "02"
        entry = _last_transition(child)
        assert entry.action == Action.CLOSE and entry.actor is None
        assert major.incident.number in entry.new_value
    assert MajorIncident.objects.get(pk=major.pk).state == MajorState.CLOSED
    assert not ResolvedWithMaster.objects.exists()


def test_the_requester_confirming_the_master_closes_the_children(org):
    major, children = _with_children(org, 2)
    incident_transition(incident=major.incident, action="resolve", by=org.manager,
                        **resolve_params())
    _approve_review(org, major.incident)
    incident_transition(incident=major.incident, action="confirm", by=org.requester)
    assert {(c.status, c.closure_code_id) for c in _fresh(children)} == {(Status.CLOSED, "01")}


def test_a_master_closed_without_being_resolved_takes_its_open_children(org):
    master = outage(org)
    major_propose(incident=master, by=org.desk, reason="Many reports")  # a candidate
    major = MajorIncident.objects.get(incident=master)
    children = [outage(org, requester=org.colleague) for _ in range(2)]
    major_children_link(major=major, by=org.desk, children=children)
    incident_transition(incident=master, action="close", by=org.desk,
                        closure_code=ClosureCode.objects.get(pk="06"))
    assert {(c.status, c.closure_code_id) for c in _fresh(children)} == {(Status.CLOSED, "06")}
    assert MajorIncident.objects.get(pk=major.pk).state == MajorState.REJECTED


def test_cancelling_the_master_unlinks_its_open_children_and_cancels_none(org):
    major, children = _with_children(org, 3)
    done = children[0]
    incident_transition(incident=done, action="resolve", by=org.desk, **resolve_params("Fixed"))
    incident_transition(incident=major.incident, action="cancel", by=org.manager,
                        reason="Declared on the wrong incident")
    done, *released = _fresh(children)
    assert done.status == Status.RESOLVED and done.parent_id == major.incident.pk
    for child in released:
        assert child.status < Status.RESOLVED  # still open, worked on its own
        assert child.parent_id is None
        entry = IncidentEvent.objects.get(incident=child, kind=EventKind.FIELD, field="parent",
                                          new_value="")
        assert entry.actor is None and major.incident.number in entry.data["reason"]
    assert MajorIncident.objects.get(pk=major.pk).state == MajorState.CLOSED


def test_a_child_that_cannot_follow_leaves_the_master_unresolved(org, monkeypatch):
    major, children = _with_children(org, 3)
    stuck = children[2]

    def refuse(*, incident, action, by, params):
        if incident.pk == stuck.pk:
            raise Conflict("This child is held.")

    monkeypatch.setattr(incident_hooks, "_guards", [*incident_hooks._guards, refuse])
    with pytest.raises(Conflict):
        incident_transition(incident=major.incident, action="resolve", by=org.manager,
                            **resolve_params())
    assert Incident.objects.get(pk=major.incident.pk).status < Status.RESOLVED
    assert all(c.status < Status.RESOLVED for c in _fresh(children))
    assert not ResolvedWithMaster.objects.exists()
    assert MajorIncident.objects.get(pk=major.pk).state == MajorState.DECLARED
