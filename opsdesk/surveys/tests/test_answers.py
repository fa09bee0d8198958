"""Answering: one click records the score, the form adds the rest; the token is single-use,
expires, and a tampered one answers nothing; the portal answers for the signed-in requester."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from opsdesk.core.exceptions import InvalidInput, NotFound
from opsdesk.incidents.models import Incident
from opsdesk.surveys.models import QuestionKind, Survey, SurveyQuestion, SurveyState
from opsdesk.surveys.services import (SCORED_FORM_MINUTES, AnswerInput, TokenRefused,
                                      survey_answer_by_requester, survey_answer_by_token,
                                      survey_by_token, survey_score_click, surveys_tick)

from .conftest import closed_incident, invitations_to, token_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited(org, survey_settings):
    """(incident, token): a closed incident whose requester was mailed the survey."""
    incident = closed_incident(org)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        surveys_tick()
    return incident, token_from(invitations_to(org.requester.email)[0])


def later(minutes: float = 62):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes))


def test_the_form_answers_once_and_the_token_is_spent(invited):
    incident, token = invited
    with later():
        survey = survey_answer_by_token(token=token, data=AnswerInput(
            score=4, answers={}, comment="Quick and friendly"))
        assert survey.state == SurveyState.ANSWERED and survey.score == 4
        with pytest.raises(TokenRefused) as refused:
            survey_answer_by_token(token=token, data=AnswerInput(score=1, answers={}))
        assert refused.value.status == 409
        with pytest.raises(TokenRefused):
            survey_score_click(token=token, score=1)
    incident = Incident.objects.get(pk=incident.pk)
    assert (incident.satisfaction_score, incident.satisfaction_comment) == (4, "Quick and friendly")
    event = incident.events.filter(field="satisfaction_score").get()
    assert (event.new_value, event.actor_id, event.channel, event.is_internal) == (
        "4", incident.requester_id, "email", True)


def test_a_click_records_the_score_and_the_form_adds_the_rest(invited):
    incident, token = invited
    with later():
        survey = survey_score_click(token=token, score=5)
        assert (survey.state, survey.score) == (SurveyState.SCORED, 5)
        assert Incident.objects.get(pk=incident.pk).satisfaction_score == 5
        survey = survey_score_click(token=token, score=4)  # changed their mind
        assert survey.score == 4
        survey = survey_answer_by_token(token=token, data=AnswerInput(
            score=4, answers={}, comment="Good, but slow to start"))
    assert survey.state == SurveyState.ANSWERED and survey.answered_via == "email"
    assert survey.comment == "Good, but slow to start"


def test_a_click_without_the_form_becomes_final_after_the_window(invited):
    _incident, token = invited
    with later():
        survey_score_click(token=token, score=5)
    with later(62 + SCORED_FORM_MINUTES - 1):
        assert surveys_tick()["answered"] == 0
        survey_by_token(token=token)  # the form is still open
    with later(62 + SCORED_FORM_MINUTES + 1):
        assert surveys_tick()["answered"] == 1
        with pytest.raises(TokenRefused) as refused:
            survey_by_token(token=token)
    assert refused.value.status == 409
    survey = Survey.objects.get()
    assert survey.state == SurveyState.ANSWERED and survey.score == 5


def test_an_expired_link_is_refused(invited):
    _incident, token = invited
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=62)):
        with pytest.raises(TokenRefused) as refused:
            survey_score_click(token=token, score=5)
        assert refused.value.status == 410
        surveys_tick()
        with pytest.raises(TokenRefused) as refused:
            survey_by_token(token=token)
        assert refused.value.status == 410
    assert Survey.objects.get().score is None


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character changed
    lambda t: t[:-2],  # cut short
    lambda t: t + "x",
    lambda t: "",
    lambda t: "x" * 500,
])
def test_a_tampered_token_answers_nothing(invited, tamper):
    _incident, token = invited
    with later():
        with pytest.raises(TokenRefused) as refused:
            survey_score_click(token=tamper(token), score=1)
    assert refused.value.status == 404
    assert Survey.objects.get().state == SurveyState.INVITED


def test_a_score_outside_one_to_five_is_refused_and_nothing_changes(invited):
    _incident, token = invited
    with later():
        for bad in (0, 6, "five", None):
            with pytest.raises(InvalidInput) as error:
                survey_score_click(token=token, score=bad)
            assert "score" in error.value.errors
    assert Survey.objects.get().state == SurveyState.INVITED


def test_questions_are_checked_and_stored(invited):
    _incident, token = invited
    speed = SurveyQuestion.objects.create(text_zh="速度", text_en="Speed", kind=QuestionKind.SCORE,
                                          is_required=True, sort_order=1)
    again = SurveyQuestion.objects.create(text_zh="再次", text_en="Again?",
                                          kind=QuestionKind.YES_NO, sort_order=2)
    better = SurveyQuestion.objects.create(text_zh="改进", text_en="Better?",
                                           kind=QuestionKind.TEXT, sort_order=3)
    retired = SurveyQuestion.objects.create(text_zh="旧", text_en="Old", is_active=False)
    with later():
        with pytest.raises(InvalidInput) as error:
            survey_answer_by_token(token=token, data=AnswerInput(
                score=3, answers={str(again.pk): "maybe", str(retired.pk): "1"},
                comment="x" * 4001))
        assert set(error.value.errors) == {f"q{speed.pk}", f"q{again.pk}", f"q{retired.pk}",
                                           "comment"}
        assert Survey.objects.get().state == SurveyState.INVITED  # nothing half-written
        survey = survey_answer_by_token(token=token, data=AnswerInput(
            score=3, answers={str(speed.pk): "2", str(again.pk): "yes",
                              str(better.pk): "Call me back sooner"}))
    answers = {a.question_id: a for a in survey.answers.all()}
    assert answers[speed.pk].score == 2 and answers[again.pk].yes is True
    assert answers[better.pk].text == "Call me back sooner"


def test_the_requester_answers_in_the_portal_even_before_the_invitation(org, survey_settings):
    incident = closed_incident(org)
    with pytest.raises(NotFound):
        survey_answer_by_requester(user=org.colleague, incident=incident,
                                   data=AnswerInput(score=5, answers={}))
    survey = survey_answer_by_requester(user=org.requester, incident=incident,
                                        data=AnswerInput(score=5, answers={}, comment="Thanks"))
    assert (survey.state, survey.answered_via) == (SurveyState.ANSWERED, "portal")
    with later():
        assert surveys_tick()["invited"] == 0  # answered: no invitation any more
    assert invitations_to(org.requester.email) == []
    with pytest.raises(TokenRefused):
        survey_answer_by_requester(user=org.requester, incident=incident,
                                   data=AnswerInput(score=1, answers={}))
