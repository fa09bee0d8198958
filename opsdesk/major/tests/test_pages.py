"""Pages: the list, the major-incident page (and its cost with 20 children), the panels, the
portal's "Affects me too", the rules page. Checked as a person reads them (in English)."""

import pytest
from django.test import Client

from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_transition
from opsdesk.major.models import AffectedPerson, MajorCriteria, MajorState
from opsdesk.major.services import major_children_link, major_propose, major_update_post

from .helpers import declared, outage, resolve_params


def client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_list_and_page_show_the_major_incident(org):
    major = declared(org, cadence_minutes=15)
    page = client_for(org.desk).get("/major/")
    assert page.status_code == 200 and major.incident.number in page.content.decode()
    page = client_for(org.desk).get(f"/major/{major.incident.number}/")
    text = page.content.decode()
    assert "Next update due" in text and "every 15 min" in text and "Post update" in text
    assert client_for(org.requester).get("/major/").status_code == 403
    assert client_for(org.desk).get("/major/INC000/").status_code == 404


def test_post_update_and_errors_from_the_page(org):
    major = declared(org)
    client = client_for(org.manager)
    url = f"/major/{major.incident.number}/updates/"
    response = client.post(url, {"text": "", "is_public": "on"})
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    response = client.post(url, {"text": "DB failover done", "is_public": "on"}, follow=True)
    assert "DB failover done" in response.content.decode()
    assert client_for(org.engineer).post(url, {"text": "x"}).status_code in (403, 404)


def test_propose_from_the_incident_page_and_promote(org):
    incident = outage(org)
    desk = client_for(org.desk)
    page = desk.get(f"/incidents/{incident.number}/").content.decode()
    assert "Propose as a major incident" in page
    desk.post(f"/incidents/{incident.number}/major/propose/", {"reason": "Finance is down"})
    page = desk.get(f"/incidents/{incident.number}/").content.decode()
    assert "Candidate" in page and "Finance is down" in page
    manager = client_for(org.manager)
    response = manager.post(f"/major/{incident.number}/declare/",
                            {"manager": org.manager.pk, "cadence_minutes": 20})
    assert response.status_code == 302
    page = manager.get(f"/major/{incident.number}/").content.decode()
    assert "Declared" in page and "every 20 min" in page


def test_portal_shows_outage_and_affects_me_too_is_one_idempotent_click(org):
    major = declared(org)
    major_update_post(major=major, by=org.manager, text="Mail is slow; we are on it")
    user = client_for(org.outsider)
    portal = user.get("/portal/").content.decode()
    assert "Known outages" in portal and "Mail is slow; we are on it" in portal
    url = f"/incidents/{major.incident.number}/affected/"
    user.post(url, {"next": "/portal/"})
    user.post(url, {"next": "https://evil.example/"})
    assert AffectedPerson.objects.filter(incident=major.incident).count() == 1
    portal = user.get("/portal/").content.decode()
    assert "You are counted as affected" in portal
    assert "Affects me too" not in portal


def test_rules_page_for_the_process_owner(org):
    owner = client_for(org.owner)
    assert client_for(org.manager).get("/settings/major/").status_code == 403
    data = {"rules-TOTAL_FORMS": "2", "rules-INITIAL_FORMS": "0",
            "rules-0-kind": "cluster", "rules-0-action": "propose", "rules-0-count": "1",
            "rules-0-window_minutes": "10", "rules-0-cadence_minutes": "30",
            "rules-0-is_active": "on", "rules-1-kind": "", "rules-1-action": "propose",
            "rules-1-cadence_minutes": "30"}
    response = owner.post("/settings/major/", data)
    assert response.status_code == 422 and "at least 2" in response.content.decode()
    data["rules-0-count"] = "4"
    assert owner.post("/settings/major/", data).status_code == 302
    assert MajorCriteria.objects.get().count == 4


def test_not_a_toy_twenty_children(org, django_assert_max_num_queries):
    """A master with 20 child reports: the page costs what it costs with 2, and resolving the
    master resolves all 20 right."""
    major = declared(org)
    desk = client_for(org.desk)
    few = [outage(org, requester=org.colleague) for _ in range(2)]
    major_children_link(major=major, by=org.manager, children=few)
    major_update_post(major=major, by=org.manager, text="Investigating")
    url = f"/major/{major.incident.number}/"
    desk.get(url)  # warm the lookups
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert desk.get(url).status_code == 200
    more = [outage(org, requester=org.colleague) for _ in range(18)]
    major_children_link(major=major, by=org.manager, children=more)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = desk.get(url)
    assert page.content.decode().count("/unlink/") == 20
    incident_transition(incident=major.incident, action="resolve", by=org.manager,
                        **resolve_params())
    children = Incident.objects.filter(parent=major.incident)
    assert children.count() == 20
    assert set(children.values_list("status", flat=True)) == {Status.RESOLVED}
    assert all(major.incident.number in c.resolution for c in children)
    major.refresh_from_db()
    assert major.state == MajorState.RESOLVED


def test_panel_costs_nothing_for_requesters(org, django_assert_max_num_queries):
    incident = outage(org)
    major_propose(incident=incident, by=org.desk, reason="ERP")
    page = client_for(org.requester).get(f"/incidents/{incident.number}/").content.decode()
    assert "major-panel" not in page


def test_the_timeline_reads_states_and_people_not_codes(org):
    from opsdesk.major.affected import affected_attach

    major = declared(org)
    affected_attach(incident=major.incident, user=org.outsider)
    page = client_for(org.desk).get(f"/major/{major.incident.number}/").content.decode()
    assert "from “—” to “Declared”" in page and "“declared”" not in page
    assert "added: Outsider" in page and "added: outsider" not in page
