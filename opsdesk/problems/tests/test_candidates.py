"""Problem candidates: each kind, the window, idempotency, raising and dismissing."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.testing.factories import (ConfigurationItemFactory, ServiceFactory,
                                            incident_factory)
from opsdesk.core.testing.matrix import incident_in
from opsdesk.incidents.models import Incident
from opsdesk.problems import services
from opsdesk.problems.models import ProblemCandidate
from opsdesk.problems.tasks import problem_candidates_scan
from opsdesk.reference.models import Category

ONLY = {"by_category": False, "by_service": False, "by_ci": False, "by_text": False,
        "by_workaround": False}


@pytest.fixture
def rule(org):
    """Threshold 2 (three incidents make a candidate), a 7-day window, every kind off."""
    return services.candidate_rule_update(by=org.owner, data={**ONLY, "threshold": 2,
                                                              "window_days": 7})


def only(org, **kinds):
    services.candidate_rule_update(by=org.owner, data={**ONLY, **kinds})


def log(org, n, *, days_ago=0, **data):
    """n incidents logged `days_ago` days ago."""
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=False):
        return [incident_factory(by=org.desk, requester=org.requester, **data)
                for _ in range(n)]


def scan():
    return services.candidates_scan(force=True)


def open_candidates():
    return list(ProblemCandidate.objects.filter(state="open").order_by("kind", "key"))


def test_same_category_more_than_n_times_in_the_window(org, rule):
    only(org, by_category=True)
    category = Category.objects.order_by("path").first()
    log(org, 2, category=category)
    log(org, 5, days_ago=10, category=category)  # outside the window
    assert scan().created == 0
    third = log(org, 1, category=category)[0]
    report = scan()
    [candidate] = open_candidates()
    assert report.created == 1 and candidate.kind == "category"
    assert candidate.key == str(category.pk) and candidate.count == 3
    assert third.pk in candidate.incident_ids and category.path in candidate.label


def test_same_service_and_same_ci(org, rule):
    only(org, by_service=True, by_ci=True)
    service = ServiceFactory(code="MAIL")
    ci = ConfigurationItemFactory(name="mail-01")
    log(org, 3, service=service)
    log(org, 3, configuration_items=[ci])
    scan()
    kinds = {(c.kind, c.count) for c in open_candidates()}
    assert kinds == {("service", 3), ("ci", 3)}
    assert "MAIL" in ProblemCandidate.objects.get(kind="service").label
    assert ProblemCandidate.objects.get(kind="ci").label == "mail-01"


def test_similar_text(org, rule):
    only(org, by_text=True)
    for text in ("VPN disconnects every hour", "vpn disconnects after login",
                 "VPN keeps disconnecting"):
        log(org, 1, short_description=text)
    log(org, 1, short_description="Printer out of toner")
    scan()
    [candidate] = open_candidates()
    assert candidate.kind == "text" and candidate.count == 3
    printed = Incident.objects.get(short_description="Printer out of toner")
    assert printed.pk not in candidate.incident_ids


def test_resolved_with_a_workaround_and_no_problem(org, rule):
    only(org, by_workaround=True)
    from opsdesk.incidents.services import incident_transition
    from opsdesk.reference.models import ResolutionCode

    incident = incident_in(30, org)
    incident_transition(incident=incident, action="resolve", by=org.manager,
                        resolution="Restarted the spooler", is_workaround=True,
                        resolution_code=ResolutionCode.objects.get(pk="08"))
    incident_in(40, org)  # resolved for good: not a candidate
    scan()
    [candidate] = open_candidates()
    assert candidate.kind == "workaround" and candidate.incident_ids == [incident.pk]


def test_the_scan_is_idempotent_and_grows_the_open_candidate(org, rule):
    only(org, by_category=True)
    category = Category.objects.order_by("path").first()
    log(org, 3, category=category)
    assert scan().created == 1
    report = scan()
    assert (report.created, report.updated) == (0, 0)
    assert ProblemCandidate.objects.count() == 1
    log(org, 1, category=category)
    assert scan().updated == 1
    assert ProblemCandidate.objects.get().count == 4


def test_the_periodic_task_scans_at_most_every_ten_minutes(org, rule):
    only(org, by_category=True)
    category = Category.objects.order_by("path").first()
    log(org, 3, category=category)
    problem_candidates_scan.call()
    assert ProblemCandidate.objects.count() == 1
    log(org, 1, category=category)
    problem_candidates_scan.call()  # too soon: nothing
    assert ProblemCandidate.objects.get().count == 3
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        problem_candidates_scan.call()
    assert ProblemCandidate.objects.get().count == 4


def test_linked_incidents_are_not_candidates(org, rule):
    only(org, by_category=True)
    category = Category.objects.order_by("path").first()
    incidents = log(org, 3, category=category)
    services.problem_raise(by=org.manager, incidents=incidents[:1], data={})
    scan()
    assert open_candidates() == []


def test_raise_from_a_candidate(org, rule):
    only(org, by_category=True)
    category = Category.objects.order_by("path").first()
    incidents = log(org, 3, category=category)
    scan()
    [candidate] = open_candidates()
    with pytest.raises(NotPermitted):
        services.candidate_raise(candidate=candidate, by=org.desk)
    problem = services.candidate_raise(candidate=candidate, by=org.manager)
    candidate.refresh_from_db()
    assert candidate.state == "raised" and candidate.problem == problem
    assert candidate.decided_by == org.manager and candidate.open_key is None
    assert set(problem.incident_links.values_list("incident_id", flat=True)) == {
        i.pk for i in incidents}
    assert problem.short_description.startswith("Recurring incidents") or problem.short_description
    with pytest.raises(Conflict):
        services.candidate_raise(candidate=candidate, by=org.manager)
    log(org, 1, category=category)
    scan()  # the raised incidents are linked: one new incident is not a group
    assert open_candidates() == []


def test_dismiss_needs_a_reason_and_is_not_flagged_again(org, rule):
    only(org, by_category=True)
    category = Category.objects.order_by("path").first()
    log(org, 3, category=category)
    scan()
    [candidate] = open_candidates()
    with pytest.raises(InvalidInput):
        services.candidate_dismiss(candidate=candidate, by=org.manager, reason=" ")
    services.candidate_dismiss(candidate=candidate, by=org.manager, reason="Different causes")
    candidate.refresh_from_db()
    assert candidate.state == "dismissed" and candidate.dismissed_by == org.manager
    assert candidate.dismiss_reason == "Different causes"
    scan()
    assert open_candidates() == []  # the same incidents are not flagged again
    log(org, 3, category=category)
    scan()
    [again] = open_candidates()  # it recurs again past the threshold
    assert again.count == 3 and again.pk != candidate.pk


def test_rule_is_the_process_owners(org, rule):
    with pytest.raises(NotPermitted):
        services.candidate_rule_update(by=org.manager, data={"threshold": 5})
    with pytest.raises(InvalidInput) as error:
        services.candidate_rule_update(by=org.owner, data={"threshold": 0, "window_days": 999})
    assert set(error.value.errors) == {"threshold", "window_days"}
