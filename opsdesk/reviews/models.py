"""Post-incident reviews (PIR) of major incidents: the review, its timeline and its actions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel

USER = settings.AUTH_USER_MODEL


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")


class TimelineSource(models.TextChoices):
    """Where a timeline line came from; generated lines stay editable like typed ones."""

    HISTORY = "history", _("incident history")
    ALERT = "alert", _("monitoring alert")
    UPDATE = "update", _("major-incident update")
    CHILD = "child", _("related report")
    MANUAL = "manual", _("added by hand")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class PostIncidentReview(TimeStampedModel):
    """The post-incident review of one major incident's master; approved before it may close.

    Impact figures are prefilled from the master and its children when the review is created,
    then kept as the authors correct them. The root cause is a text, a problem number
    (`problem_reference`, validated against opsdesk.problems), or both.
    """

    incident = models.OneToOneField("incidents.Incident", verbose_name=_("master incident"),
                                    on_delete=models.PROTECT, related_name="review")
    status = models.CharField(_("status"), max_length=10, choices=ReviewStatus.choices,
                              default=ReviewStatus.DRAFT)
    summary = models.TextField(_("summary"), blank=True)
    impact = models.TextField(_("impact (who, what, how long)"), blank=True)
    impact_started_at = models.DateTimeField(_("impact started"), null=True, blank=True)
    impact_ended_at = models.DateTimeField(_("impact ended"), null=True, blank=True)
    affected_services = models.CharField(_("affected services"), max_length=1000, blank=True)
    affected_services_count = models.PositiveIntegerField(_("affected services (count)"),
                                                          default=0)
    affected_users_count = models.PositiveIntegerField(_("affected users (count)"), default=0)
    affected_departments_count = models.PositiveIntegerField(
        _("affected departments (count)"), default=0)
    root_cause = models.TextField(_("root cause"), blank=True)
    problem_reference = models.CharField(_("problem"), max_length=40, blank=True)
    lessons_learned = models.TextField(_("lessons learned"), blank=True)
    authors = models.ManyToManyField(USER, verbose_name=_("authors"), blank=True,
                                     related_name="+")
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    submitted_by = models.ForeignKey(USER, verbose_name=_("submitted by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(USER, verbose_name=_("approved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    return_reason = models.CharField(_("returned because"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("post-incident review")
        verbose_name_plural = _("post-incident reviews")
        indexes = [models.Index(fields=["status", "-id"], name="review_status_id")]
        constraints = [models.CheckConstraint(
            condition=~models.Q(status="approved") | models.Q(approved_at__isnull=False),
            name="review_approved_has_time")]

    def __str__(self) -> str:
        return f"PIR {self.incident.number}"

    @property
    def is_approved(self) -> bool:
        return self.status == ReviewStatus.APPROVED


class ReviewTimelineEntry(models.Model):
    """One line of the review's timeline: when, what, and where the line came from."""

    review = models.ForeignKey(PostIncidentReview, verbose_name=_("review"),
                               on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("time"))
    text = models.TextField(_("what happened"))
    source = models.CharField(_("source"), max_length=10, choices=TimelineSource.choices,
                              default=TimelineSource.MANUAL)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["review", "at", "id"], name="review_timeline_at")]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return self.text[:60]


class ReviewAction(models.Model):
    """A follow-up action of a review, with an owner and a due date, open until done."""

    review = models.ForeignKey(PostIncidentReview, verbose_name=_("review"),
                               on_delete=models.CASCADE, related_name="actions")
    text = models.TextField(_("action"))
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="+")
    due_on = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=6, choices=ActionStatus.choices,
                              default=ActionStatus.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(USER, verbose_name=_("done by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["review", "id"], name="review_action_review"),
            # "My open actions, soonest first" reads one owner's open rows by due date.
            models.Index(fields=["owner", "status", "due_on"], name="review_action_owner_due"),
        ]
        constraints = [models.CheckConstraint(
            condition=~models.Q(status="done") | models.Q(done_at__isnull=False),
            name="review_action_done_has_time")]
        verbose_name = _("review action")
        verbose_name_plural = _("review actions")

    def __str__(self) -> str:
        return self.text[:60]
