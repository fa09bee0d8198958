"""Answering a survey: from the mail's links (no sign-in, the token proves who answers), from
the portal (the signed-in requester) or the API.

A score sent with the button of a mail link's page (the link's GET records nothing) is
recorded and opens the form (SCORED): the questions and the comment can be sent, and the score
changed, for SCORED_FORM_MINUTES; the survey is then final (ANSWERED), either when the form is
sent or, by the tick, with the sent score. A final survey's token is spent: its links show
"already answered". Every change locks the survey row and checks its state again, so two tabs
or two clicks never record two answers.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput, NotFound
from opsdesk.incidents import events
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.models import Incident

from ..models import (OPEN_STATES, SCORES, AnswerChannel, QuestionKind, Survey, SurveyAnswer,
                      SurveyQuestion, SurveyState)
from ..sampling import token_digest
from .follow_ups import follow_up_create
from .settings import survey_settings_get

SCORED_FORM_MINUTES = 60
COMMENT_MAX = 4000
TEXT_ANSWER_MAX = 2000
TOKEN_MAX = 200


class TokenRefused(Exception):
    """A survey link that is not valid (404), expired (410) or already answered (409)."""

    def __init__(self, message: str, *, status: int, survey: Survey | None = None):
        super().__init__(message)
        self.status = status
        self.survey = survey


@dataclass
class AnswerInput:
    """What the requester sends: the score, the optional questions' answers (by question id,
    as text: "1"–"5", "yes"/"no", or free text) and the comment."""

    score: int | str | None
    answers: dict
    comment: str = ""


def survey_by_token(*, token: str, now=None, for_update: bool = False) -> Survey:
    """The survey a mail link may still answer; raises TokenRefused otherwise."""
    now = now or timezone.now()
    if not token or len(token) > TOKEN_MAX:
        raise TokenRefused(_("This survey link is not valid. Copy the whole link from the "
                             "mail, or answer in the portal."), status=404)
    # Locked alone (MariaDB has no FOR UPDATE OF); the incident is read after.
    qs = Survey.objects.select_for_update() if for_update else Survey.objects.select_related(
        "incident", "requester")
    survey = qs.filter(token_digest=token_digest(token)).first()
    if survey is None:
        raise TokenRefused(_("This survey link is not valid. Copy the whole link from the "
                             "mail, or answer in the portal."), status=404)
    _check_answerable(survey, now)
    return survey


def _check_answerable(survey: Survey, now) -> None:
    if survey.state == SurveyState.ANSWERED:
        raise TokenRefused(_("You have already answered this survey. Thank you!"), status=409,
                           survey=survey)
    if survey.state == SurveyState.SCORED and now < _form_closes(survey):
        return
    if survey.state not in OPEN_STATES or now >= survey.expires_at:
        raise TokenRefused(_("This survey has expired and can no longer be answered."),
                           status=410, survey=survey)


def _form_closes(survey: Survey):
    return survey.scored_at + timedelta(minutes=SCORED_FORM_MINUTES)


def survey_score_click(*, token: str, score, now=None) -> Survey:
    """Record the score clicked in the mail and open the form (a later click changes it)."""
    now = now or timezone.now()
    value = _score(score)
    with transaction.atomic():
        survey = survey_by_token(token=token, now=now, for_update=True)
        survey.score = value
        if survey.state != SurveyState.SCORED:
            survey.scored_at = now
        survey.state = SurveyState.SCORED
        survey.answered_via = AnswerChannel.EMAIL
        survey.save(update_fields=["score", "scored_at", "state", "answered_via", "updated_at"])
        _incident_score(survey, by=survey.requester, channel=Channel.EMAIL)
    return survey


def survey_answer_by_token(*, token: str, data: AnswerInput, now=None) -> Survey:
    """Send the whole answer from the mail's form: final, the token is spent."""
    now = now or timezone.now()
    with transaction.atomic():
        survey = survey_by_token(token=token, now=now, for_update=True)
        return _answer(survey, data, via=AnswerChannel.EMAIL, now=now)


def survey_answer_by_requester(*, user, incident: Incident, data: AnswerInput,
                               via: str = AnswerChannel.PORTAL, now=None) -> Survey:
    """The signed-in requester answers their incident's survey (portal or API)."""
    now = now or timezone.now()
    with transaction.atomic():
        survey = (Survey.objects.select_for_update()
                  .filter(incident=incident, requester=user).first())
        if survey is None:
            raise NotFound(_("There is no survey for you on this incident."))
        _check_answerable(survey, now)
        return _answer(survey, data, via=via, now=now)


def survey_for_requester(*, user, incident: Incident) -> Survey | None:
    """The requester's survey on this incident, whatever its state (None: not surveyed)."""
    return (Survey.objects.select_related("incident").filter(incident=incident, requester=user)
            .first())


def _answer(survey: Survey, data: AnswerInput, *, via: str, now) -> Survey:
    questions = list(SurveyQuestion.objects.filter(is_active=True))
    score, answers, comment = _validate(data, questions)
    survey.score = score
    survey.comment = comment
    if survey.state != SurveyState.SCORED:
        survey.scored_at = now
        survey.answered_via = via
    SurveyAnswer.objects.filter(survey=survey).delete()  # none: a survey is answered once
    SurveyAnswer.objects.bulk_create([SurveyAnswer(survey=survey, **a) for a in answers])
    return survey_finalize(survey=survey, now=now)


def survey_finalize(*, survey: Survey, now=None) -> Survey:
    """Make the answer final (the row is locked): spend the token, write the score on the
    incident and its history, and open a follow-up for a low score."""
    now = now or timezone.now()
    survey.state = SurveyState.ANSWERED
    survey.answered_at = survey.scored_at or now
    survey.save()
    channel = Channel.EMAIL if survey.answered_via == AnswerChannel.EMAIL else Channel.WEB
    _incident_score(survey, by=survey.requester, channel=channel, history=True)
    threshold = survey_settings_get().low_score_threshold
    if survey.score is not None and survey.score <= threshold:
        follow_up_create(survey=survey, now=now)
    return survey


def _incident_score(survey: Survey, *, by, channel: str, history: bool = False) -> None:
    """The incident's own satisfaction fields follow the survey (its API and page show them)."""
    old = (Incident.objects.filter(pk=survey.incident_id)
           .values_list("satisfaction_score", flat=True).first()) if history else None
    Incident.objects.filter(pk=survey.incident_id).update(
        satisfaction_score=survey.score, satisfaction_comment=survey.comment)
    if history:
        events.event_field_changed(incident=survey.incident, by=by, channel=channel,
                                   field="satisfaction_score", old=old, new=survey.score,
                                   internal=True)


def _score(raw) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        value = 0
    if value not in SCORES:
        raise InvalidInput(errors={"score": _("Choose a score from 1 (very dissatisfied) to 5 "
                                              "(very satisfied).")})
    return value


def _validate(data: AnswerInput, questions: list) -> tuple[int, list[dict], str]:
    """The score, one dict per answered question, and the comment; InvalidInput names each
    missing or wrong field (score, q<id>, comment)."""
    errors = {}
    try:
        score = _score(data.score)
    except InvalidInput as error:
        errors.update(error.errors)
        score = 0
    known = {str(q.pk) for q in questions}
    for key in data.answers:
        if str(key) not in known:
            errors[f"q{key}"] = _("This question is not part of the survey.")
    answers = []
    for question in questions:
        raw = str(data.answers.get(question.pk, data.answers.get(str(question.pk), ""))
                  or "").strip()
        answer = _question_answer(question, raw, errors)
        if answer is not None:
            answers.append(answer)
    comment = (data.comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = _("Keep the comment under %(n)s characters.") % {"n": COMMENT_MAX}
    if errors:
        raise InvalidInput(errors=errors)
    return score, answers, comment


def _question_answer(question, raw: str, errors: dict) -> dict | None:
    key = f"q{question.pk}"
    if not raw:
        if question.is_required:
            errors[key] = _("Please answer this question.")
        return None
    if question.kind == QuestionKind.SCORE:
        if raw not in {str(s) for s in SCORES}:
            errors[key] = _("Choose from 1 to 5.")
            return None
        return {"question": question, "score": int(raw)}
    if question.kind == QuestionKind.YES_NO:
        if raw.lower() not in ("yes", "no"):
            errors[key] = _("Answer yes or no.")
            return None
        return {"question": question, "yes": raw.lower() == "yes"}
    if len(raw) > TEXT_ANSWER_MAX:
        errors[key] = _("Keep the answer under %(n)s characters.") % {"n": TEXT_ANSWER_MAX}
        return None
    return {"question": question, "text": raw}
