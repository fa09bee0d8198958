"""Satisfaction surveys (回复满意度调查) sent after closure: settings, questions, surveys, answers
and the follow-up of a low score."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel

USER = settings.AUTH_USER_MODEL
SCORES = (1, 2, 3, 4, 5)
SATISFIED_SCORES = (4, 5)  # 满意率: the share of 4–5 answers
SCORE_LABELS = {1: _("Very dissatisfied"), 2: _("Dissatisfied"), 3: _("Neutral"),
                4: _("Satisfied"), 5: _("Very satisfied")}


class SurveySettings(TimeStampedModel):
    """The process owner's survey settings: one row (pk=1), created with the defaults.

    Empty `closure_codes` or `sources` mean every code: the process owner narrows, never has to
    list them all.
    """

    is_enabled = models.BooleanField(_("send surveys"), default=True)
    sample_percent = models.PositiveSmallIntegerField(
        _("sampling rate (%)"), default=100,
        help_text=_("The share of closed incidents whose requester gets a survey."))
    delay_minutes = models.PositiveIntegerField(
        _("delay after closure (minutes)"), default=60,
        help_text=_("How long after closure the invitation is mailed."))
    expiry_days = models.PositiveSmallIntegerField(
        _("answerable for (days)"), default=14,
        help_text=_("After this many days from the invitation the survey can no longer be "
                    "answered."))
    low_score_threshold = models.PositiveSmallIntegerField(
        _("low score at or below"), default=2,
        help_text=_("A score at or below this creates a follow-up for the incident managers."))
    follow_up_days = models.PositiveSmallIntegerField(
        _("follow-up due within (days)"), default=2)
    closure_codes = models.ManyToManyField(
        "reference.ClosureCode", verbose_name=_("closure codes surveyed"), blank=True,
        related_name="+", help_text=_("None chosen: every closure code."))
    sources = models.ManyToManyField(
        "reference.Source", verbose_name=_("channels surveyed"), blank=True, related_name="+",
        help_text=_("None chosen: every channel."))
    updated_by = models.ForeignKey(USER, verbose_name=_("changed by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")

    def __str__(self) -> str:
        return str(_("Survey settings"))


class QuestionKind(models.TextChoices):
    SCORE = "score", _("Score 1–5")
    YES_NO = "yes_no", _("Yes or no")
    TEXT = "text", _("Text")


class SurveyQuestion(TimeStampedModel):
    """An optional question asked after the score, in Chinese and English.

    Answered questions are only ever deactivated, never deleted, so old answers keep their
    question.
    """

    text_zh = models.CharField(_("question (Chinese)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300)
    kind = models.CharField(_("kind"), max_length=8, choices=QuestionKind.choices,
                            default=QuestionKind.SCORE)
    is_required = models.BooleanField(_("required"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        if (get_language() or "zh-hans").lower().startswith("zh"):
            return self.text_zh or self.text_en
        return self.text_en or self.text_zh


class SurveyState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    INVITED = "invited", _("Invited")
    SCORED = "scored", _("Scored, form open")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Not sent")


# A survey the requester may still answer (in the portal; by mail once invited).
OPEN_STATES = (SurveyState.SCHEDULED, SurveyState.INVITED, SurveyState.SCORED)
# A survey with a score: it counts in the satisfaction figures.
SCORED_STATES = (SurveyState.SCORED, SurveyState.ANSWERED)


class AnswerChannel(models.TextChoices):
    EMAIL = "email", _("Email link")
    PORTAL = "portal", _("Portal")
    API = "api", _("API")


class Survey(TimeStampedModel):
    """The satisfaction survey of one closed incident: its invitation, token and answer.

    One per incident. `token_digest` is the SHA-256 of the random token in the mail (the token
    itself is never stored). A score clicked in the mail puts the survey in SCORED: the form for
    the questions and the comment stays open (a second click may change the score) until it is
    sent or SCORED_FORM_MINUTES pass; then it is ANSWERED, the token is spent, and a low score
    gets its follow-up.
    """

    incident = models.OneToOneField("incidents.Incident", verbose_name=_("incident"),
                                    on_delete=models.CASCADE, related_name="survey")
    requester = models.ForeignKey(USER, verbose_name=_("requester"), on_delete=models.PROTECT,
                                  related_name="+", db_index=False)  # covered by survey_requester
    state = models.CharField(_("state"), max_length=10, choices=SurveyState.choices,
                             default=SurveyState.SCHEDULED)
    # The incident's closure: the period the answer counts in (a closed incident stays closed).
    closed_at = models.DateTimeField(_("incident closed at"))
    send_after = models.DateTimeField(_("invite after"))
    expires_at = models.DateTimeField(_("answerable until"))
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    token_digest = models.CharField(max_length=64, null=True, blank=True, unique=True,
                                    editable=False)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_via = models.CharField(_("answered via"), max_length=8, blank=True,
                                    choices=AnswerChannel.choices)
    language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-closed_at", "-id"]
        constraints = [models.CheckConstraint(
            condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
            name="survey_score_1_to_5")]
        indexes = [
            # The tick: scheduled surveys whose time has come, scored forms to close, expiry.
            models.Index(fields=["state", "send_after"], name="survey_state_send"),
            models.Index(fields=["state", "scored_at"], name="survey_state_scored"),
            models.Index(fields=["state", "expires_at"], name="survey_state_expires"),
            # Results and the KPI figures: answers by the period of closure.
            models.Index(fields=["closed_at", "id"], name="survey_closed"),
            models.Index(fields=["requester", "state"], name="survey_requester"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class SurveyAnswer(models.Model):
    """The answer to one optional question (a score, yes/no, or text)."""

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE,
                               related_name="answers")
    question = models.ForeignKey(SurveyQuestion, verbose_name=_("question"),
                                 on_delete=models.PROTECT, related_name="answers")
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    yes = models.BooleanField(_("yes"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["question__sort_order", "question_id"]
        constraints = [models.UniqueConstraint(fields=["survey", "question"],
                                               name="survey_answer_once")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.display}"

    @property
    def display(self) -> str:
        if self.score is not None:
            return f"{self.score}/5"
        if self.yes is not None:
            return str(_("Yes") if self.yes else _("No"))
        return self.text


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


OPEN_FOLLOW_UP_STATUSES = (FollowUpStatus.OPEN, FollowUpStatus.IN_PROGRESS)


class FollowUp(TimeStampedModel):
    """The incident managers' follow-up of a low score: who took it and what was done."""

    survey = models.OneToOneField(Survey, verbose_name=_("survey"), on_delete=models.CASCADE,
                                  related_name="follow_up")
    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident"),
                                 on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=FollowUpStatus.choices,
                              default=FollowUpStatus.OPEN)
    assignee = models.ForeignKey(USER, verbose_name=_("taken by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("due"))
    outcome = models.TextField(_("what was done"), blank=True)
    done_by = models.ForeignKey(USER, verbose_name=_("closed by"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("satisfaction follow-up")
        verbose_name_plural = _("satisfaction follow-ups")
        ordering = ["due_at", "id"]
        # The queue: open follow-ups by due date.
        indexes = [models.Index(fields=["status", "due_at", "id"], name="survey_followup_queue")]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_FOLLOW_UP_STATUSES
