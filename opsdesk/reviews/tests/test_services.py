"""Reviews through their services: prefilled creation, edits, actions, submit, return, approve."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django.utils import translation

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.reviews import services
from opsdesk.reviews.models import ActionStatus, ReviewStatus, TimelineSource

from .conftest import ROOT_CAUSE, outage, review_ready


def test_a_new_review_is_prefilled_from_the_major_incident_and_its_reports(org, major):
    from opsdesk.major.models import MajorIncident
    from opsdesk.major.services import major_update_post

    major_update_post(major=MajorIncident.objects.get(incident=major), by=org.manager,
                      text="正在回滚数据库版本")
    with translation.override("en"):
        review = services.review_create(incident=major, by=org.manager)
    assert review.status == ReviewStatus.DRAFT
    assert review.summary == major.short_description
    # requester and colleague (Finance), outsider (HR): three people, two departments.
    assert (review.affected_users_count, review.affected_departments_count) == (3, 2)
    assert (review.affected_services_count, review.affected_services) == (1, "ERP")
    assert review.impact_started_at == major.registered_at
    assert "3 users in 2 departments" in review.impact
    lines = [(line.source, line.text) for line in review.timeline.all()]
    assert lines[0] == (TimelineSource.HISTORY, "Desk logged the incident.")
    assert any(s == TimelineSource.UPDATE and "Declared a major incident" in t for s, t in lines)
    children = [t for s, t in lines if s == TimelineSource.CHILD]
    assert len(children) == 2  # two reports with the same text are two lines
    assert children == [
        f"{c.number} reported by {c.requester}: {c.short_description}"
        for c in major.children.order_by("registered_at", "id")]
    # The public update is also a reply on the master: it is told once.
    assert sum("正在回滚数据库版本" in t for s, t in lines) == 1
    assert list(review.authors.all()) == [org.manager]


def test_only_a_declared_major_master_gets_one_review_and_only_from_staff(org, major):
    with pytest.raises(Conflict):
        services.review_create(incident=outage(org), by=org.manager)
    with pytest.raises(NotPermitted):
        services.review_create(incident=major, by=org.requester)
    services.review_create(incident=major, by=org.engineer)
    with pytest.raises(Conflict):
        services.review_create(incident=major, by=org.manager)


def test_edit_checks_every_field_and_writes_nothing_on_error(org, major):
    review = services.review_create(incident=major, by=org.manager)
    start = timezone.now() - timedelta(hours=3)
    with pytest.raises(InvalidInput) as error:
        services.review_update(review=review, by=org.engineer, data={
            "summary": "改了", "problem_reference": "PROBLEM-1", "affected_users_count": -1})
    assert set(error.value.errors) == {"problem_reference", "affected_users_count"}
    with pytest.raises(InvalidInput) as error:
        services.review_update(review=review, by=org.engineer, data={
            "impact_started_at": start, "impact_ended_at": start - timedelta(minutes=1)})
    assert "impact_ended_at" in error.value.errors
    review.refresh_from_db()
    assert review.summary == major.short_description
    services.review_update(review=review, by=org.engineer, data={
        "summary": "ERP 中断 2 小时", "impact_started_at": start,
        "impact_ended_at": start + timedelta(hours=2), "affected_users_count": 120,
        "authors": [org.manager, org.expert]})
    review.refresh_from_db()
    assert (review.summary, review.affected_users_count) == ("ERP 中断 2 小时", 120)
    assert set(review.authors.all()) == {org.manager, org.expert, org.engineer}
    with pytest.raises(InvalidInput) as error:
        services.review_update(review=review, by=org.manager, data={"authors": [org.requester]})
    assert "authors" in error.value.errors


def test_timeline_lines_are_added_corrected_removed_and_refreshed(org, major):
    review = services.review_create(incident=major, by=org.manager)
    count = review.timeline.count()
    at = timezone.now() - timedelta(hours=1)
    line = services.timeline_entry_add(review=review, by=org.engineer, at=at,
                                       text="  DBA 发现连接数到达上限 ")
    assert (line.text, line.source) == ("DBA 发现连接数到达上限", TimelineSource.MANUAL)
    services.timeline_entry_update(entry=line, by=org.engineer, at=at, text="连接数 500/500")
    with pytest.raises(InvalidInput):
        services.timeline_entry_add(review=review, by=org.engineer, at=None, text="")
    generated = review.timeline.exclude(source=TimelineSource.MANUAL).first()
    services.timeline_entry_remove(entry=generated, by=org.engineer)
    assert review.timeline.count() == count
    outage_child = outage(org, requester=org.colleague, short_description="ERP 还是不行")
    from opsdesk.major.models import MajorIncident
    from opsdesk.major.services import major_children_link

    major_children_link(major=MajorIncident.objects.get(incident=major), by=org.manager,
                        children=[outage_child])
    assert services.review_timeline_refresh(review=review, by=org.manager) >= 1
    assert review.timeline.filter(text__contains=outage_child.number).exists()
    assert review.timeline.filter(text="连接数 500/500").exists()


def test_actions_have_an_owner_and_a_due_date_and_are_followed_up_after_approval(
        org, major, action_owner):
    review = review_ready(org, major)
    with pytest.raises(InvalidInput) as error:
        services.review_action_add(review=review, by=org.manager, text="", owner=None,
                                   due_on=None)
    assert set(error.value.errors) == {"text", "owner", "due_on"}
    action = services.review_action_add(review=review, by=org.manager, text="增加连接池监控",
                                        owner=action_owner, due_on=date(2030, 1, 31))
    services.review_submit(review=review, by=org.manager)
    with pytest.raises(Conflict):
        services.review_action_add(review=review, by=org.manager, text="x", owner=org.expert,
                                   due_on=date(2030, 1, 1))
    services.review_approve(review=review, by=org.owner)
    done = services.review_action_done(action=action, by=action_owner)
    assert (done.status, done.done_by, done.done_at is not None) == (
        ActionStatus.DONE, action_owner, True)
    again = services.review_action_done(action=action, by=org.manager, done=False)
    assert (again.status, again.done_at) == (ActionStatus.OPEN, None)
    with pytest.raises(NotPermitted):
        services.review_action_done(action=action, by=org.requester)


def test_submit_needs_the_root_cause_then_the_review_is_frozen(org, major):
    review = services.review_create(incident=major, by=org.manager)
    with pytest.raises(InvalidInput) as error:
        services.review_submit(review=review, by=org.manager)
    assert set(error.value.errors) == {"root_cause"}
    services.review_update(review=review, by=org.manager, data={"root_cause": ROOT_CAUSE})
    submitted = services.review_submit(review=review, by=org.manager)
    assert (submitted.status, submitted.submitted_by) == (ReviewStatus.SUBMITTED, org.manager)
    with pytest.raises(Conflict):
        services.review_update(review=review, by=org.manager, data={"summary": "later"})


def test_a_returned_review_goes_back_to_its_authors_with_the_reason(org, major):
    review = review_ready(org, major)
    services.review_submit(review=review, by=org.manager)
    with pytest.raises(NotPermitted):
        services.review_return(review=review, by=org.engineer, reason="more")
    with pytest.raises(InvalidInput):
        services.review_return(review=review, by=org.owner, reason=" ")
    returned = services.review_return(review=review, by=org.owner, reason="补充影响的部门")
    assert (returned.status, returned.return_reason) == (ReviewStatus.DRAFT, "补充影响的部门")
    services.review_update(review=review, by=org.manager, data={"impact": "两个部门"})


def test_approval_is_for_managers_and_process_owners_other_than_the_submitter(org, major):
    review = review_ready(org, major)
    with pytest.raises(Conflict):  # a draft is submitted first
        services.review_approve(review=review, by=org.owner)
    services.review_submit(review=review, by=org.manager)
    with pytest.raises(NotPermitted):
        services.review_approve(review=review, by=org.engineer)
    with pytest.raises(NotPermitted):
        services.review_approve(review=review, by=org.manager)
    approved = services.review_approve(review=review, by=org.owner)
    assert (approved.status, approved.approved_by) == (ReviewStatus.APPROVED, org.owner)
    assert approved.approved_at is not None
    with pytest.raises(Conflict):
        services.review_approve(review=review, by=org.owner)
