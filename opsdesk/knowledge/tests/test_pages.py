"""The knowledge pages: staff list, article, editor, review, diff; portal help; incident panel."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opsdesk.core.testing.matrix import incident_in
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident
from opsdesk.knowledge.models import Article, Deflection, IncidentArticle

from .conftest import article_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def client_for(user) -> Client:
    client = Client(**EN)
    client.force_login(user)
    return client


def test_staff_list_search_and_article_page(org, published, internal):
    cache.clear()  # an earlier test's reading of an article with the same ids is remembered
    client = client_for(org.engineer)
    page = client.get("/kb/", {"q": "spooler"})
    assert page.status_code == 200
    assert internal.number in page.content.decode() and published.number not in page.content.decode()
    page = client.get(f"/kb/{published.number}/")
    assert page.status_code == 200 and "<strong>toner</strong>" in page.content.decode()
    assert Article.objects.get(pk=published.pk).view_count == 1


def test_a_user_cannot_see_an_internal_article(org, internal, published):
    client = client_for(org.requester)
    assert client.get(f"/help/{internal.number}/").status_code == 404
    assert client.get(f"/kb/{internal.number}/").status_code == 302  # to /help/, which is 404
    assert client.get(f"/help/{published.number}/").status_code == 200
    listing = client.get("/help/").content.decode()
    assert published.title in listing and internal.title not in listing


def test_pages_need_sign_in(published):
    assert Client().get("/help/").status_code == 302
    assert Client().get(f"/kb/{published.number}/").status_code == 302


def test_write_preview_submit_approve_in_the_browser(org):
    desk = client_for(org.desk)
    bad = desk.post("/kb/new/", {"title": "", "type": "known_error", "language": "en",
                                 "visibility": "public"})
    assert bad.status_code == 422 and "This field is required" in bad.content.decode()
    known = desk.post("/kb/new/", {"title": "Outlook 2016 crashes", "type": "known_error",
                                   "language": "en", "visibility": "public", "body": "x"})
    assert known.status_code == 422 and "needs its workaround" in known.content.decode()
    preview = desk.post("/kb/preview/", {"body": "**bold** <script>x()</script>"})
    assert "<strong>bold</strong>" in preview.content.decode()
    assert "<script" not in preview.content.decode()
    done = desk.post("/kb/new/", {"title": "Wi-Fi: connect to CORP", "type": "howto",
                                  "language": "en", "visibility": "public", "body": "1. Open"})
    article = Article.objects.get(title="Wi-Fi: connect to CORP")
    assert done.status_code == 302 and done["Location"] == f"/kb/{article.number}/"
    desk.post(f"/kb/{article.number}/do/submit/")
    assert desk.post(f"/kb/{article.number}/do/approve/").status_code == 403
    owner = client_for(org.owner)
    assert "Wi-Fi: connect to CORP" in owner.get("/kb/review/").content.decode()
    rejected = owner.post(f"/kb/{article.number}/do/reject/", {"reason": ""})
    assert rejected.status_code == 422
    owner.post(f"/kb/{article.number}/do/approve/")
    assert Article.objects.get(pk=article.pk).status == "published"


def test_versions_page_shows_an_escaped_diff(org, published):
    client = client_for(org.desk)
    client.post(f"/kb/{published.number}/edit/", {
        "title": published.title, "type": "solution", "language": "zh-hans",
        "visibility": "public", "body": "Replace the <b>toner</b> and the drum."})
    page = client.get(f"/kb/{published.number}/versions/", {"old": 1, "new": 2})
    html = page.content.decode()
    assert page.status_code == 200 and "&lt;b&gt;toner&lt;/b&gt;" in html
    assert client.get(f"/kb/{published.number}/versions/", {"old": 1, "new": 7}).status_code == 422


def test_deflection_from_the_portal_creates_no_incident(org, published):
    client = client_for(org.requester)
    before = Incident.objects.count()
    page = client.post(f"/help/{published.number}/solved/", {"q": "blank pages"})
    assert page.status_code == 200 and "No incident was reported" in page.content.decode()
    assert Deflection.objects.get().query == "blank pages"
    assert Incident.objects.count() == before
    client.post(f"/kb/{published.number}/feedback/", {"kind": "helpful"})
    assert Article.objects.get(pk=published.pk).helpful_count == 1


def test_incident_panel_links_marks_and_drafts(org, published):
    incident = incident_in(Status.RESOLVED, org)
    desk = client_for(org.desk)
    page = desk.get(f"/incidents/{incident.number}/").content.decode()
    assert "Create an article from this resolution" in page
    desk.post(f"/incidents/{incident.number}/kb/link/", {"article": published.number.lower()})
    page = desk.get(f"/incidents/{incident.number}/").content.decode()
    assert published.title in page
    desk.post(f"/incidents/{incident.number}/kb/link/", {"article": published.number,
                                                         "resolved_by": "on"})
    assert IncidentArticle.objects.get(incident=incident).resolved_by
    drafted = desk.post(f"/incidents/{incident.number}/kb/draft/")
    assert drafted.status_code == 302 and "/edit/" in drafted["Location"]
    requester_page = client_for(org.requester).get(f"/incidents/{incident.number}/")
    assert "Create an article" not in requester_page.content.decode()
    assert client_for(org.requester).post(f"/incidents/{incident.number}/kb/link/", {
        "article": published.number}).status_code == 302  # to /help/: not staff
    assert IncidentArticle.objects.filter(incident=incident).count() == 2


def test_staff_list_has_no_n_plus_one(org):
    client = client_for(org.owner)
    article_make(org, status="published")
    client.get("/kb/")
    with CaptureQueriesContext(connection) as few:
        client.get("/kb/")
    for i in range(5):
        article_make(org, status="review", title=f"More {i}", by=org.engineer)
    with CaptureQueriesContext(connection) as many:
        client.get("/kb/")
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("path", ["/kb/new/", "/kb/review/"])
def test_plain_users_are_sent_to_help(org, path):
    response = client_for(org.requester).get(path)
    assert response.status_code == 302 and response["Location"] == "/help/"
