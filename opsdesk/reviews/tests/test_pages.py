"""The review pages: staff read, edit, submit and approve; everyone else finds nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opsdesk.reviews import services
from opsdesk.reviews.models import ReviewStatus

from .conftest import outage, review_ready

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.force_login(user)
        return client
    return sign_in


def test_a_major_master_without_a_review_offers_to_start_one(org, major, as_user):
    client = as_user(org.manager)
    page = client.get(reverse("web:review", args=[major.number]), **EN)
    assert page.status_code == 200 and b"Start the review" in page.content
    started = client.post(reverse("web:review_start", args=[major.number]), **EN)
    assert started.status_code == 302
    page = client.get(started.url, **EN)
    assert b"Save the review" in page.content and b"Desk logged the incident." in page.content
    assert client.get(reverse("web:review", args=[outage(org).number])).status_code == 404


@pytest.mark.parametrize("person", ["requester", "colleague", "outsider"])
def test_people_who_are_not_staff_get_404_everywhere(org, major, as_user, person):
    review_ready(org, major)
    client = as_user(getattr(org, person))
    for name in ("review", "review_print", "review_markdown", "review_pdf"):
        assert client.get(reverse(f"web:{name}", args=[major.number])).status_code == 404
    assert client.get(reverse("web:reviews")).status_code == 404
    assert client.post(reverse("web:review_approve", args=[major.number])).status_code == 404


def test_an_engineer_who_does_not_see_the_incident_gets_404(org, major, as_user):
    review_ready(org, major)
    client = as_user(org.other_engineer)  # APP2: not the incident's group
    assert client.get(reverse("web:review", args=[major.number])).status_code == 404


def test_bad_input_is_shown_next_to_the_field_with_422(org, major, as_user):
    review = review_ready(org, major)
    client = as_user(org.desk)
    data = {"summary": "新的摘要", "impact": "x", "affected_services_count": "1",
            "affected_users_count": "-5", "affected_departments_count": "2",
            "problem_reference": "nope", "authors": "manager, ghost"}
    page = client.post(reverse("web:review_edit", args=[major.number]), data, **EN)
    assert page.status_code == 422
    review.refresh_from_db()
    assert review.summary != "新的摘要"
    data["affected_users_count"] = "5"
    page = client.post(reverse("web:review_edit", args=[major.number]), data, **EN)
    assert page.status_code == 422 and "PRB202611250001" in page.content.decode()
    data["problem_reference"] = ""
    page = client.post(reverse("web:review_edit", args=[major.number]), data, **EN)
    assert page.status_code == 422 and "ghost" in page.content.decode()
    data["authors"] = "manager"
    assert client.post(reverse("web:review_edit", args=[major.number]), data).status_code == 302
    review.refresh_from_db()
    assert (review.summary, review.affected_users_count) == ("新的摘要", 5)


def test_lines_and_actions_through_the_page_then_submit_and_approve(org, major, as_user,
                                                                   action_owner):
    review_ready(org, major)
    client = as_user(org.manager)
    number = major.number
    added = client.post(reverse("web:review_line_add", args=[number]),
                        {"line-at": "2026-11-25T10:05", "line-text": "回滚完成"})
    assert added.status_code == 302
    missing = client.post(reverse("web:review_action_add", args=[number]),
                          {"action-text": "加监控", "action-owner": "nobody",
                           "action-due_on": "2030-01-01"}, **EN)
    assert missing.status_code == 422 and b"nobody" in missing.content
    client.post(reverse("web:review_action_add", args=[number]),
                {"action-text": "加监控", "action-owner": "dba",
                 "action-due_on": "2030-01-01"})
    assert client.post(reverse("web:review_submit", args=[number])).status_code == 302
    page = client.get(reverse("web:review", args=[number]), **EN)
    assert b"Save the review" not in page.content and b"Approve the review" not in page.content
    approver = as_user(org.owner)
    assert b"Approve the review" in approver.get(reverse("web:review", args=[number]),
                                                 **EN).content
    approver.post(reverse("web:review_approve", args=[number]))
    review = services.PostIncidentReview.objects.get(incident=major)
    assert review.status == ReviewStatus.APPROVED
    assert review.timeline.filter(text="回滚完成").exists()
    action = review.actions.get()
    # The owner works in no group of the incident, yet reads the review to follow it up.
    assert as_user(action_owner).get(reverse("web:review", args=[number])).status_code == 200
    as_user(action_owner).post(reverse("web:review_action", args=[number, action.pk]),
                               {"done": "1"})
    action.refresh_from_db()
    assert action.status == "done"


def test_exports_from_the_page(org, major, as_user):
    review_ready(org, major)
    client = as_user(org.desk)
    printable = client.get(reverse("web:review_print", args=[major.number]), **EN)
    assert printable.status_code == 200 and b"@media print" in printable.content
    markdown = client.get(reverse("web:review_markdown", args=[major.number]))
    assert markdown["Content-Type"].startswith("text/markdown")
    assert f'filename="PIR-{major.number}.md"' in markdown["Content-Disposition"]
    assert "数据库连接池耗尽" in markdown.content.decode()
    pdf = client.get(reverse("web:review_pdf", args=[major.number]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_list_shows_the_reviews_waiting_for_approval(org, major, as_user):
    review = review_ready(org, major)
    services.review_submit(review=review, by=org.manager)
    for _ in range(3):  # more reviews cost no more queries
        other = outage(org)
        from opsdesk.major.services import major_declare

        major_declare(incident=other, by=org.manager)
        services.review_create(incident=other, by=org.manager)
    client = as_user(org.owner)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("web:reviews"), {"status": "submitted"}, **EN)
    assert page.status_code == 200 and major.number in page.content.decode()
    assert page.content.decode().count("/reviews/INC") == 1
    assert len(queries) < 15


def test_the_incident_panel_links_the_review_for_staff_only(org, major):
    from django.template import Context, Template

    template = Template("{% load reviews_tags %}{% incident_review_panel incident user %}")
    staff = template.render(Context({"incident": major, "user": org.manager}))
    assert f"/reviews/{major.number}/" in staff
    assert template.render(Context({"incident": major, "user": org.requester})).strip() == ""
    plain = outage(org)
    assert template.render(Context({"incident": plain, "user": org.manager})).strip() == ""
