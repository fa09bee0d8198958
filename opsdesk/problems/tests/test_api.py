"""The problems API: raise from incidents, read, change, act, link, candidates; 4xx answers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.api.tests.conftest import ApiClient
from opsdesk.core.testing.factories import ServiceFactory
from opsdesk.incidents.models import Incident
from opsdesk.problems import services
from opsdesk.problems.models import ProblemCandidate

from .conftest import problem_make

EN = {"Accept-Language": "en"}


@pytest.fixture
def api(org):
    return type("Clients", (), {name: ApiClient(user) for name, user in org.people.items()})


def test_raise_read_update_and_act(api, org, incidents):
    created = api.desk.post("/problems", {"incidents": [i.number for i in incidents],
                                          "description": "Tunnel drops", "priority": 2})
    assert created.status_code == 201, created.json()
    body = created.json()
    number = body["number"]
    assert body["status"] == "new" and body["owner_group"]["code"] == "NET2"
    assert body["priority"] == 2 and body["incident_count"] == 3
    assert [i["number"] for i in body["incidents"]] == [i.number for i in incidents]
    assert body["allowed_actions"] == []  # the desk raises, it does not work problems
    assert Incident.objects.get(pk=incidents[0].pk).related_problem == number
    changed = api.engineer.patch(f"/problems/{number}", {"root_cause": "Firewall timeout",
                                                         "assignee": "engineer"})
    assert changed.status_code == 200 and changed.json()["assignee"] == "engineer"
    assert "known_error" in changed.json()["allowed_actions"]
    acted = api.engineer.post(f"/problems/{number}/transitions",
                              {"action": "known_error", "workaround": "Use TCP"})
    assert acted.status_code == 200
    assert acted.json()["status"] == "known_error" and acted.json()["known_error_article"]
    resolved = api.manager.post(f"/problems/{number}/transitions",
                                {"action": "resolve", "resolution": "Firewall upgraded"})
    assert resolved.json()["status"] == "resolved"
    history = api.manager.get(f"/problems/{number}/history").json()
    assert [e["kind"] for e in history][-2:] == ["transition", "notified"]


def test_list_and_get_with_a_fixed_number_of_queries(api, org, incidents):
    problem_make(org, incidents=incidents, short_description="VPN")
    api.engineer.get("/problems")  # the token's first use writes its last-used time
    with CaptureQueriesContext(connection) as few:
        api.engineer.get("/problems", status="open")
    for n in range(4):
        problem_make(org, incidents=incidents, short_description=f"Other {n}")
    with CaptureQueriesContext(connection) as many:
        page = api.engineer.get("/problems", status="open").json()
    assert page["total"] == 5 and len(many) == len(few)
    assert all(p["incident_count"] == 3 for p in page["items"])
    assert api.engineer.get("/problems", q="vpn").json()["total"] == 1
    assert api.engineer.get("/problems", q=incidents[0].number).json()["total"] == 5
    assert api.engineer.get("/problems", owner_group="APP2").json()["total"] == 0
    assert api.engineer.get("/problems", status="bogus").status_code == 422


def test_link_and_unlink(api, org, incidents):
    problem = problem_make(org, incidents=incidents[:1])
    path = f"/problems/{problem.number}/incidents"
    linked = api.desk.post(path, {"incidents": [incidents[1].number]})
    assert linked.status_code == 200 and linked.json()["incident_count"] == 2
    assert api.desk.delete(f"{path}/{incidents[1].number}").status_code == 403
    unlinked = api.manager.delete(f"{path}/{incidents[1].number}")
    assert unlinked.status_code == 200 and unlinked.json()["incident_count"] == 1
    assert api.manager.post(path, {"incidents": ["INC000"]}).status_code == 404


def test_bad_input_and_permissions(api, org, incidents):
    response = api.desk.post("/problems", {"short_description": "x", "number": "PRB1"}, **EN)
    assert response.status_code == 422 and "number" in response.json()["errors"]
    response = api.desk.post("/problems", {"short_description": "x", "owner_group": "NOPE"},
                             **EN)
    assert response.status_code == 422 and "owner_group" in response.json()["errors"]
    response = api.desk.post("/problems", {}, **EN)
    assert response.status_code == 422 and "short_description" in response.json()["errors"]
    problem = problem_make(org, incidents=incidents[:1])
    for person in (api.requester, api.admin):
        assert person.get(f"/problems/{problem.number}").status_code == 404
        assert person.get("/problems").status_code == 404
        assert person.post("/problems", {"short_description": "x"}).status_code == 403
    assert api.other_engineer.post(f"/problems/{problem.number}/transitions",
                                   {"action": "investigate"}).status_code == 403
    response = api.manager.post(f"/problems/{problem.number}/transitions",
                                {"action": "resolve"}, **EN)
    assert response.status_code == 422 and "resolution" in response.json()["errors"]
    response = api.manager.post(f"/problems/{problem.number}/transitions",
                                {"action": "reopen", "reason": "x"})
    assert response.status_code == 409


def test_candidates(api, org):
    from opsdesk.problems.tests.test_candidates import log, only

    only(org, by_service=True)
    services.candidate_rule_update(by=org.owner, data={"threshold": 2})
    mail, web = ServiceFactory(code="MAIL"), ServiceFactory(code="WEB")
    log(org, 3, service=mail)
    log(org, 3, service=web)
    services.candidates_scan(force=True)
    assert api.desk.get("/problems/candidates").status_code == 404
    page = api.manager.get("/problems/candidates").json()
    assert page["total"] == 2 and all(c["count"] == 3 for c in page["items"])
    assert all(len(c["incidents"]) == 3 for c in page["items"])
    mail_id = ProblemCandidate.objects.get(key=str(mail.pk)).pk
    web_id = ProblemCandidate.objects.get(key=str(web.pk)).pk
    raised = api.manager.post(f"/problems/candidates/{mail_id}/raise",
                              {"short_description": "Mail keeps failing"})
    assert raised.status_code == 201 and raised.json()["incident_count"] == 3
    assert raised.json()["short_description"] == "Mail keeps failing"
    assert api.manager.post(f"/problems/candidates/{mail_id}/raise").status_code == 409
    assert api.manager.post(f"/problems/candidates/{web_id}/dismiss",
                            {"reason": " "}).status_code == 422
    dismissed = api.owner.post(f"/problems/candidates/{web_id}/dismiss", {"reason": "Planned"})
    assert dismissed.json()["state"] == "dismissed" and dismissed.json()["decided_by"] == "owner"
    assert api.manager.get("/problems/candidates", state="raised").json()["total"] == 1
    assert api.manager.get("/problems/candidates/999999/raise").status_code in (404, 405)
