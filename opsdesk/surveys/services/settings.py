"""The process owner's survey settings and questions."""

from django.db import transaction
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted

from ..models import QuestionKind, SurveyAnswer, SurveyQuestion, SurveySettings
from ..permissions import may_configure_surveys

SETTINGS_PK = 1
# Field → (lowest, highest) allowed.
LIMITS = {"sample_percent": (0, 100), "delay_minutes": (0, 60 * 24 * 30),
          "expiry_days": (1, 90), "low_score_threshold": (0, 4), "follow_up_days": (1, 30)}
SCALARS = ("is_enabled", *LIMITS)
QUESTION_FIELDS = ("text_zh", "text_en", "kind", "is_required", "is_active", "sort_order")
QUESTION_TEXT_MAX = 300


def survey_settings_get() -> SurveySettings:
    """The one settings row (created with the defaults the first time)."""
    row, _created = SurveySettings.objects.get_or_create(pk=SETTINGS_PK)
    return row


def survey_settings_update(*, by, data: dict) -> SurveySettings:
    """Change the settings; `closure_codes` and `sources` are lists of rows (empty: all)."""
    if not may_configure_surveys(by):
        raise NotPermitted(_("Only a process owner may change the survey settings."))
    _check_limits(data)
    survey_settings_get()
    with transaction.atomic():
        row = SurveySettings.objects.select_for_update().get(pk=SETTINGS_PK)
        for name in SCALARS:
            if name in data:
                setattr(row, name, data[name])
        row.updated_by = by
        row.save()
        for name in ("closure_codes", "sources"):
            if name in data:
                getattr(row, name).set(list(data[name]))
    return row


def _check_limits(data: dict) -> None:
    errors = {}
    for name, (low, high) in LIMITS.items():
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[name] = _("Use a whole number from %(low)s to %(high)s.") % {
                "low": low, "high": high}
    if errors:
        raise InvalidInput(errors=errors)


def question_create(*, by, data: dict) -> SurveyQuestion:
    """Add an optional question (both texts, a kind, required or not)."""
    if not may_configure_surveys(by):
        raise NotPermitted(_("Only a process owner may change the survey questions."))
    values = {"kind": QuestionKind.SCORE, "is_required": False, "is_active": True,
              "sort_order": SurveyQuestion.objects.count() + 1}
    values.update({k: v for k, v in data.items() if k in QUESTION_FIELDS})
    _check_question(values)
    return SurveyQuestion.objects.create(**values)


def question_update(*, by, question: SurveyQuestion, data: dict) -> SurveyQuestion:
    """Change a question; once answered its kind is fixed (deactivate it and add another)."""
    if not may_configure_surveys(by):
        raise NotPermitted(_("Only a process owner may change the survey questions."))
    values = {name: getattr(question, name) for name in QUESTION_FIELDS}
    values.update({k: v for k, v in data.items() if k in QUESTION_FIELDS})
    _check_question(values)
    with transaction.atomic():
        question = SurveyQuestion.objects.select_for_update().get(pk=question.pk)
        if (values["kind"] != question.kind
                and SurveyAnswer.objects.filter(question=question).exists()):
            raise Conflict(_("This question has answers, so its kind cannot change. Deactivate "
                             "it and add a new question instead."),
                           errors={"kind": _("The question has answers.")})
        for name, value in values.items():
            setattr(question, name, value)
        question.save()
    return question


def _check_question(values: dict) -> None:
    errors = {}
    for name in ("text_zh", "text_en"):
        values[name] = str(values.get(name) or "").strip()
        if not values[name]:
            errors[name] = _("Write the question in both languages.")
        elif len(values[name]) > QUESTION_TEXT_MAX:
            errors[name] = _("Keep the question under %(n)s characters.") % {
                "n": QUESTION_TEXT_MAX}
    if values.get("kind") not in QuestionKind.values:
        errors["kind"] = _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(QuestionKind.values)}
    order = values.get("sort_order")
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 999:
        errors["sort_order"] = _("Use a whole number from %(low)s to %(high)s.") % {
            "low": 0, "high": 999}
    if errors:
        raise InvalidInput(errors=errors)
