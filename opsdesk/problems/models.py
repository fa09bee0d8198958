"""Problems (PRB…), their links to incidents, their append-only history, and problem candidates."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import AppendOnlyQuerySet

from .choices import (OPEN_PROBLEM_STATUSES, CandidateKind, CandidateState, ProblemEventKind,
                      ProblemStatus)

USER = settings.AUTH_USER_MODEL


def _ref(model, label, **kwargs):
    return models.ForeignKey(model, verbose_name=label, null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+", db_index=False, **kwargs)


class Problem(models.Model):
    """The unknown cause of one or more incidents, investigated to a root cause and a fix."""

    # Empty only inside the creating transaction, until the number is taken as its last step.
    number = models.CharField(_("number"), max_length=20, unique=True, null=True, editable=False)
    short_description = models.CharField(_("problem statement"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ProblemStatus.choices,
                              default=ProblemStatus.NEW, editable=False)
    root_cause = models.TextField(_("root cause"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    owner_group = models.ForeignKey(
        "accounts.SupportGroup", verbose_name=_("owner group"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="problems",
        db_index=False)  # covered by prb_group_status_id
    assignee = models.ForeignKey(USER, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="assigned_problems",
                                 db_index=False)  # covered by prb_assignee_status_id
    priority = _ref("reference.Priority", _("priority"))
    category = _ref("reference.Category", _("category"))
    service = _ref("cmdb.Service", _("service"))
    configuration_items = models.ManyToManyField(
        "cmdb.ConfigurationItem", verbose_name=_("configuration items"), blank=True,
        related_name="problems")
    known_error_article = models.ForeignKey(
        "knowledge.Article", verbose_name=_("known-error article"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False)
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False,
                                   db_index=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    known_error_at = models.DateTimeField(_("known error since"), null=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        # Each index fits a list: by status, by owner group, by assignee, newest first.
        indexes = [
            models.Index(fields=["status", "id"], name="prb_status_id"),
            models.Index(fields=["owner_group", "status", "id"], name="prb_group_status_id"),
            models.Index(fields=["assignee", "status", "id"], name="prb_assignee_status_id"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PROBLEM_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status == ProblemStatus.CLOSED


class ProblemIncident(models.Model):
    """An incident linked to a problem (once per pair)."""

    problem = models.ForeignKey(Problem, verbose_name=_("problem"), on_delete=models.CASCADE,
                                related_name="incident_links")
    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident"),
                                 on_delete=models.CASCADE, related_name="problem_links")
    linked_by = models.ForeignKey(USER, verbose_name=_("linked by"), null=True,
                                  on_delete=models.SET_NULL, related_name="+", db_index=False)
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)

    class Meta:
        ordering = ["linked_at", "id"]
        verbose_name = _("linked incident")
        verbose_name_plural = _("linked incidents")
        constraints = [models.UniqueConstraint(fields=["problem", "incident"],
                                               name="problem_incident_unique")]
        # The unique index serves the problem's list; this one the incident page's panel.
        indexes = [models.Index(fields=["incident", "problem"], name="prb_link_incident")]


class ProblemEvent(models.Model):
    """One append-only history entry of a problem."""

    problem = models.ForeignKey(Problem, verbose_name=_("problem"), on_delete=models.PROTECT,
                                related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=ProblemEventKind.choices)
    actor = models.ForeignKey(USER, verbose_name=_("actor"), null=True, on_delete=models.PROTECT,
                              related_name="+")
    channel = models.CharField(_("channel"), max_length=10, default="web")
    at = models.DateTimeField(_("time"), default=timezone.now)
    action = models.CharField(_("action"), max_length=16, blank=True)
    from_status = models.CharField(_("from status"), max_length=16, blank=True)
    to_status = models.CharField(_("to status"), max_length=16, blank=True)
    field = models.CharField(_("field"), max_length=64, blank=True)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        base_manager_name = "objects"
        indexes = [models.Index(fields=["problem", "at", "id"], name="prb_event_time")]
        verbose_name = _("problem history entry")
        verbose_name_plural = _("problem history")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Problem history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Problem history is append-only.")


class CandidateRule(models.Model):
    """The settings of the recurring-incident scan (one row, edited by the process owner)."""

    is_active = models.BooleanField(_("scan for candidates"), default=True)
    threshold = models.PositiveSmallIntegerField(
        _("more than this many incidents"), default=2,
        help_text=_("Flag a group of incidents when it holds more than this many."))
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"), default=7,
        help_text=_("Count the incidents logged in this many days up to now."))
    by_category = models.BooleanField(_("same category"), default=True)
    by_service = models.BooleanField(_("same service"), default=True)
    by_ci = models.BooleanField(_("same configuration item"), default=True)
    by_text = models.BooleanField(_("similar text"), default=True)
    by_workaround = models.BooleanField(
        _("resolved with a workaround and no problem"), default=True)
    last_scan_at = models.DateTimeField(_("last scan"), null=True, editable=False)
    updated_by = models.ForeignKey(USER, verbose_name=_("changed by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("problem candidate rule")
        verbose_name_plural = _("problem candidate rules")


class ProblemCandidate(models.Model):
    """A group of recurring incidents (or one worked around) that may deserve a problem.

    `open_key` ("kind:key") is set while the candidate is open and cleared when it is raised or
    dismissed: its unique index keeps one open candidate per key, on every database."""

    kind = models.CharField(_("kind"), max_length=16, choices=CandidateKind.choices)
    key = models.CharField(_("key"), max_length=100)
    label = models.CharField(_("what recurs"), max_length=200)
    open_key = models.CharField(max_length=120, unique=True, null=True, editable=False)
    incident_ids = models.JSONField(_("incidents"), default=list)
    count = models.PositiveIntegerField(_("incidents"), default=0)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    state = models.CharField(_("state"), max_length=16, choices=CandidateState.choices,
                             default=CandidateState.OPEN)
    problem = models.ForeignKey(Problem, verbose_name=_("problem"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="candidates")
    decided_by = models.ForeignKey(USER, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", db_index=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    dismiss_reason = models.CharField(_("reason for dismissing"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-last_seen", "-id"]
        verbose_name = _("problem candidate")
        verbose_name_plural = _("problem candidates")
        indexes = [
            # The manager's list: a state, most recent recurrence first.
            models.Index(fields=["state", "-last_seen", "-id"], name="prb_cand_state_seen"),
            # The scan reads the decided candidates of the keys it found.
            models.Index(fields=["kind", "key"], name="prb_cand_kind_key"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state=CandidateState.OPEN) | Q(open_key=None),
                                   name="prb_cand_open_key_only_open"),
        ]

    @property
    def dismissed_by(self):
        return self.decided_by if self.state == CandidateState.DISMISSED else None
