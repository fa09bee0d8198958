"""The demo company's satisfaction surveys: two questions after the score, and the answers of
the requesters of the demo's closed incidents.

Closing the demo's incidents already scheduled their surveys (the incidents' hook). Here each
one is invited at its time and about half of them answered some hours later, by the mail's
links or in the portal, with a score mostly 4-5, a comment now and then, and the questions.
Low scores open follow-ups; the incident manager has called back and closed the older ones.
What is left unanswered expires (older than the expiry) or waits in the portal.

Everything goes through opsdesk.surveys' services at the story's moment (time-machine), with
notifications muted (the stories happened in the past). Safe to run again: nothing is added
once the demo has answers. Call `surveys_seed()` after the incidents exist.
"""

import random
from datetime import timedelta

import time_machine
from django.db import transaction
from django.utils import timezone

from opsdesk.accounts.models import User
from opsdesk.incidents.notify import notifications_muted

from opsdesk.surveys.models import (FollowUp, QuestionKind, Survey, SurveyQuestion,
                                    SurveyState)
from opsdesk.surveys.services import (AnswerInput, follow_up_done, follow_up_take,
                                      survey_answer_by_requester, survey_answer_by_token,
                                      survey_invite, survey_score_click, surveys_tick)

QUESTIONS = [
    ("处理速度是否让您满意？", "Were you happy with how fast it was handled?", QuestionKind.SCORE),
    ("工程师是否专业、有礼貌？", "Was the engineer professional and courteous?",
     QuestionKind.YES_NO),
]
SCORE_WEIGHTS = {1: 3, 2: 5, 3: 12, 4: 36, 5: 44}
ANSWER_SHARE = 0.55
COMMENTS = {
    5: ("非常及时，谢谢！", "Very quick, thank you!"),
    4: ("解决了，但等了一会儿。", "Fixed, though it took a while."),
    3: ("问题解决了，但沟通可以更主动一些。", "Solved, but you could keep me better informed."),
    2: ("等了很久才有人联系我。", "It took ages before anyone contacted me."),
    1: ("问题反复出现，没有人解释原因。", "It keeps coming back and nobody explained why."),
}
OUTCOMES = ("已回访用户并致歉，说明了根本原因和后续措施。",
            "Called the requester back, apologised and explained the root cause and next steps.")


def surveys_seed(*, seed: int = 0) -> int:
    """Invite and answer the demo's scheduled surveys; returns how many were answered."""
    if Survey.objects.filter(state=SurveyState.ANSWERED).exists():
        return 0
    manager = User.objects.filter(username="manager", is_active=True).first()
    rng, now = random.Random(seed), timezone.now()
    questions = _questions()
    answered = 0
    with notifications_muted(), transaction.atomic():
        scheduled = (Survey.objects.filter(state=SurveyState.SCHEDULED, send_after__lte=now)
                     .select_related("incident", "requester").order_by("send_after"))
        for survey in list(scheduled):
            answered += _tell(survey, rng=rng, now=now, questions=questions)
        if manager is not None:
            _follow_ups_close(manager, rng=rng, now=now)
        with time_machine.travel(now, tick=False):
            surveys_tick(now=now)  # what is left: expired, or open in the portal
    return answered


def _questions() -> list[SurveyQuestion]:
    if not SurveyQuestion.objects.exists():
        for order, (text_zh, text_en, kind) in enumerate(QUESTIONS, start=1):
            SurveyQuestion.objects.create(text_zh=text_zh, text_en=text_en, kind=kind,
                                          sort_order=order)
    return list(SurveyQuestion.objects.filter(is_active=True))


def _tell(survey: Survey, *, rng: random.Random, now, questions) -> int:
    """Invite one survey at its time; maybe answer it some hours later (before now)."""
    with time_machine.travel(survey.send_after, tick=False):
        token = survey_invite(survey_id=survey.pk, now=survey.send_after)
    answer_at = survey.send_after + timedelta(hours=rng.uniform(0.2, 36))
    if token is None or rng.random() > ANSWER_SHARE or answer_at >= now \
            or answer_at >= survey.expires_at:
        return 0
    score = rng.choices(list(SCORE_WEIGHTS), weights=list(SCORE_WEIGHTS.values()))[0]
    data = _answer(survey, score, rng=rng, questions=questions)
    with time_machine.travel(answer_at, tick=False):
        if rng.random() < 0.7:  # by the mail: one click, then (sometimes) the form
            survey_score_click(token=token, score=score, now=answer_at)
            survey_answer_by_token(token=token, data=data, now=answer_at)
        else:
            survey_answer_by_requester(user=survey.requester, incident=survey.incident,
                                       data=data, now=answer_at)
    return 1


def _answer(survey: Survey, score: int, *, rng: random.Random, questions) -> AnswerInput:
    english = (survey.requester.language or "zh-hans") == "en"
    comment = ""
    if score <= 3 or rng.random() < 0.25:
        comment = COMMENTS[score][1 if english else 0]
    answers = {}
    for question in questions:
        if rng.random() < 0.6:
            answers[str(question.pk)] = (
                str(max(1, min(5, score + rng.choice((-1, 0, 0, 1)))))
                if question.kind == QuestionKind.SCORE else ("yes" if score >= 3 else "no"))
    return AnswerInput(score=score, answers=answers, comment=comment)


def _follow_ups_close(manager: User, *, rng: random.Random, now) -> None:
    """The manager called back on the low scores of more than three days ago."""
    for follow_up in FollowUp.objects.filter(created_at__lt=now - timedelta(days=3)):
        moment = min(follow_up.created_at + timedelta(hours=rng.uniform(2, 40)), now)
        english = (follow_up.survey.requester.language or "zh-hans") == "en"
        with time_machine.travel(moment, tick=False):
            follow_up = follow_up_take(follow_up=follow_up, by=manager)
            follow_up_done(follow_up=follow_up, by=manager, outcome=OUTCOMES[1 if english else 0])
