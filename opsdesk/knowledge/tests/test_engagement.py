"""Views, votes, incident links, drafts from incidents, deflections and files."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.core.testing.factories import incident_factory
from opsdesk.core.testing.matrix import incident_in
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.knowledge import selectors, services
from opsdesk.knowledge.models import Article, ArticleFeedback, Deflection, IncidentArticle

from .conftest import article_make


def counts(article):
    return Article.objects.values("view_count", "solved_count", "helpful_count",
                                  "not_helpful_count", "resolved_incident_count",
                                  "deflection_count").get(pk=article.pk)


def test_views_count_once_per_person_for_a_while(org, published):
    cache.clear()
    assert services.article_view_count(article=published, user=org.requester)
    assert not services.article_view_count(article=published, user=org.requester)
    services.article_view_count(article=published, user=org.colleague)
    assert counts(published)["view_count"] == 2


def test_one_vote_per_person_and_helpful_replaces_not_helpful(org, published):
    services.feedback_record(article=published, by=org.requester, kind="helpful")
    services.feedback_record(article=published, by=org.requester, kind="helpful")
    assert counts(published)["helpful_count"] == 1
    services.feedback_record(article=published, by=org.requester, kind="not_helpful")
    assert counts(published)["helpful_count"] == 0
    assert counts(published)["not_helpful_count"] == 1
    assert ArticleFeedback.objects.filter(article=published).count() == 1


def test_solved_it_is_for_staff_and_links_the_incident(org, published):
    incident = incident_in(Status.IN_PROGRESS, org)
    with pytest.raises(NotPermitted):
        services.feedback_record(article=published, by=org.requester, kind="solved_it")
    services.feedback_record(article=published, by=org.desk, kind="solved_it", incident=incident)
    services.feedback_record(article=published, by=org.desk, kind="solved_it", incident=incident)
    assert counts(published)["solved_count"] == 1
    assert counts(published)["resolved_incident_count"] == 1
    assert IncidentArticle.objects.get(incident=incident).resolved_by


def test_feedback_on_an_invisible_or_unpublished_article_is_refused(org, internal):
    with pytest.raises(NotFound):
        services.feedback_record(article=internal, by=org.requester, kind="helpful")
    with pytest.raises(Conflict):
        services.feedback_record(article=article_make(org), by=org.desk, kind="helpful")
    with pytest.raises(InvalidInput):
        services.feedback_record(article=internal, by=org.desk, kind="love")


def test_link_counts_each_resolved_incident_once_and_writes_history(org, internal):
    first = incident_in(Status.IN_PROGRESS, org)
    second = incident_in(Status.IN_PROGRESS, org)
    services.incident_article_link(incident=first, article=internal, by=org.desk)
    assert counts(internal)["resolved_incident_count"] == 0
    services.incident_article_link(incident=first, article=internal, by=org.desk,
                                   resolved_by=True)
    services.incident_article_link(incident=first, article=internal, by=org.desk,
                                   resolved_by=True)
    services.incident_article_link(incident=second, article=internal, by=org.engineer,
                                   resolved_by=True)
    assert counts(internal)["resolved_incident_count"] == 2
    entries = IncidentEvent.objects.filter(incident=first, field="knowledge_article")
    assert entries.count() == 2 and all(e.is_internal for e in entries)
    links = selectors.incident_articles(user=org.desk, incident=first)
    assert [link.article.pk for link in links] == [internal.pk]
    assert selectors.incident_articles(user=org.requester, incident=first) == []


def test_only_staff_who_see_the_incident_link(org, published):
    incident = incident_factory(by=org.requester)
    with pytest.raises(NotPermitted):
        services.incident_article_link(incident=incident, article=published, by=org.requester)
    with pytest.raises(NotFound):  # the other engineer's group does not have it
        services.incident_article_link(incident=incident, article=published,
                                       by=org.other_engineer)
    with pytest.raises(Conflict):
        services.incident_article_link(incident=incident, article=article_make(
            org, status="retired"), by=org.desk)


def test_unlink_keeps_a_resolving_link(org, published):
    incident = incident_in(Status.IN_PROGRESS, org)
    services.incident_article_link(incident=incident, article=published, by=org.desk)
    services.incident_article_unlink(incident=incident, article=published, by=org.desk)
    assert not IncidentArticle.objects.exists()
    services.incident_article_link(incident=incident, article=published, by=org.desk,
                                   resolved_by=True)
    with pytest.raises(Conflict):
        services.incident_article_unlink(incident=incident, article=published, by=org.desk)


def test_article_from_a_resolved_incident(org):
    incident = incident_in(Status.RESOLVED, org)
    Incident.objects.filter(pk=incident.pk).update(description="Nothing prints on floor 3")
    incident.refresh_from_db()
    article = services.article_from_incident(incident=incident, by=org.engineer)
    assert article.status == "draft" and article.visibility == "internal"
    assert article.title == incident.short_description
    assert "Nothing prints on floor 3" in article.body and incident.resolution in article.body
    link = IncidentArticle.objects.get(incident=incident)
    assert link.article == article and link.resolved_by
    with pytest.raises(InvalidInput):
        services.article_from_incident(incident=incident_in(Status.IN_PROGRESS, org),
                                       by=org.engineer)
    with pytest.raises(NotPermitted):
        services.article_from_incident(incident=incident, by=org.requester)


def test_deflection_is_counted_and_makes_no_incident(org, published, internal):
    before = Incident.objects.count()
    services.deflection_record(user=org.requester, article=published, query="打印机 空白")
    assert counts(published)["deflection_count"] == 1
    assert Deflection.objects.get().query == "打印机 空白"
    assert Incident.objects.count() == before
    with pytest.raises(NotFound):
        services.deflection_record(user=org.requester, article=internal)


def test_attachments_are_checked_and_stored(org, published, media, settings):
    upload = SimpleUploadedFile("手册 v2.pdf", b"%PDF-1.4 fake", content_type="application/pdf")
    attachment = services.article_attachment_add(article=published, by=org.desk, upload=upload)
    assert attachment.filename == "手册_v2.pdf" and attachment.size == 13
    assert (media / attachment.file.name).exists()
    with pytest.raises(InvalidInput):
        services.article_attachment_add(article=published, by=org.desk, upload=SimpleUploadedFile(
            "setup.exe", b"MZ", content_type="application/octet-stream"))
    with pytest.raises(NotPermitted):
        services.article_attachment_add(article=published, by=org.requester,
                                        upload=SimpleUploadedFile("a.txt", b"hi"))
