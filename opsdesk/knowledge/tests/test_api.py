"""The knowledge API: the whole lifecycle, feedback and links, and the 4xx answers."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.api.tests.conftest import ApiClient
from opsdesk.core.testing.factories import ServiceFactory
from opsdesk.core.testing.matrix import incident_in
from opsdesk.incidents.choices import Status
from opsdesk.knowledge.models import Deflection, IncidentArticle

from .conftest import article_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def api(org):
    return type("Clients", (), {name: ApiClient(user) for name, user in org.people.items()})


def test_write_review_publish_and_read(api, org):
    ServiceFactory(code="VPN", name_en="VPN")
    created = api.desk.post("/knowledge/articles", {
        "title": "VPN 连接后无法访问内网", "body": "1. 断开 VPN\n2. 重新连接", "service": "VPN",
        "visibility": "public", "keywords": "vpn 内网", "reviewer": "engineer"})
    assert created.status_code == 201, created.json()
    number = created.json()["number"]
    assert created.json()["status"] == "draft" and "<ol>" in created.json()["body_html"]
    assert api.requester.get(f"/knowledge/articles/{number}").status_code == 404
    assert api.desk.post(f"/knowledge/articles/{number}/submit").json()["status"] == "review"
    assert [a["number"] for a in api.engineer.get("/knowledge/review-queue").json()] == [number]
    assert api.manager.post(f"/knowledge/articles/{number}/approve").status_code == 404  # unseen
    published = api.engineer.post(f"/knowledge/articles/{number}/approve")
    assert published.json()["status"] == "published"
    assert published.json()["published_version"] == 1
    page = api.requester.get("/knowledge/articles", q="内网").json()
    assert [a["number"] for a in page["items"]] == [number] and page["total"] is None


def test_update_diff_and_versions(api, org, published):
    path = f"/knowledge/articles/{published.number}"
    changed = api.engineer.patch(path, {"body": "Replace the toner cartridge.", "note": "more"})
    assert changed.json()["revision_status"] == "draft"
    assert changed.json()["working_version"] == 2 and changed.json()["published_version"] == 1
    versions = api.engineer.get(f"{path}/versions").json()
    assert [(v["number"], v["published"]) for v in versions] == [(2, False), (1, True)]
    diff = api.engineer.get(f"{path}/diff", old=1, new=2).json()
    assert "+Replace the toner cartridge." in diff["unified"]


def test_bad_input_is_422_with_field_errors(api):
    response = api.desk.post("/knowledge/articles", {"title": "x", "category": "NOPE",
                                                     "number": "KB1"}, **EN)
    assert response.status_code == 422
    assert "number" in response.json()["errors"]
    response = api.desk.post("/knowledge/articles", {"title": "x", "category": "NOPE",
                                                     "reviewer": "ghost"})
    assert set(response.json()["errors"]) == {"category", "reviewer"}
    response = api.desk.post("/knowledge/articles", {"title": "x", "type": "known_error"})
    assert response.status_code == 422 and "workaround" in response.json()["errors"]


def test_roles_and_states_give_403_404_409(api, org, published, internal):
    assert api.requester.post("/knowledge/articles", {"title": "x"}).status_code == 403
    assert api.requester.get(f"/knowledge/articles/{internal.number}").status_code == 404
    assert api.desk.post(f"/knowledge/articles/{published.number}/submit").status_code == 409
    assert api.desk.post(f"/knowledge/articles/{published.number}/reject",
                         {"reason": "x"}).status_code == 409
    assert api.engineer.post(f"/knowledge/articles/{published.number}/retire").status_code == 403
    assert api.desk.get("/knowledge/articles/KB999999").status_code == 404


def test_feedback_link_and_deflection(api, org, published):
    incident = incident_in(Status.IN_PROGRESS, org)
    path = f"/knowledge/articles/{published.number}"
    assert api.requester.post(f"{path}/feedback", {"kind": "helpful"}).status_code == 201
    assert api.requester.post(f"{path}/feedback", {"kind": "solved_it"}).status_code == 403
    assert api.desk.post(f"{path}/feedback", {"kind": "solved_it",
                                              "incident": incident.number}).status_code == 201
    linked = api.engineer.post(f"{path}/incidents", {"incident": incident.number})
    assert linked.status_code == 201 and linked.json()["resolved_by"] is True
    assert api.requester.post(f"{path}/incidents",
                              {"incident": incident.number}).status_code in (403, 404)
    assert api.requester.post(f"{path}/deflections", {"query": "toner"}).status_code == 201
    counts = api.desk.get(path).json()["counts"]
    assert counts == {"view": 0, "solved": 1, "helpful": 1, "not_helpful": 0,
                      "resolved_incident": 1, "deflection": 1}
    assert Deflection.objects.get().channel == "api"


def test_from_incident(api, org):
    incident = incident_in(Status.RESOLVED, org)
    response = api.engineer.post(f"/knowledge/from-incident/{incident.number}")
    assert response.status_code == 201
    assert IncidentArticle.objects.get(incident=incident).article.number == \
        response.json()["number"]
    unresolved = incident_in(Status.IN_PROGRESS, org)
    assert api.engineer.post(f"/knowledge/from-incident/{unresolved.number}").status_code == 422


def test_attachments_of_internal_articles_stay_with_staff(api, org, internal, media):
    upload = SimpleUploadedFile("spooler.txt", b"net stop spooler", content_type="text/plain")
    response = api.desk.upload(f"/knowledge/articles/{internal.number}/attachments", upload)
    assert response.status_code == 201
    url = response.json()["url"].removeprefix("/api/v1")
    assert api.engineer.get(url).status_code == 200
    assert api.requester.get(url).status_code == 404


def test_list_has_no_n_plus_one(api, org):
    for i in range(3):
        article_make(org, status="published", title=f"Article {i}")
    api.requester.get("/knowledge/articles")  # warm the token and lookups
    with CaptureQueriesContext(connection) as few:
        api.requester.get("/knowledge/articles")
    for i in range(6):
        article_make(org, status="published", title=f"More {i}", by=org.engineer)
    with CaptureQueriesContext(connection) as many:
        response = api.requester.get("/knowledge/articles")
    assert response.json()["total"] == 9
    assert len(many.captured_queries) == len(few.captured_queries)
