"""Problem pages: list, raise from incidents, detail with actions, candidates, settings, the
incident page's panel; plain users get 404s; lists keep a fixed number of queries."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opsdesk.core.testing.matrix import incident_in
from opsdesk.incidents.models import Incident
from opsdesk.problems import services
from opsdesk.problems.models import CandidateRule, Problem, ProblemCandidate

from .conftest import problem_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def client_for(user) -> Client:
    client = Client(**EN)
    client.force_login(user)
    return client


def test_raise_from_incidents_on_the_page(org, incidents):
    client = client_for(org.desk)
    numbers = ",".join(i.number for i in incidents[:2])
    page = client.get("/problems/new/", {"incidents": numbers})
    assert page.status_code == 200 and incidents[1].number in page.content.decode()
    response = client.post("/problems/new/", {"incidents": numbers, "description": "Twice"})
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/problems/{problem.number}/"
    assert problem.short_description == incidents[0].short_description
    assert Incident.objects.get(pk=incidents[1].pk).related_problem == problem.number


def test_raise_with_an_unknown_incident_says_so(org):
    response = client_for(org.desk).post("/problems/new/", {"incidents": "INC199901010001"})
    assert response.status_code == 422
    assert "INC199901010001" in response.content.decode() and not Problem.objects.exists()


def test_list_filters_and_a_fixed_number_of_queries(org, incidents):
    problem_make(org, incidents=incidents[:1], short_description="VPN drops")
    problem_make(org, short_description="Printer jams", owner_group=org.groups["APP2"])
    client = client_for(org.engineer)
    page = client.get("/problems/", {"q": "vpn"}).content.decode()
    assert "VPN drops" in page and "Printer jams" not in page
    page = client.get("/problems/", {"group": org.groups["APP2"].pk}).content.decode()
    assert "Printer jams" in page and "VPN drops" not in page
    with CaptureQueriesContext(connection) as few:
        client.get("/problems/")
    for n in range(5):
        problem_make(org, incidents=incidents, short_description=f"More {n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/problems/").status_code == 200
    assert len(many) == len(few)


def test_detail_actions_and_errors_next_to_fields(org, incidents):
    problem = problem_make(org, incidents=incidents[:2], short_description="VPN drops")
    client = client_for(org.engineer)
    page = client.get(f"/problems/{problem.number}/").content.decode()
    assert incidents[0].number in page and "Record as known error" in page
    response = client.post(f"/problems/{problem.number}/actions/known_error/",
                           {"known_error-workaround": ""})
    assert response.status_code == 422
    assert "Describe the workaround" in response.content.decode()
    response = client.post(f"/problems/{problem.number}/actions/known_error/",
                           {"known_error-workaround": "Use the TCP profile"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == "known_error" and problem.known_error_article is not None
    page = client.get(f"/problems/{problem.number}/").content.decode()
    assert problem.known_error_article.number in page and "Use the TCP profile" in page


def test_edit_link_and_unlink(org, incidents):
    problem = problem_make(org, incidents=incidents[:1], short_description="VPN drops")
    client = client_for(org.manager)
    response = client.post(f"/problems/{problem.number}/edit/", {
        "edit-short_description": "VPN drops hourly", "edit-root_cause": "Firewall timeout",
        "edit-owner_group": org.groups["NET2"].pk})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.short_description == "VPN drops hourly"
    response = client.post(f"/problems/{problem.number}/incidents/",
                           {"link-incidents": f"{incidents[1].number} {incidents[2].number}"})
    assert response.status_code == 302 and problem.incident_links.count() == 3
    response = client.post(f"/problems/{problem.number}/incidents/",
                           {"link-incidents": "INC000"})
    assert response.status_code == 422
    client.post(f"/problems/{problem.number}/incidents/{incidents[0].number}/unlink/")
    assert problem.incident_links.count() == 2


def test_plain_users_and_outsiders_get_404(org, incidents):
    problem = problem_make(org, incidents=incidents[:1])
    for person in (org.requester, org.admin):
        client = client_for(person)
        for path in ("/problems/", "/problems/new/", f"/problems/{problem.number}/",
                     "/problems/candidates/"):
            assert client.get(path).status_code == 404, (person, path)
        assert client.post(f"/problems/{problem.number}/actions/investigate/").status_code == 404
    # The desk reads problems but does not work them, nor sees the candidates.
    desk = client_for(org.desk)
    assert desk.get("/problems/candidates/").status_code == 404
    assert desk.post(f"/problems/{problem.number}/actions/investigate/").status_code == 403
    assert "Start investigating" not in desk.get(f"/problems/{problem.number}/").content.decode()


def test_candidates_page_raise_and_dismiss(org):
    from opsdesk.core.testing.factories import ServiceFactory
    from opsdesk.problems.tests.test_candidates import log, only

    services.candidate_rule_update(by=org.owner, data={"threshold": 2})
    only(org, by_service=True)
    mail, web = ServiceFactory(code="MAIL"), ServiceFactory(code="WEB")
    log(org, 3, service=mail)
    log(org, 3, service=web)
    services.candidates_scan(force=True)
    client = client_for(org.manager)
    page = client.get("/problems/candidates/").content.decode()
    assert "MAIL" in page and "WEB" in page
    mail_candidate = ProblemCandidate.objects.get(key=str(mail.pk))
    web_candidate = ProblemCandidate.objects.get(key=str(web.pk))
    response = client.post(f"/problems/candidates/{mail_candidate.pk}/raise/")
    problem = Problem.objects.get()
    assert response["Location"] == f"/problems/{problem.number}/"
    assert problem.incident_links.count() == 3
    client.post(f"/problems/candidates/{web_candidate.pk}/dismiss/", {"reason": ""})
    assert ProblemCandidate.objects.get(pk=web_candidate.pk).state == "open"
    client.post(f"/problems/candidates/{web_candidate.pk}/dismiss/", {"reason": "Planned work"})
    assert ProblemCandidate.objects.get(pk=web_candidate.pk).state == "dismissed"
    page = client.get("/problems/candidates/", {"state": "dismissed"}).content.decode()
    assert "Planned work" in page


def test_settings_page_is_the_process_owners(org):
    assert client_for(org.manager).get("/settings/problems/").status_code == 403
    client = client_for(org.owner)
    assert "/settings/problems/" in client.get("/settings/").content.decode()
    response = client.post("/settings/problems/", {"is_active": "on", "threshold": "4",
                                                   "window_days": "14", "by_text": "on"})
    assert response.status_code == 302
    rule = CandidateRule.objects.get()
    assert (rule.threshold, rule.window_days, rule.by_text, rule.by_category) == (4, 14, True,
                                                                                  False)
    response = client.post("/settings/problems/", {"threshold": "0", "window_days": "14"})
    assert response.status_code == 422


def test_incident_panel(org, incidents):
    problem = problem_make(org, incidents=incidents[:1], short_description="VPN drops")
    page = client_for(org.desk).get(f"/incidents/{incidents[0].number}/").content.decode()
    assert problem.number in page and f"/problems/new/?incidents={incidents[0].number}" in page
    page = client_for(org.requester).get(f"/incidents/{incidents[0].number}/").content.decode()
    assert f"/problems/{problem.number}/" not in page and "/problems/new/" not in page
