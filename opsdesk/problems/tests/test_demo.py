"""The demo company's problems: raised through the services from the demo's incidents."""

import pytest

from opsdesk.demo.problems import problems_seed
from opsdesk.demo.services import demo_company_create
from opsdesk.problems.models import Problem


@pytest.mark.django_db
def test_demo_problems_one_investigating_one_known_error():
    demo_company_create(incidents=60, seed=3)  # calls problems_seed()
    assert Problem.objects.count() == 2
    assert problems_seed() == 0  # safe to run again
    vpn, printer = Problem.objects.order_by("pk")
    assert vpn.status == "investigating" and vpn.owner_group.code == "NET"
    assert vpn.assignee.username == "engineer" and vpn.root_cause
    assert printer.status == "known_error"
    assert printer.known_error_article.status == "published"
    assert printer.known_error_article.problem_reference == printer.number
    for problem in (vpn, printer):
        for link in problem.incident_links.select_related("incident"):
            assert link.incident.related_problem == problem.number
