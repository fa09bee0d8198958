"""Hooks: the master's resolution resolves its children with a note; the rules propose or
declare on create and after transitions; "affects me too" raises the impact."""

import pytest

from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_transition
from opsdesk.major.affected import affected_attach, affected_summary
from opsdesk.major.models import MajorCriteria, MajorIncident, MajorState
from opsdesk.major.services import major_children_link
from opsdesk.notifications.models import Delivery
from opsdesk.reference.models import Impact, Urgency

from .helpers import declared, outage, resolve_params


def test_resolving_the_master_resolves_every_open_child_with_a_note(org):
    major = declared(org)
    children = [outage(org, requester=org.colleague) for _ in range(3)]
    major_children_link(major=major, by=org.manager, children=children)
    incident_transition(incident=children[0], action="resolve", by=org.desk,
                        **resolve_params("Printer was unplugged"))
    incident_transition(incident=major.incident, action="resolve", by=org.manager,
                        **resolve_params())
    rows = {c.pk: Incident.objects.get(pk=c.pk) for c in children}
    assert all(r.status == Status.RESOLVED for r in rows.values())
    assert rows[children[0].pk].resolution == "Printer was unplugged"  # already resolved: kept
    for child in children[1:]:
        assert major.incident.number in rows[child.pk].resolution
        assert "Restarted the ERP database cluster" in rows[child.pk].resolution
    assert MajorIncident.objects.get(pk=major.pk).state == MajorState.RESOLVED


def test_priority_rule_proposes_and_declare_rule_declares_on_create(org):
    MajorCriteria.objects.create(kind="priority", priority_id=1, action="declare",
                                 cadence_minutes=15)
    MajorCriteria.objects.create(kind="impact", impact_id=2, action="propose")
    p1 = outage(org, impact=Impact.objects.get(pk=1), urgency=Urgency.objects.get(pk=1))
    major = MajorIncident.objects.get(incident=p1)
    assert major.state == MajorState.DECLARED and major.cadence_minutes == 15
    assert major.manager is None and major.decided_by is None  # the system declared it
    # Management hears of it.
    assert Delivery.objects.filter(email=org.manager.email, subject__contains=p1.number).exists()
    wide = outage(org, impact=Impact.objects.get(pk=2), urgency=Urgency.objects.get(pk=4))
    assert MajorIncident.objects.get(incident=wide).state == MajorState.CANDIDATE
    small = outage(org)
    assert not MajorIncident.objects.filter(incident=small).exists()


def test_rules_are_read_from_memory_but_a_stale_one_declares_nothing(org, django_assert_num_queries):
    rule = MajorCriteria.objects.create(kind="priority", priority_id=1, action="declare")
    p1 = dict(impact=Impact.objects.get(pk=1), urgency=Urgency.objects.get(pk=1))
    assert MajorIncident.objects.get(incident=outage(org, **p1)).state == MajorState.DECLARED
    from opsdesk.major.criteria import criteria_evaluate

    small = outage(org)
    with django_assert_num_queries(0):  # no match: the rules come from memory
        criteria_evaluate(incident=small)
    # Another process switches the rule off (no signal reaches this one): the rule still in
    # memory matches, but the table decides.
    MajorCriteria.objects.filter(pk=rule.pk).update(is_active=False)
    assert not MajorIncident.objects.filter(incident=outage(org, **p1)).exists()
    MajorCriteria.objects.filter(pk=rule.pk).delete()  # and deleted: still nothing, no error
    assert not MajorIncident.objects.filter(incident=outage(org, **p1)).exists()


def test_raising_the_priority_by_an_edit_runs_the_rules(org):
    from opsdesk.incidents.services import incident_update

    MajorCriteria.objects.create(kind="priority", priority_id=1, action="propose")
    incident = outage(org)
    assert not MajorIncident.objects.filter(incident=incident).exists()
    incident_update(incident=incident, by=org.desk, data={
        "impact": Impact.objects.get(pk=1), "urgency": Urgency.objects.get(pk=1)})
    assert MajorIncident.objects.get(incident=incident).state == MajorState.CANDIDATE


def test_cluster_rule_proposes_the_first_report(org):
    from opsdesk.core.testing.factories import ServiceFactory

    erp = ServiceFactory(code="ERP")
    MajorCriteria.objects.create(kind="cluster", count=3, window_minutes=30, action="propose")
    first = outage(org, service=erp)
    outage(org, service=erp)
    assert not MajorIncident.objects.exists()
    outage(org, service=erp)
    assert MajorIncident.objects.get().incident_id == first.pk


def test_rejected_candidate_is_not_proposed_again_by_a_rule(org):
    from opsdesk.major.services import major_reject

    MajorCriteria.objects.create(kind="impact", impact_id=2, action="propose")
    wide = outage(org, impact=Impact.objects.get(pk=2), urgency=Urgency.objects.get(pk=4))
    major_reject(major=MajorIncident.objects.get(incident=wide), by=org.manager, reason="no")
    incident_transition(incident=wide, action="start", by=org.desk)
    assert MajorIncident.objects.get(incident=wide).state == MajorState.REJECTED


def test_affects_me_too_counts_raises_impact_proposes_and_notifies(org):
    MajorCriteria.objects.create(kind="affected", count=2, impact_id=2, action="none")
    MajorCriteria.objects.create(kind="affected", count=3, action="propose")
    incident = outage(org)  # impact 4, urgency 3: P3
    # Callers on the phone, attached by the desk (a plain user sees only their own incident).
    first, created = affected_attach(incident=incident, user=org.colleague, by=org.desk)
    again, created_again = affected_attach(incident=incident, user=org.colleague, by=org.desk)
    assert created and not created_again and first.pk == again.pk
    affected_attach(incident=incident, user=org.outsider, by=org.desk)  # a caller, by the desk
    row = Incident.objects.get(pk=incident.pk)
    assert row.impact_id == 2 and row.priority_id < 3
    affected_attach(incident=incident, user=org.engineer, by=org.desk)
    assert MajorIncident.objects.get(incident=incident).state == MajorState.CANDIDATE
    summary = affected_summary(incident=incident)
    assert summary["count"] == 3
    assert ("Finance", 1) in summary["departments"] or ("财务部", 1) in summary["departments"]
    incident_transition(incident=incident, action="resolve", by=org.desk, **resolve_params())
    for person in (org.colleague, org.outsider, org.engineer):
        assert Delivery.objects.filter(email=person.email, subject__contains=incident.number
                                       ).exists()


def test_affects_me_too_needs_visibility_unless_declared(org):
    from opsdesk.core.exceptions import Conflict, NotFound

    incident = outage(org)
    with pytest.raises(NotFound):
        affected_attach(incident=incident, user=org.outsider)
    major = declared(org)
    affected_attach(incident=major.incident, user=org.outsider)
    incident_transition(incident=major.incident, action="resolve", by=org.manager,
                        **resolve_params())
    with pytest.raises(Conflict):
        affected_attach(incident=major.incident, user=org.colleague)
