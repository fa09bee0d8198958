"""Major incidents (重大事件): the record beside a master incident, its updates, the rules."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel

USER = settings.AUTH_USER_MODEL


class MajorState(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate")
    DECLARED = "declared", _("Declared")
    REJECTED = "rejected", _("Rejected")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# A major incident that is being run: updates are due, children follow it.
LIVE_STATES = (MajorState.DECLARED,)
OPEN_STATES = (MajorState.CANDIDATE, MajorState.DECLARED)


class MajorIncident(TimeStampedModel):
    """The major-incident record of one master incident: proposal, decision, cadence, people.

    One row per master (a OneToOne): a rejected candidate keeps its row, and proposing it again
    turns the same row back into a candidate.
    """

    incident = models.OneToOneField("incidents.Incident", verbose_name=_("master incident"),
                                    on_delete=models.CASCADE, related_name="major")
    state = models.CharField(_("state"), max_length=12, choices=MajorState.choices,
                             default=MajorState.CANDIDATE)
    proposed_by = models.ForeignKey(USER, verbose_name=_("proposed by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True)
    proposal_reason = models.CharField(_("why it is a major incident"), max_length=500,
                                       blank=True)
    # The rule that proposed or declared it, for the record; empty when by hand.
    rule = models.ForeignKey("major.MajorCriteria", verbose_name=_("rule"), null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(USER, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=500, blank=True)
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    manager = models.ForeignKey(USER, verbose_name=_("major-incident manager"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    cadence_minutes = models.PositiveIntegerField(_("update every (minutes)"), default=30)
    next_update_due_at = models.DateTimeField(_("next update due"), null=True, blank=True)
    last_update_at = models.DateTimeField(_("last update"), null=True, blank=True)
    # The due time the reminder went out for: one reminder per due time (the tick's claim).
    reminded_due_at = models.DateTimeField(_("reminded for"), null=True, blank=True)
    missed_count = models.PositiveIntegerField(_("missed updates"), default=0)
    stakeholders = models.ManyToManyField(USER, verbose_name=_("stakeholders"), blank=True,
                                          related_name="major_stakeholding")
    stakeholder_endpoints = models.ManyToManyField(
        "notifications.Endpoint", verbose_name=_("notified channels"), blank=True,
        related_name="+")
    services = models.ManyToManyField("cmdb.Service", verbose_name=_("affected services"),
                                      blank=True, related_name="+")

    class Meta:
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")
        indexes = [
            models.Index(fields=["state", "id"], name="major_state_id"),
            # The cadence tick reads declared majors whose update is due.
            models.Index(fields=["state", "next_update_due_at"], name="major_state_due"),
        ]

    def __str__(self) -> str:
        return f"{self.incident.number} ({self.get_state_display()})"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES


class MajorUpdate(models.Model):
    """One status update of a major incident; a public one is also a public reply on each child."""

    major = models.ForeignKey(MajorIncident, verbose_name=_("major incident"),
                              on_delete=models.CASCADE, related_name="updates")
    text = models.TextField(_("text"))
    is_public = models.BooleanField(_("public"), default=True)
    author = models.ForeignKey(USER, verbose_name=_("author"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("major-incident update")
        verbose_name_plural = _("major-incident updates")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["major", "created_at", "id"], name="major_update_time")]

    def __str__(self) -> str:
        return self.text[:60]


class RuleKind(models.TextChoices):
    PRIORITY = "priority", _("Priority at or above")
    IMPACT = "impact", _("Impact at or above (optionally on one service)")
    CLUSTER = "cluster", _("N incidents on the same service within M minutes")
    AFFECTED = "affected", _("N people affected (\"affects me too\")")


class RuleAction(models.TextChoices):
    PROPOSE = "propose", _("Propose a candidate")
    DECLARE = "declare", _("Declare at once")
    NONE = "none", _("Only raise the impact")


class MajorCriteria(TimeStampedModel):
    """One declaration rule of the process owner: when it matches, propose or declare.

    priority: the incident's priority level ≤ `priority`. impact: impact level ≤ `impact`
    (on `service` if named). cluster: `count` open incidents on the same service registered
    within `window_minutes`. affected: `count` people attached to it; sets its impact to
    `impact` if that is higher. `cadence_minutes` is the update cadence of a major it declares.
    """

    kind = models.CharField(_("kind"), max_length=12, choices=RuleKind.choices)
    action = models.CharField(_("then"), max_length=12, choices=RuleAction.choices,
                              default=RuleAction.PROPOSE)
    priority = models.ForeignKey("reference.Priority", verbose_name=_("priority"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    impact = models.ForeignKey("reference.Impact", verbose_name=_("impact"), null=True,
                               blank=True, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("cmdb.Service", verbose_name=_("service"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField(_("count"), null=True, blank=True)
    window_minutes = models.PositiveIntegerField(_("within (minutes)"), null=True, blank=True)
    cadence_minutes = models.PositiveIntegerField(_("update every (minutes)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("major-incident rule")
        verbose_name_plural = _("major-incident rules")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.get_action_display()}"


class AffectedPerson(models.Model):
    """A person who said "affects me too" about an outage (the master incident), once each."""

    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident"),
                                 on_delete=models.CASCADE, related_name="affected_people")
    user = models.ForeignKey(USER, verbose_name=_("person"), on_delete=models.CASCADE,
                             related_name="+")
    department = models.ForeignKey("accounts.Organisation", verbose_name=_("department"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    added_by = models.ForeignKey(USER, verbose_name=_("added by"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("attached at"), auto_now_add=True)
    notified_at = models.DateTimeField(_("told of the resolution"), null=True, blank=True)

    class Meta:
        verbose_name = _("affected person")
        verbose_name_plural = _("affected people")
        constraints = [models.UniqueConstraint(fields=["incident", "user"],
                                               name="major_affected_once")]

    def __str__(self) -> str:
        return str(self.user)


class ResolvedWithMaster(models.Model):
    """A child that its master's resolution resolved, for as long as it stays that way.

    Reopening the master reopens these children and closing it closes them (children.py). A
    child that moves on by itself (its requester confirms or rejects, the desk reopens, closes
    or cancels it) is forgotten here at that transition, so the master leaves it alone.
    """

    master = models.ForeignKey("incidents.Incident", verbose_name=_("master incident"),
                               on_delete=models.CASCADE, related_name="+")
    child = models.OneToOneField("incidents.Incident", verbose_name=_("child incident"),
                                 on_delete=models.CASCADE, related_name="+")
    resolved_at = models.DateTimeField(_("resolved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("child resolved with its master")
        verbose_name_plural = _("children resolved with their master")

    def __str__(self) -> str:
        return f"{self.child_id} → {self.master_id}"
