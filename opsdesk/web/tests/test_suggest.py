"""Live suggestions while an incident is written: what the desk and a user are offered, and
what happens when they take an article (linked and counted, or a deflection with no incident)."""

import re

import pytest
from django.urls import reverse

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Action, Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_transition
from opsdesk.knowledge.models import Article, Deflection, IncidentArticle
from opsdesk.knowledge.tests.conftest import article_make
from opsdesk.reference.models import ResolutionCode

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def articles(org):
    return {
        "vpn": article_make(org, status="published", visibility="public",
                            title="VPN cannot connect from home",
                            body="Check the **client version**, then sign in again with your "
                                 "domain password."),
        "printer": article_make(org, status="published", visibility="public",
                                title="打印机卡纸怎么处理",
                                body="打开前盖，取出卡住的纸张，再关闭前盖。"),
        "internal": article_make(org, status="published", visibility="internal",
                                 title="VPN gateway certificate renewal",
                                 body="Renew the VPN gateway certificate on the firewall."),
        "draft": article_make(org, status="draft", visibility="public",
                              title="VPN draft notes", body="Not ready."),
    }


def _suggest(client, user, name, **params):
    client.force_login(user)
    return client.get(reverse(f"web:{name}"), params, **EN)


def _text(response) -> str:
    """The page without the highlighting, as a reader sees the words."""
    return re.sub(r"</?mark>", "", response.content.decode())


def test_the_portal_offers_public_published_articles_for_an_english_question(client, org,
                                                                              articles):
    response = _suggest(client, org.requester, "report_suggest",
                        short_description="cannot connect to vpn from home")
    assert response.status_code == 200
    html = _text(response)
    assert "VPN cannot connect from home" in html
    assert "<mark>VPN</mark>" in response.content.decode()  # matching words are highlighted
    # Internal articles and drafts are never offered to a user.
    assert "certificate renewal" not in html and "VPN draft notes" not in html
    assert reverse("web:help_solved", args=[articles["vpn"].number]) in html


def test_the_portal_understands_a_chinese_question(client, org, articles):
    response = _suggest(client, org.requester, "report_suggest",
                        short_description="打印机又卡纸了，怎么办")
    assert articles["printer"].title in _text(response)


def test_nothing_typed_offers_nothing(client, org, articles):
    response = _suggest(client, org.requester, "report_suggest", short_description="  ")
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_a_user_is_shown_only_their_own_open_incidents_like_it(client, org, articles):
    mine = incident_factory(by=org.requester, requester=org.requester,
                            short_description="VPN drops every hour")
    theirs = incident_factory(by=org.colleague, requester=org.colleague,
                              short_description="VPN drops every minute")
    html = _text(_suggest(client, org.requester, "report_suggest", short_description="vpn drops"))
    assert mine.number in html
    assert theirs.number not in html


def test_a_deflection_from_the_report_form_creates_no_incident(client, org, articles):
    client.force_login(org.requester)
    before = Incident.objects.count()
    response = client.post(reverse("web:help_solved", args=[articles["vpn"].number]),
                           {"q": "cannot connect to vpn from home"}, **EN)
    assert response.status_code == 200
    assert Incident.objects.count() == before
    deflection = Deflection.objects.get()
    assert (deflection.user, deflection.article, deflection.query) == (
        org.requester, articles["vpn"], "cannot connect to vpn from home")
    assert Article.objects.get(pk=articles["vpn"].pk).deflection_count == 1


def test_the_report_form_comes_back_with_its_suggestions_after_an_error(client, org, articles):
    client.force_login(org.requester)
    response = client.post(reverse("web:report"), {
        "short_description": "cannot connect to vpn from home", "urgency": "99"}, **EN)
    assert response.status_code == 422
    assert "VPN cannot connect from home" in _text(response)


def test_the_desk_is_offered_internal_articles_and_incidents_resolved_lately(client, org,
                                                                             articles):
    solved = incident_factory(by=org.desk, requester=org.colleague,
                              short_description="VPN certificate expired")
    incident_transition(incident=solved, action=Action.RESOLVE, by=org.desk,
                        resolution="Renewed the VPN certificate.",
                        resolution_code=ResolutionCode.objects.get(pk="01"))
    response = _suggest(client, org.desk, "desk_suggest", short_description="vpn certificate")
    assert "VPN gateway certificate renewal" in _text(response)
    assert solved.number in _text(response)
    assert "Renewed the <mark>VPN</mark>" in response.content.decode()


def test_only_the_desk_asks_for_desk_suggestions(client, org, articles):
    response = _suggest(client, org.requester, "desk_suggest", short_description="vpn")
    assert response.status_code == 403


def test_the_desk_resolves_at_first_contact_with_a_suggested_article(client, org, articles):
    client.force_login(org.desk)
    article = articles["vpn"]
    response = client.post(reverse("web:desk_log"), {
        "requester": org.requester.pk, "requester_query": org.requester.username,
        "source": "01", "nature": "01", "impact": "3", "urgency": "3",
        "short_description": "VPN cannot connect from home",
        "resolution_code": "01", "resolution": f"Resolved following {article.number}",
        "articles": [article.number],
    }, **EN)
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get(short_description="VPN cannot connect from home")
    assert incident.status == Status.RESOLVED and incident.first_contact_resolution
    link = IncidentArticle.objects.get(incident=incident)
    assert (link.article, link.resolved_by) == (article, True)
    assert Article.objects.get(pk=article.pk).resolved_incident_count == 1


def test_an_article_linked_while_assigning_is_linked_but_did_not_resolve_it(client, org,
                                                                           articles):
    client.force_login(org.desk)
    response = client.post(reverse("web:desk_log"), {
        "requester": org.requester.pk, "requester_query": org.requester.username,
        "source": "01", "nature": "01", "impact": "3", "urgency": "3",
        "short_description": "VPN slow", "assignment_group": org.groups["NET2"].pk,
        "articles": [articles["vpn"].number],
    }, **EN)
    assert response.status_code == 302
    link = IncidentArticle.objects.get(incident__short_description="VPN slow")
    assert link.resolved_by is False
    assert Article.objects.get(pk=articles["vpn"].pk).resolved_incident_count == 0


def test_an_unknown_article_number_is_a_clear_error_and_nothing_is_logged(client, org, articles):
    client.force_login(org.desk)
    before = Incident.objects.count()
    response = client.post(reverse("web:desk_log"), {
        "requester": org.requester.pk, "requester_query": org.requester.username,
        "source": "01", "nature": "01", "impact": "3", "urgency": "3",
        "short_description": "VPN slow", "assignment_group": org.groups["NET2"].pk,
        "articles": ["KB999999"],
    }, **EN)
    assert response.status_code == 422
    assert "Article KB999999 was not found." in response.content.decode()
    assert Incident.objects.count() == before
