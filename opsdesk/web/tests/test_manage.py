"""The incident manager's overview: who sees it, what it counts, and where each number leads."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from opsdesk.core.testing.factories import incident_factory
from opsdesk.core.testing.matrix import ALLOW, DENY, incident_in
from opsdesk.incidents.models import Incident
from opsdesk.incidents.refs import resolve_refs
from opsdesk.incidents.services import incident_transition

ROLES = ["requester", "desk", "engineer", "manager", "owner", "admin"]
ACCESS = {"requester": DENY, "desk": DENY, "engineer": DENY, "manager": ALLOW, "owner": ALLOW,
          "admin": DENY}


def browser(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def links(page: str) -> dict[str, str]:
    """Every link's address → its text (tags stripped), as a person sees the numbers."""
    found = re.findall(r'<a[^>]*href="([^"]+)"[^>]*>(.*?)</a>', page, re.S)
    words = [(href.replace("&amp;", "&"), re.sub(r"<[^>]+>", " ", text).split())
             for href, text in found]
    return {href: next((w for w in text if w.isdigit()), "") for href, text in words}


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_and_process_owners_see_the_overview(org, role):
    response = browser(getattr(org, role)).get("/manage/")
    assert response.status_code == (200 if ACCESS[role] == ALLOW else 403)
    nav = browser(getattr(org, role)).get("/portal/").content.decode()
    assert ('href="/manage/"' in nav) == (ACCESS[role] == ALLOW)


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get("/manage/")["Location"].startswith("/login/")


@pytest.fixture
def backlog(org):
    """Open incidents in NET2 (P2, P3 twice), APP2 (P3), one unassigned P4, plus a closed one."""
    net2, app2 = org.groups["NET2"], org.groups["APP2"]
    made = []
    for impact, urgency, group in ((2, 2, net2), (3, 3, net2), (3, 3, net2), (3, 3, app2),
                                   (4, 4, None)):
        incident = incident_factory(by=org.desk, requester=org.requester,
                                    **resolve_refs({"impact": impact, "urgency": urgency}))
        if group is not None:
            incident = incident_transition(incident=incident, action="assign", by=org.desk,
                                           assignment_group=group)
        made.append(incident)
    incident_in(50, org)  # closed: not in the backlog
    return made


def test_backlog_by_group_and_priority_links_each_number(org, backlog):
    page = browser(org.manager).get("/manage/").content.decode()
    found = links(page)
    assert found["/work/open/?priority=2&group=NET2"] == "1"
    assert found["/work/open/?priority=3&group=NET2"] == "2"
    assert found["/work/open/?priority=3&group=APP2"] == "1"
    assert found["/work/unassigned/?priority=4"] == "1"
    assert found["/work/open/?group=NET2"] == "3"  # row total
    assert found["/work/open/?priority=3"] == "3"  # column total
    assert found["/work/open/"] == "5"  # open incidents, and the grand total
    assert found["/work/unassigned/"] == "1"
    assert "/work/open/?priority=1&group=NET2" not in found  # an empty cell is no link


def test_status_counts_stale_and_reopened(org, backlog):
    resolved = incident_in(40, org)
    reopened = incident_transition(incident=resolved, action="reopen", by=org.manager,
                                   reason="It came back")
    old = timezone.now() - timedelta(hours=30)
    Incident.objects.filter(pk__in=[backlog[0].pk, backlog[1].pk]).update(updated_at=old)
    incident_in(40, org)  # resolved, awaiting confirmation
    found = links(browser(org.manager).get("/manage/").content.decode())
    assert found["/work/open/?reopened=1"] == "1"
    assert found["/work/open/?stale_hours=24"] == "2"
    assert found["/work/open/?status=assigned"] == "4"
    assert found["/work/open/?status=in_progress"] == "1"
    assert found["/work/open/?status=logged"] == "1"
    assert found["/work/open/?status=resolved"] == "1"
    assert found["/work/open/?status=pending"] == "0"
    assert reopened.reopen_count == 1
    # N is chosen on the page
    found = links(browser(org.manager).get("/manage/", {"stale_hours": "48"}).content.decode())
    assert found["/work/open/?stale_hours=48"] == "0"


def test_bad_stale_hours_is_told_next_to_the_field(org, backlog):
    response = browser(org.manager).get("/manage/", {"stale_hours": "-3"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "has-error" in page and "greater than or equal to 1" in page
    assert "/work/open/?stale_hours=24" in page  # the figures keep the default


def test_overview_costs_the_same_few_queries_however_big(org, backlog,
                                                         django_assert_max_num_queries):
    manager = browser(org.manager)
    manager.get("/manage/")  # warm the in-memory lookups
    with django_assert_max_num_queries(6):
        manager.get("/manage/")
    for group in ("NET3", "APP2", "DESK"):
        incident = incident_factory(by=org.desk, requester=org.requester,
                                    **resolve_refs({"impact": 1, "urgency": 1}))
        incident_transition(incident=incident, action="assign", by=org.desk,
                            assignment_group=org.groups[group])
    with django_assert_max_num_queries(6):
        page = manager.get("/manage/").content.decode()
    assert links(page)["/work/open/?priority=1&group=NET3"] == "1"


def test_empty_backlog(org):
    page = browser(org.owner).get("/manage/").content.decode()
    assert "No open incidents." in page


def test_each_number_opens_a_queue_with_that_many_incidents(org, backlog):
    resolved = incident_in(40, org)
    incident_transition(incident=resolved, action="reopen", by=org.manager, reason="Back")
    Incident.objects.filter(pk=backlog[0].pk).update(
        updated_at=timezone.now() - timedelta(hours=30))
    manager = browser(org.manager)
    found = links(manager.get("/manage/").content.decode())
    numbered = {href: n for href, n in found.items()
                if href.startswith("/work/") and n.isdigit()}
    assert len(numbered) >= 12
    for href, n in numbered.items():
        queue = manager.get(href)
        assert queue.status_code == 200, href
        rows = queue.content.decode().count('href="/incidents/INC')
        assert rows == int(n), f"{href}: the overview says {n}, the queue lists {rows}"
