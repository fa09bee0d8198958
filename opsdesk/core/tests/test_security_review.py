"""Regression tests for the findings of the manual security review (docs/security-review.md):
what a penetration tester did by hand against the running system, replayed."""

import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from opsdesk.accounts.services import api_token_create
from opsdesk.api.tests.conftest import ApiClient
from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.services import attachment_create
from opsdesk.intake.models import AlertIntegration, AlertPayload
from opsdesk.knowledge import services as knowledge

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def assert_not_stored(response) -> None:
    """Neither the browser nor a proxy may keep a copy of the response."""
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives, response["Cache-Control"]


# ---- finding 1: personal pages, API answers and downloads could be cached -------------------

def test_a_signed_in_page_is_not_stored(client, org):
    client.force_login(org.requester)
    response = client.get(reverse("web:portal"))
    assert response.status_code == 200
    assert_not_stored(response)


def test_an_incident_page_is_not_stored(client, org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    client.force_login(org.requester)
    response = client.get(reverse("web:incident", args=[incident.number]))
    assert response.status_code == 200
    assert_not_stored(response)


def test_an_api_answer_with_a_token_is_not_stored(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    _token, secret = api_token_create(user=org.requester)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get(
        f"/api/v1/incidents/{incident.number}")
    assert response.status_code == 200
    assert_not_stored(response)
    assert response["ETag"]  # If-Match still works: the version is sent as before


def test_an_attachment_download_is_not_stored(client, org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    attachment = attachment_create(incident=incident, by=org.requester,
                                   upload=SimpleUploadedFile("passwords.txt", b"hunter2\n"))
    client.force_login(org.requester)
    response = client.get(reverse("web:attachment", args=[incident.number, attachment.pk]))
    assert response.status_code == 200
    assert_not_stored(response)


def test_a_view_that_chooses_its_own_caching_keeps_it(client, org):
    """The export sets "private, no-store" itself; the middleware adds nothing to it."""
    client.force_login(org.manager)
    response = client.get(reverse("web:export_incidents", kwargs={"fmt": "csv"}))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


# ---- finding 2: a NUL character in the address was a 500 (PostgreSQL) -----------------------

@pytest.mark.parametrize("path", [
    "/work/?q=%00", "/work/all/?assignee=a%00b", "/work/?category=%00", "/portal/?q=%00",
    "/kb/?status=%00", "/help/?category=%00", "/problems/?q=%00", "/work/?%00=1",
    "/incidents/INC%00/", "/kb/KB%00/", "/settings/calendars/%00/",
])
def test_a_nul_character_in_a_page_address_is_a_400(client, org, path):
    client.force_login(org.admin)
    response = client.get(path, **EN)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()  # the page says what is wrong


def test_a_nul_character_in_an_api_path_is_a_400_in_the_apis_shape(org):
    _token, secret = api_token_create(user=org.desk)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get(
        "/api/v1/incidents/INC%00", **EN)
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_an_address_without_nul_is_served_as_before(client, org):
    client.force_login(org.desk)
    assert client.get("/work/?q=printer%20jam").status_code == 200


# ---- finding 3: deeply nested JSON to the public alert intake was a 500 ---------------------

@pytest.mark.django_db
def test_deeply_nested_json_to_the_alert_intake_is_a_422_and_stores_nothing(client):
    cache.clear()  # fresh rate windows
    integration = AlertIntegration(name="pentest", kind="alertmanager")
    token = integration.token_new()
    integration.save()
    body = "[" * 100_000 + "]" * 100_000  # 200 KB, under the 1 MiB limit
    response = client.post(f"/api/v1/intake/alerts/{token}", data=body,
                           content_type="application/json", **EN)
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["detail"]
    assert not AlertPayload.objects.exists()
    ok = client.post(f"/api/v1/intake/alerts/{token}", data=json.dumps({"alerts": []}),
                     content_type="application/json")
    assert ok.status_code == 202


# ---- finding 4: a requester read the unpublished revision of a public article (API) ----------

def _published_with_a_rejected_revision(org):
    """A public article, and a revision an engineer wrote that the process owner sent back."""
    article = knowledge.article_create(by=org.desk, data={
        "title": "Printer prints blank pages", "body": "Replace the toner.",
        "visibility": "public"})
    article = knowledge.article_submit(article=article, by=org.desk)
    article = knowledge.article_approve(article=article, by=org.owner)
    article = knowledge.article_update(article=article, by=org.engineer, data={
        "title": "Printer: call vendor", "body": "Admin PIN of PRN-3F is 4711."})
    article = knowledge.article_submit(article=article, by=org.engineer)
    return knowledge.article_reject(article=article, by=org.owner,
                                    reason="Never put the admin PIN in an article.")


def test_a_requester_cannot_read_an_articles_unpublished_revision(org):
    article = _published_with_a_rejected_revision(org)
    path = f"/api/v1/knowledge/articles/{article.number}"
    requester = ApiClient(org.requester).client
    detail = requester.get(path)
    assert detail.status_code == 200
    assert detail.json()["title"] == "Printer prints blank pages"
    assert "4711" not in detail.content.decode()
    assert detail.json()["review_note"] == "" and detail.json()["working_version"] is None
    assert requester.get(f"{path}/versions", **EN).status_code == 403
    diff = requester.get(f"{path}/diff", {"old": 1, "new": 2}, **EN)
    assert diff.status_code == 403 and "4711" not in diff.content.decode()


def test_support_staff_still_see_versions_and_the_review_note(org):
    article = _published_with_a_rejected_revision(org)
    path = f"/api/v1/knowledge/articles/{article.number}"
    engineer = ApiClient(org.engineer).client
    assert engineer.get(path).json()["review_note"] == "Never put the admin PIN in an article."
    assert [v["number"] for v in engineer.get(f"{path}/versions").json()] == [2, 1]
    assert "4711" in engineer.get(f"{path}/diff", {"old": 1, "new": 2}).json()["unified"]


# ---- finding 5: a file added to a published article reached every reader without review ------

def test_a_file_on_a_published_article_waits_for_review(org):
    """An engineer attaches a file to a published public article: requesters neither see nor
    download it until the article is approved again; staff see it marked."""
    article = knowledge.article_create(by=org.desk, data={
        "title": "Printer prints blank pages", "body": "Replace the toner.",
        "visibility": "public"})
    knowledge.article_submit(article=article, by=org.desk)
    knowledge.article_approve(article=article, by=org.owner)
    engineer, requester = ApiClient(org.engineer), ApiClient(org.requester).client
    path = f"/api/v1/knowledge/articles/{article.number}"
    added = engineer.upload(f"/knowledge/articles/{article.number}/attachments",
                            SimpleUploadedFile("tool.txt", b"format c:", "text/plain"))
    assert added.status_code == 201
    url = added.json()["url"]
    assert requester.get(path).json()["attachments"] == []
    assert requester.get(url).status_code == 404
    reader = Client(**EN)
    reader.force_login(org.requester)
    assert "tool.txt" not in reader.get(f"/help/{article.number}/").content.decode()
    assert engineer.client.get(path).json()["attachments"][0]["awaiting_review"] is True

    assert engineer.post(f"/knowledge/articles/{article.number}/submit").status_code == 200
    assert ApiClient(org.owner).post(
        f"/knowledge/articles/{article.number}/approve").status_code == 200
    assert [f["filename"] for f in requester.get(path).json()["attachments"]] == ["tool.txt"]
    assert requester.get(url).status_code == 200
    assert "tool.txt" in reader.get(f"/help/{article.number}/").content.decode()
