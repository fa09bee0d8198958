"""Collaboration on incidents: @mentions in comments, tasks for other groups, shift handovers."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel

USER = settings.AUTH_USER_MODEL


class Mention(models.Model):
    """A person named with @ in a reply or work note; `notified` says whether they were told."""

    comment = models.ForeignKey("incidents.Comment", verbose_name=_("comment"),
                                on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(USER, verbose_name=_("person"), on_delete=models.CASCADE,
                             related_name="mentions")
    notified = models.BooleanField(_("notified"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        constraints = [models.UniqueConstraint(fields=["comment", "user"],
                                               name="collab_mention_once")]
        indexes = [models.Index(fields=["user", "-created_at"], name="collab_mention_user")]

    def __str__(self) -> str:
        return f"@{self.user} ({self.comment_id})"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


class IncidentTask(TimeStampedModel):
    """A piece of work on an incident for another group (子任务), with its own assignee and due date.

    A mandatory task that is still open keeps people from resolving or closing the incident."""

    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident"),
                                 on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    group = models.ForeignKey("accounts.SupportGroup", verbose_name=_("group"),
                              on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(USER, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=TaskStatus.choices,
                              default=TaskStatus.OPEN)
    mandatory = models.BooleanField(
        _("mandatory"), default=False,
        help_text=_("The incident cannot be resolved or closed while this task is open."))
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_by = models.ForeignKey(USER, verbose_name=_("completed by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    note = models.TextField(_("closing note"), blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("incident task")
        verbose_name_plural = _("incident tasks")
        indexes = [
            models.Index(fields=["incident", "position"], name="collab_task_incident"),
            # "My tasks": a group's or a person's open tasks, by due date.
            models.Index(fields=["group", "status", "due_at"], name="collab_task_group_due"),
            models.Index(fields=["assignee", "status", "due_at"], name="collab_task_person_due"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()


class Handover(models.Model):
    """One shift's handover (交接班): what the outgoing shift hands to the next one."""

    shift_date = models.DateField(_("shift date"))
    shift_label = models.CharField(_("shift"), max_length=60,
                                   help_text=_("For example: day shift, night shift, 白班, 夜班."))
    from_group = models.ForeignKey("accounts.SupportGroup", verbose_name=_("from group"),
                                   on_delete=models.PROTECT, related_name="+")
    to_group = models.ForeignKey("accounts.SupportGroup", verbose_name=_("to group"),
                                 on_delete=models.PROTECT, related_name="+",
                                 help_text=_("The group of the next shift (often the same)."))
    to_label = models.CharField(_("next shift"), max_length=60, blank=True)
    written_by = models.ForeignKey(USER, verbose_name=_("written by"), on_delete=models.PROTECT,
                                   related_name="+")
    summary = models.TextField(_("summary"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    acknowledged_by = models.ForeignKey(USER, verbose_name=_("acknowledged by"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("shift handover")
        verbose_name_plural = _("shift handovers")
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="collab_handover_new"),
            models.Index(fields=["from_group", "-created_at"], name="collab_handover_from"),
            models.Index(fields=["to_group", "-created_at"], name="collab_handover_to"),
        ]

    def __str__(self) -> str:
        return f"{self.shift_date} {self.shift_label}"


class HandoverItem(models.Model):
    """An open incident handed over, with what the next shift should know or do."""

    handover = models.ForeignKey(Handover, verbose_name=_("handover"), on_delete=models.CASCADE,
                                 related_name="items")
    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident"),
                                 on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("handover item")
        verbose_name_plural = _("handover items")
        constraints = [models.UniqueConstraint(fields=["handover", "incident"],
                                               name="collab_handover_incident_once")]
