"""A low score opens a follow-up for the incident managers, who are mailed; an incident
manager takes it and records what was done, which closes the loop."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.testing.factories import UserFactory
from opsdesk.notifications.models import Delivery
from opsdesk.surveys.models import FollowUp, FollowUpStatus
from opsdesk.surveys.services import (AnswerInput, follow_up_done, follow_up_take,
                                      survey_answer_by_requester)

from .conftest import closed_incident

pytestmark = pytest.mark.django_db


def answer(org, score, comment=""):
    incident = closed_incident(org)
    survey_answer_by_requester(user=org.requester, incident=incident,
                               data=AnswerInput(score=score, answers={}, comment=comment))
    return incident


def test_a_score_at_the_threshold_opens_a_follow_up_and_mails_the_managers(org, survey_settings):
    second = UserFactory(username="manager2", is_incident_manager=True)
    incident = answer(org, 2, "Nobody called me back")
    follow_up = FollowUp.objects.get()
    assert (follow_up.incident, follow_up.status) == (incident, FollowUpStatus.OPEN)
    assert abs((follow_up.due_at - timezone.now() - timedelta(days=2)).total_seconds()) < 60
    mails = Delivery.objects.filter(idempotency_key__contains=":low_score:")
    assert set(mails.values_list("email", flat=True)) == {org.manager.email, second.email}
    assert all(incident.number in m.subject and "Nobody called me back" in m.text
               for m in mails)
    history = incident.events.filter(field="satisfaction_follow_up").get()
    assert history.is_internal and "2/5" in history.new_value


def test_scores_above_the_threshold_open_nothing(org, survey_settings):
    answer(org, 3)
    assert FollowUp.objects.count() == 0
    survey_settings.low_score_threshold = 3
    survey_settings.save()
    answer(org, 3)
    assert FollowUp.objects.count() == 1
    survey_settings.low_score_threshold = 0  # never
    survey_settings.save()
    answer(org, 1)
    assert FollowUp.objects.count() == 1


def test_an_incident_manager_takes_it_and_records_what_was_done(org, survey_settings):
    incident = answer(org, 1)
    follow_up = FollowUp.objects.get()
    for outsider in (org.requester, org.engineer, org.desk, org.owner):
        with pytest.raises(NotPermitted):
            follow_up_take(follow_up=follow_up, by=outsider)
        with pytest.raises(NotPermitted):
            follow_up_done(follow_up=follow_up, by=outsider, outcome="Called")
    follow_up = follow_up_take(follow_up=follow_up, by=org.manager)
    assert (follow_up.status, follow_up.assignee) == (FollowUpStatus.IN_PROGRESS, org.manager)
    with pytest.raises(InvalidInput) as error:
        follow_up_done(follow_up=follow_up, by=org.manager, outcome="  ")
    assert "outcome" in error.value.errors
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        follow_up = follow_up_done(follow_up=follow_up, by=org.manager,
                                   outcome="Called her; the toner is now stocked on floor 3")
    assert follow_up.status == FollowUpStatus.DONE and follow_up.done_by == org.manager
    assert follow_up.outcome.startswith("Called her")
    with pytest.raises(Conflict):
        follow_up_done(follow_up=follow_up, by=org.manager, outcome="Again")
    with pytest.raises(Conflict):
        follow_up_take(follow_up=follow_up, by=org.manager)
    last = incident.events.filter(field="satisfaction_follow_up").latest("pk")
    assert last.actor == org.manager and "toner is now stocked" in last.new_value
