"""Known error → knowledge article; resolved → the open incidents hear of it."""

import pytest

from opsdesk.core.exceptions import InvalidInput
from opsdesk.core.testing.matrix import incident_in
from opsdesk.incidents.models import Comment
from opsdesk.knowledge.choices import ArticleStatus, ArticleType
from opsdesk.knowledge.models import Article
from opsdesk.notifications.models import Delivery
from opsdesk.problems import services

from .conftest import problem_make


def test_known_error_by_an_engineer_waits_for_the_process_owner(org):
    problem = problem_make(org, short_description="VPN drops every hour",
                           description="Users lose the tunnel.")
    with pytest.raises(InvalidInput) as error:
        services.problem_transition(problem=problem, action="known_error", by=org.engineer)
    assert "workaround" in error.value.errors
    problem = services.problem_transition(
        problem=problem, action="known_error", by=org.engineer,
        workaround="Reconnect with the TCP profile.", root_cause="UDP timeout on the firewall")
    assert problem.status == "known_error" and problem.known_error_at is not None
    article = Article.objects.get(problem_reference=problem.number)
    assert article == problem.known_error_article
    assert article.type == ArticleType.KNOWN_ERROR and article.status == ArticleStatus.REVIEW
    assert article.workaround == "Reconnect with the TCP profile."
    assert "UDP timeout on the firewall" in article.body and article.author == org.engineer
    entry = problem.events.get(kind="article")
    assert entry.data == {"article": article.number, "published": False}


def test_known_error_by_a_process_owner_is_published_at_once(org):
    problem = problem_make(org, short_description="Printer jams", workaround="Use tray 2")
    problem = services.problem_transition(problem=problem, action="known_error", by=org.owner)
    article = problem.known_error_article
    assert article.status == ArticleStatus.PUBLISHED and article.workaround == "Use tray 2"


def test_the_article_title_is_cut_to_fit(org):
    problem = problem_make(org, short_description="x" * 200, workaround="w")
    services.problem_transition(problem=problem, action="known_error", by=org.manager)
    problem.refresh_from_db()
    assert len(problem.known_error_article.title) == 200  # number + statement, cut to fit


def test_resolving_tells_each_open_incident(org):
    open_one = incident_in(30, org, short_description="Mail slow")
    unassigned = incident_in(10, org, short_description="Mail slow again")
    closed = incident_in(50, org, short_description="Mail slow last week")
    problem = problem_make(org, incidents=[open_one, unassigned, closed])
    services.problem_update(problem=problem, by=org.manager, data={"assignee": org.engineer})
    services.problem_transition(problem=problem, action="resolve", by=org.manager,
                                resolution="Mail server disk replaced")
    replies = Comment.objects.filter(body__contains=problem.number)
    assert {c.incident_id for c in replies} == {open_one.pk, unassigned.pk}
    assert all(c.visibility == "public" and c.author == org.manager for c in replies)
    assert "Mail server disk replaced" in replies.first().body
    # The requester hears of the reply; the engineer assigned the open one gets the mail.
    keys = set(Delivery.objects.values_list("idempotency_key", flat=True))
    assert any(k.startswith(f"problem:{problem.pk}:") and k.endswith("engineer@example.com")
               for k in keys)
    assert any(k.endswith("requester@example.com") and ":c" in k for k in keys)
    mail = Delivery.objects.get(idempotency_key__startswith=f"problem:{problem.pk}:",
                                email="engineer@example.com")
    assert open_one.number in mail.subject and problem.number in mail.subject
    assert "Mail server disk replaced" in mail.text
    assert not Comment.objects.filter(incident=closed, body__contains=problem.number).exists()
    notified = problem.events.get(kind="notified")
    assert notified.data["incidents"] == [open_one.number, unassigned.number]


def test_an_engineer_who_cannot_see_an_incident_mails_its_requester(org):
    from opsdesk.incidents.services import incident_transition

    app = incident_transition(incident=incident_in(10, org, short_description="App down"),
                              action="assign", by=org.manager, assignment_group=org.groups["APP2"])
    problem = problem_make(org, incidents=[app])
    services.problem_transition(problem=problem, action="resolve", by=org.engineer,
                                resolution="Patched")
    assert not Comment.objects.filter(incident=app, body__contains=problem.number).exists()
    keys = list(Delivery.objects.filter(idempotency_key__startswith=f"problem:{problem.pk}:")
                .values_list("email", flat=True))
    assert sorted(keys) == ["other_engineer@example.com", "requester@example.com"]
