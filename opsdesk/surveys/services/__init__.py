"""Services of the surveys: settings and questions, scheduling and the tick, answers, follow-ups."""

from .answers import (SCORED_FORM_MINUTES, AnswerInput, TokenRefused, survey_answer_by_requester,
                      survey_answer_by_token, survey_by_token, survey_finalize,
                      survey_for_requester, survey_score_click)
from .follow_ups import follow_up_create, follow_up_done, follow_up_take
from .schedule import survey_after_transition, survey_invite, survey_schedule, surveys_tick
from .settings import (question_create, question_update, survey_settings_get,
                       survey_settings_update)

__all__ = [
    "SCORED_FORM_MINUTES", "AnswerInput", "TokenRefused", "follow_up_create", "follow_up_done",
    "follow_up_take", "question_create", "question_update", "survey_after_transition",
    "survey_answer_by_requester", "survey_answer_by_token", "survey_by_token",
    "survey_finalize", "survey_for_requester", "survey_invite", "survey_schedule",
    "survey_score_click",
    "survey_settings_get", "survey_settings_update", "surveys_tick",
]
