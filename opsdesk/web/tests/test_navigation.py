"""The top bar: each person finds their parts, and an approver sees what waits for them."""

import pytest
from django.urls import reverse

from opsdesk.catalog.services import request_order
from opsdesk.catalog.tests.conftest import catalog  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _nav(client, user) -> str:
    client.force_login(user)
    html = client.get(reverse("web:portal"), **EN).content.decode()
    return html[html.index('<nav class="nav"'):html.index("</nav>")]


def test_a_user_finds_the_portal_parts_and_no_staff_parts(client, org):
    nav = _nav(client, org.requester)
    for label in ("My incidents", "Report an incident", "Request a service", "Help"):
        assert label in nav
    for label in ("Workspace", "Knowledge base", "Approvals"):
        assert label not in nav


def test_staff_find_the_knowledge_base(client, org):
    nav = _nav(client, org.engineer)
    assert "Knowledge base" in nav and reverse("web:kb") in nav


def test_an_approver_sees_how_many_requests_wait(client, org, catalog):  # noqa: F811
    assert "Approvals" not in _nav(client, catalog.boss)
    for why in ("Diagrams", "Plans"):
        request_order(by=org.requester, request_type=catalog.software,
                      answers={"software": "visio", "why": why})
    nav = _nav(client, catalog.boss)
    assert reverse("web:approvals") in nav
    assert '<span class="badge">2</span>' in nav
    assert "Approvals" not in _nav(client, org.requester)


def test_every_page_has_the_search_box(client, org):
    client.force_login(org.requester)
    html = client.get(reverse("web:portal"), **EN).content.decode()
    assert f'action="{reverse("web:search")}"' in html and 'name="q"' in html
