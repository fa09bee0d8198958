"""Files on articles follow the article's review like its text (security review, finding 5):
readers see a new file only once the article is next approved; staff see it marked before."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from opsdesk.api.tests.conftest import ApiClient
from opsdesk.core.exceptions import Conflict
from opsdesk.knowledge import services
from opsdesk.knowledge.models import Article, ArticleAttachment

from .conftest import article_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _media(media):
    yield media
    cache.clear()  # the pages remember readings (view counts) by ids the next test reuses


def client_for(user) -> Client:
    client = Client(**EN)
    client.force_login(user)
    return client


def upload(name="driver-setup.txt", content=b"run setup /quiet"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def refreshed(article) -> Article:
    return Article.objects.get(pk=article.pk)


def test_a_file_on_a_published_article_waits_for_review(org, published):
    file = services.article_attachment_add(article=published, by=org.engineer, upload=upload())
    assert file.awaiting_review and file.published_at is None
    article = refreshed(published)
    assert article.status == "published" and article.revision_status == "draft"

    services.article_submit(article=article, by=org.engineer)
    assert refreshed(published).revision_status == "review"
    services.article_approve(article=refreshed(published), by=org.owner)
    file.refresh_from_db()
    assert file.published_at == refreshed(published).published_at
    assert refreshed(published).revision_status == ""


def test_a_file_on_a_draft_waits_for_the_first_publication(org):
    draft = article_make(org, status="draft")
    file = services.article_attachment_add(article=draft, by=org.desk, upload=upload())
    assert refreshed(draft).status == "draft" and file.awaiting_review
    services.article_submit(article=draft, by=org.desk)
    services.article_approve(article=refreshed(draft), by=org.owner)
    file.refresh_from_db()
    assert not file.awaiting_review


def test_even_the_process_owners_file_waits_for_an_approval(org, published):
    """A text change of the process owner does not go live at once, and neither does a file."""
    file = services.article_attachment_add(article=published, by=org.owner, upload=upload())
    assert file.awaiting_review and refreshed(published).revision_status == "draft"


def test_a_file_added_in_review_follows_the_rule_of_text(org):
    """A change by someone who may not approve it sends the review back to draft; the named
    reviewer may not approve a file of their own."""
    article = article_make(org, status="review", reviewer=org.engineer)
    assert services.may_review(article=article, user=org.engineer)
    services.article_attachment_add(article=article, by=org.desk, upload=upload())
    assert refreshed(article).status == "draft"

    services.article_submit(article=refreshed(article), by=org.desk)
    services.article_attachment_add(article=refreshed(article), by=org.engineer,
                                    upload=upload("engineer.txt"))
    article = refreshed(article)
    assert article.status == "draft"
    services.article_submit(article=article, by=org.desk)
    assert not services.may_review(article=refreshed(article), user=org.engineer)
    assert services.may_review(article=refreshed(article), user=org.owner)

    services.article_attachment_add(article=refreshed(article), by=org.owner,
                                    upload=upload("owner.txt"))
    assert refreshed(article).status == "review"  # the process owner approves their own


def test_a_requester_neither_sees_nor_downloads_a_file_awaiting_review(org, published):
    """The finding, replayed through the API and the pages; then the approval publishes it."""
    staff, requester = ApiClient(org.engineer), ApiClient(org.requester)
    added = staff.upload(f"/knowledge/articles/{published.number}/attachments",
                         upload("vpn-admin-tool.txt"))
    assert added.status_code == 201 and added.json()["awaiting_review"] is True
    api_url = added.json()["url"].removeprefix("/api/v1")
    page_url = f"/kb/{published.number}/files/{added.json()['id']}/"

    detail = requester.get(f"/knowledge/articles/{published.number}")
    assert detail.json()["attachments"] == []
    assert "vpn-admin-tool" not in detail.content.decode()
    missing = requester.get(api_url)
    assert missing.status_code == 404 and "vpn-admin-tool" not in missing.content.decode()
    help_page = client_for(org.requester).get(f"/help/{published.number}/")
    assert help_page.status_code == 200 and "vpn-admin-tool" not in help_page.content.decode()
    assert client_for(org.requester).get(page_url).status_code == 404

    assert staff.get(api_url).status_code == 200
    [listed] = staff.get(f"/knowledge/articles/{published.number}").json()["attachments"]
    assert listed["filename"] == "vpn-admin-tool.txt" and listed["awaiting_review"] is True
    staff_page = client_for(org.engineer).get(f"/kb/{published.number}/").content.decode()
    assert "vpn-admin-tool.txt" in staff_page and "awaiting review" in staff_page
    assert client_for(org.engineer).get(page_url).status_code == 200

    assert staff.post(f"/knowledge/articles/{published.number}/submit").status_code == 200
    assert ApiClient(org.owner).post(
        f"/knowledge/articles/{published.number}/approve").status_code == 200
    [listed] = requester.get(f"/knowledge/articles/{published.number}").json()["attachments"]
    assert listed["filename"] == "vpn-admin-tool.txt" and listed["awaiting_review"] is False
    assert requester.get(api_url).status_code == 200
    assert "vpn-admin-tool.txt" in client_for(org.requester).get(
        f"/help/{published.number}/").content.decode()
    assert client_for(org.requester).get(page_url).status_code == 200


def test_the_reviewer_sees_the_files_the_approval_publishes(org, published):
    services.article_attachment_add(article=published, by=org.desk, upload=upload())
    services.article_submit(article=refreshed(published), by=org.desk)
    owner = client_for(org.owner)
    article_page = owner.get(f"/kb/{published.number}/").content.decode()
    assert "files awaiting review are published with its next approval" in article_page
    assert "Approve and publish" in article_page
    versions = owner.get(f"/kb/{published.number}/versions/").content.decode()
    assert "Files awaiting review" in versions and "driver-setup.txt" in versions


def test_the_diff_lists_the_pending_files(org, published):
    services.article_update(article=published, by=org.desk, data={"body": "Shake the toner."})
    services.article_attachment_add(article=refreshed(published), by=org.desk, upload=upload())
    diff = ApiClient(org.engineer).get(f"/knowledge/articles/{published.number}/diff",
                                       old=1, new=2)
    assert diff.status_code == 200
    assert [f["filename"] for f in diff.json()["pending_attachments"]] == ["driver-setup.txt"]


def test_a_retired_article_takes_no_file(org):
    retired = article_make(org, status="retired")
    with pytest.raises(Conflict):
        services.article_attachment_add(article=retired, by=org.desk, upload=upload())
    assert not ArticleAttachment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_files_attached_before_the_migration_stay_visible(org):
    """Existing files were visible to readers: the migration publishes them as of their upload."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("knowledge")
    before = [("knowledge", "0002_article_document")]
    article = article_make(org, status="published")
    try:
        executor.migrate(before)
        old_state = executor.loader.project_state(before).apps
        OldAttachment = old_state.get_model("knowledge", "ArticleAttachment")
        uploaded = timezone.now() - timedelta(days=30)
        OldAttachment.objects.create(
            article_id=article.pk, uploaded_by_id=org.desk.pk, file="knowledge/old",
            storage_key="old", filename="old-manual.pdf", content_type="application/pdf",
            size=3, sha256="0" * 64, created_at=uploaded)
        MigrationExecutor(connection).migrate(latest)

        file = ArticleAttachment.objects.get(filename="old-manual.pdf")
        assert file.published_at == uploaded and not file.awaiting_review
        [listed] = ApiClient(org.requester).get(
            f"/knowledge/articles/{article.number}").json()["attachments"]
        assert listed["filename"] == "old-manual.pdf"
    finally:
        MigrationExecutor(connection).migrate(latest)
