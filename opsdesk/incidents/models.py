"""The incident record (SPEC §2), its comments, attachments and append-only history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.audit import incident_chain
from opsdesk.core.models import AppendOnlyQuerySet

from .choices import ACTIVE_STATUSES, OPEN_STATUSES, Channel, EventKind, Status, Visibility
from .querysets import IncidentQuerySet

USER = settings.AUTH_USER_MODEL


def _fk(model, label, related_name="+", db_index=False, **kwargs):
    """A nullable, protected foreign key to reference data.

    Unindexed by default: every index slows each insert, and a code shared by a large part of
    the table (a source, an impact) is never a useful index on its own. Lists filter on the
    composite indexes in Meta; rows of code tables are never deleted, only deactivated.
    """
    return models.ForeignKey(
        model, verbose_name=label, null=True, blank=True, on_delete=models.PROTECT,
        related_name=related_name, db_index=db_index, **kwargs,
    )


class Incident(models.Model):
    """An incident, service request or consultation, carrying every ITSS information item."""

    # System items (never typed in).
    # Empty only inside the creating transaction, until the number is taken as its last step.
    number = models.CharField(_("number"), max_length=20, unique=True, null=True, editable=False)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)
    created_by = models.ForeignKey(
        USER, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL,
        related_name="+", editable=False, db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices,
                               default=Channel.WEB, editable=False)
    owner = models.ForeignKey(
        USER, verbose_name=_("owner (first handler)"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="owned_incidents", editable=False,
        db_index=False,  # covered by inc_owner_status_id
    )
    status = models.PositiveSmallIntegerField(
        _("status"), choices=Status.choices, default=Status.LOGGED, editable=False)
    first_response_at = models.DateTimeField(_("first response at"), null=True, editable=False)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, editable=False)
    response_due_at = models.DateTimeField(_("response due at"), null=True, editable=False)
    resolution_due_at = models.DateTimeField(_("resolution due at"), null=True, editable=False)
    response_breached = models.BooleanField(_("response breached"), default=False, editable=False)
    resolution_breached = models.BooleanField(_("resolution breached"), default=False,
                                              editable=False)
    first_contact_resolution = models.BooleanField(
        _("resolved at first contact"), default=False, editable=False)
    reassignment_count = models.PositiveIntegerField(_("reassignments"), default=0, editable=False)
    hand_back_count = models.PositiveIntegerField(_("hand-backs"), default=0, editable=False)
    reopen_count = models.PositiveIntegerField(_("reopens"), default=0, editable=False)
    escalation_count = models.PositiveIntegerField(_("escalations"), default=0, editable=False)
    # SLA clocks, kept by opsdesk.sla.engine (docs/architecture.md, "SLA clocks"). A level is
    # 0 (running), 1 (first warning), 2 (second warning) or 3 (breached); the tick raises it
    # with a conditional UPDATE, so each crossing is recorded once.
    sla_policy = models.ForeignKey("sla.SlaPolicy", verbose_name=_("SLA policy"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="+",
                                   db_index=False, editable=False)
    response_sla_level = models.PositiveSmallIntegerField(_("response SLA level"), default=0,
                                                          editable=False)
    resolution_sla_level = models.PositiveSmallIntegerField(_("resolution SLA level"), default=0,
                                                            editable=False)
    # Set while the response clock stands still (a status the policy names, before the first
    # response); the same mechanics as the resolution clock below.
    response_paused_at = models.DateTimeField(_("response clock paused at"), null=True,
                                              editable=False)
    response_paused_seconds = models.PositiveIntegerField(
        _("response clock paused (business seconds)"), default=0, editable=False)
    # Set while the resolution clock stands still: pending for a pausing reason, or resolved.
    resolution_paused_at = models.DateTimeField(_("resolution clock paused at"), null=True,
                                                editable=False)
    resolution_paused_seconds = models.PositiveIntegerField(
        _("resolution clock paused (business seconds)"), default=0, editable=False)
    # The next instant the SLA tick must look at this incident (a threshold, a due date, an
    # auto-close step); empty when no clock runs.
    sla_next_check_at = models.DateTimeField(_("next SLA check"), null=True, editable=False)
    auto_close_reminded = models.BooleanField(_("auto-close reminder sent"), default=False,
                                              editable=False)
    hierarchical_escalation_count = models.PositiveIntegerField(
        _("hierarchical escalations"), default=0, editable=False)
    # The policy's terms as they were when its clocks started (sla.engine.sla_terms), so an
    # edit of the policy later never moves a running clock; a new policy (priority change)
    # takes a new snapshot. Empty on incidents without a policy.
    sla_response_calendar = models.ForeignKey(
        "sla.BusinessCalendar", verbose_name=_("response calendar"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", db_index=False, editable=False)
    sla_response_seconds = models.PositiveIntegerField(
        _("response target (business seconds)"), null=True, editable=False)
    sla_resolution_calendar = models.ForeignKey(
        "sla.BusinessCalendar", verbose_name=_("resolution calendar"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", db_index=False, editable=False)
    sla_resolution_seconds = models.PositiveIntegerField(
        _("resolution target (business seconds)"), null=True, editable=False)
    sla_warn_first_percent = models.PositiveSmallIntegerField(_("first warning at %"),
                                                              null=True, editable=False)
    sla_warn_second_percent = models.PositiveSmallIntegerField(_("second warning at %"),
                                                               null=True, editable=False)
    # When the auto-close wait started: the resolution, or the requester's last reply since.
    auto_close_wait_from = models.DateTimeField(_("auto-close wait started"), null=True,
                                                editable=False)

    # Who and where.
    requester = models.ForeignKey(
        USER, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="incidents",
        db_index=False)  # covered by inc_requester_id
    requester_department = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("requester's department"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+")
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    location = _fk("accounts.Location", _("location"))

    # What.
    source = _fk("reference.Source", _("source"))
    nature = _fk("reference.Nature", _("nature"))
    short_description = models.CharField(_("short description"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = _fk("reference.Category", _("category"), db_index=True)
    service = _fk("cmdb.Service", _("affected service"), db_index=True)
    configuration_items = models.ManyToManyField(
        "cmdb.ConfigurationItem", verbose_name=_("configuration items"), blank=True,
        related_name="incidents")

    # How bad.
    impact = models.ForeignKey("reference.Impact", verbose_name=_("impact"),
                               on_delete=models.PROTECT, related_name="+", db_index=False)
    urgency = models.ForeignKey("reference.Urgency", verbose_name=_("urgency"),
                               on_delete=models.PROTECT, related_name="+", db_index=False)
    priority = models.ForeignKey("reference.Priority", verbose_name=_("priority"),
                                 on_delete=models.PROTECT, related_name="+",
                                 db_index=False)  # covered by inc_priority_status_id
    priority_overridden = models.BooleanField(_("priority overridden"), default=False)
    priority_override_reason = models.CharField(_("priority override reason"), max_length=300,
                                                blank=True)

    # Who works on it.
    assignment_group = models.ForeignKey(
        "accounts.SupportGroup", verbose_name=_("assignment group"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="incidents",
        db_index=False)  # covered by inc_group_status_id
    assignee = models.ForeignKey(
        USER, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="assigned_incidents", db_index=False)  # covered by inc_assignee_status_id
    collaborators = models.ManyToManyField(
        USER, verbose_name=_("collaborators"), blank=True, related_name="collaborating_incidents")
    watchers = models.ManyToManyField(
        USER, verbose_name=_("watchers"), blank=True, related_name="watched_incidents")
    pending_reason = _fk("reference.PendingReason", _("pending reason"))

    # How it ended.
    resolution = models.TextField(_("resolution"), blank=True)
    is_workaround = models.BooleanField(_("workaround"), default=False)
    resolution_code = _fk("reference.ResolutionCode", _("resolution code"))
    closure_code = _fk("reference.ClosureCode", _("closure code"))
    satisfaction_score = models.PositiveSmallIntegerField(_("satisfaction score"), null=True,
                                                          blank=True)
    satisfaction_comment = models.TextField(_("satisfaction comment"), blank=True)

    # Links.
    vendor = _fk("vendors.Vendor", _("vendor"))
    vendor_reference = models.CharField(_("vendor reference"), max_length=100, blank=True)
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("duplicate of"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="duplicates")
    parent = models.ForeignKey(
        "self", verbose_name=_("parent (master) incident"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="children")
    alert_ids = models.JSONField(_("alert ids"), default=list, blank=True)
    related_problem = models.CharField(_("related problem"), max_length=40, blank=True)
    related_change = models.CharField(_("related change"), max_length=40, blank=True)
    # The end of the incident's history chain: the seq and hash of its last entry. Written only
    # by the chain (IncidentEvent.save, bulk writers), never by a save of the incident, so an
    # entry removed from the end of the history no longer goes unnoticed.
    history_seq = models.PositiveIntegerField(_("history length"), default=0, editable=False)
    history_hash = models.CharField(_("history head hash"), max_length=64, blank=True,
                                    default="", editable=False)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        # Each index fits a queue or list: filter columns first, then id for keyset order.
        indexes = [
            models.Index(fields=["status", "id"], name="inc_status_id"),
            models.Index(fields=["assignment_group", "status", "id"], name="inc_group_status_id"),
            models.Index(fields=["assignee", "status", "id"], name="inc_assignee_status_id"),
            models.Index(fields=["owner", "status", "id"], name="inc_owner_status_id"),
            models.Index(fields=["requester", "id"], name="inc_requester_id"),
            models.Index(fields=["priority", "status", "id"], name="inc_priority_status_id"),
            models.Index(fields=["registered_at"], name="inc_registered_at"),
            # The dashboards' "at risk in the next hour" and "breached today / this week".
            models.Index(fields=["response_due_at"], name="inc_response_due"),
            models.Index(fields=["resolution_due_at"], name="inc_resolution_due"),
            # Open queues: small partial indexes in id order (PostgreSQL and SQLite; MySQL has
            # no partial indexes and uses the composite ones above).
            models.Index(fields=["assignment_group", "-id"], name="inc_open_group_id",
                         condition=Q(status__in=OPEN_STATUSES)),
            models.Index(fields=["priority", "-id"], name="inc_open_priority_id",
                         condition=Q(status__in=OPEN_STATUSES)),
            # The SLA tick reads only the incidents whose next check is due.
            models.Index(fields=["sla_next_check_at"], name="inc_sla_next_check",
                         condition=Q(status__in=ACTIVE_STATUSES, sla_next_check_at__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction_score__isnull=True)
                | Q(satisfaction_score__gte=1, satisfaction_score__lte=5),
                name="incident_satisfaction_1_to_5"),
            models.CheckConstraint(
                condition=~Q(status=Status.RESOLVED) | Q(resolved_at__isnull=False),
                name="incident_resolved_has_time"),
            models.CheckConstraint(
                condition=~Q(status=Status.CLOSED) | Q(closed_at__isnull=False),
                name="incident_closed_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    def save(self, *args, **kwargs):
        # A save of a loaded incident writes every field but the history's head: the instance
        # may have been loaded before an entry was added, and its stale head must not win.
        if not self._state.adding and kwargs.get("update_fields") is None \
                and not kwargs.get("force_insert"):
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [f for f in UPDATABLE_FIELDS if f not in deferred]
        super().save(*args, **kwargs)

    @property
    def status_key(self) -> str:
        return Status(self.status).key


class DailySerial(models.Model):
    """The last number handed out per prefix and day; locked while a new number is taken."""

    prefix = models.CharField(max_length=8)
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="daily_serial_unique")]


class Comment(models.Model):
    """A public reply or an internal work note."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE,
                                 related_name="comments")
    author = models.ForeignKey(USER, verbose_name=_("author"), on_delete=models.PROTECT,
                               related_name="+")
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.PUBLIC)
    body = models.TextField(_("text"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices,
                               default=Channel.WEB)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"], name="comment_incident_time")]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Files are grouped by month and carry a random stem, so names never collide or leak.
    return f"attachments/{timezone.now():%Y/%m}/{instance.storage_key}"


class Attachment(models.Model):
    """A file on an incident, stored outside the web root and served after a permission check."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE,
                                 related_name="attachments")
    comment = models.ForeignKey(Comment, verbose_name=_("comment"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="attachments")
    uploaded_by = models.ForeignKey(USER, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
                                    related_name="+")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    storage_key = models.CharField(max_length=64, editable=False)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.PUBLIC)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"], name="attach_incident_time")]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


HISTORY_HEAD_FIELDS = ("history_seq", "history_hash")
UPDATABLE_FIELDS = tuple(f.attname for f in Incident._meta.concrete_fields
                         if not f.primary_key and f.name not in HISTORY_HEAD_FIELDS)


class IncidentEvent(models.Model):
    """One append-only history entry: who did what to the incident, when, through which channel."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT,
                                 related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(USER, verbose_name=_("actor"), null=True, on_delete=models.PROTECT,
                              related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices,
                               default=Channel.WEB)
    at = models.DateTimeField(_("time"), default=timezone.now)
    field = models.CharField(_("field"), max_length=64, blank=True)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    action = models.CharField(_("action"), max_length=16, blank=True)
    from_status = models.PositiveSmallIntegerField(_("from status"), null=True,
                                                   choices=Status.choices)
    to_status = models.PositiveSmallIntegerField(_("to status"), null=True,
                                                 choices=Status.choices)
    # Internal entries (work notes, internal attachments) are hidden from requesters.
    is_internal = models.BooleanField(_("internal"), default=False)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # The incident's hash chain (opsdesk/audit/incident_chain.py): place, link, own hash.
    seq = models.PositiveIntegerField(_("sequence"), null=True, editable=False)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("hash"), max_length=64, blank=True, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        # Related lookups use the base manager: make it the append-only one too.
        base_manager_name = "objects"
        indexes = [models.Index(fields=["incident", "at", "id"], name="event_incident_time")]
        constraints = [models.UniqueConstraint(fields=["incident", "seq"],
                                               name="event_incident_seq")]
        verbose_name = _("history entry")
        verbose_name_plural = _("history")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Incident history is append-only.")
        if not self.hash:
            incident_chain.event_link(self)
        super().save(*args, **kwargs)
        incident_chain.head_move(self)

    def delete(self, *args, **kwargs):
        raise PermissionError("Incident history is append-only.")


class IdempotencyKey(models.Model):
    """Remembers the result of a create request so a retried POST returns it again."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_digest = models.CharField(max_length=64)
    incident = models.ForeignKey(Incident, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique")]


class CreationFollowUp(models.Model):
    """A created incident whose follow-up has not run yet: the outbox of incident_create.

    The follow-up is what a creation sets off once the incident has its number: the
    acknowledgement and assignment mails and the apps' create hooks (major-incident rules, the
    KPI rollup's mark). The row commits with the incident, before its number is taken; the
    follow-up runs in its own transaction right after and deletes the row. Should that fail or
    the process die, the periodic sweep runs it again from this row (every step is keyed, so
    nothing is sent twice). See services/records.py.
    """

    incident = models.OneToOneField(Incident, primary_key=True, on_delete=models.CASCADE,
                                    related_name="+")
    by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    acknowledge = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
