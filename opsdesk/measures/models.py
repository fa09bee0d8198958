"""The KPI engine's tables: targets (with who changed them), one fact row per incident, the
daily rollup of those facts, and the days the rollup must count again.

See README.md: the facts hold what each incident counts for (its clocks, durations in wall and
business time, flags); the rollup sums them per day, in total and per value of each dimension,
so a dashboard over a year reads a few thousand rows, not a million incidents.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


class KpiTarget(models.Model):
    """The process owner's target for one KPI (its code, see kpis.py); no row: the default."""

    code = models.CharField(_("KPI"), max_length=40, primary_key=True)
    target = models.DecimalField(_("target"), max_digits=10, decimal_places=2, null=True,
                                 blank=True)
    changed_by = models.ForeignKey(USER, verbose_name=_("changed by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")


class KpiTargetChange(models.Model):
    """One change of a target, kept for the record: who, when, from what to what."""

    code = models.CharField(_("KPI"), max_length=40)
    old_target = models.DecimalField(_("old target"), max_digits=10, decimal_places=2,
                                     null=True)
    new_target = models.DecimalField(_("new target"), max_digits=10, decimal_places=2,
                                     null=True)
    changed_by = models.ForeignKey(USER, verbose_name=_("changed by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=10, default="web")

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["code", "-changed_at"], name="kpi_target_change_code")]
        verbose_name = _("KPI target change")
        verbose_name_plural = _("KPI target changes")


class ClockState(models.IntegerChoices):
    """Where an incident's response or resolution clock stands, for the on-time rates."""

    NONE = 0, _("no target")
    RUNNING = 1, _("running")
    MET = 2, _("met")
    BREACHED = 3, _("breached")


class IncidentFact(models.Model):
    """What one incident counts for in the KPIs, as it stands now (rollups.fact_of).

    Dimensions are plain ids (no foreign keys: no joins, no constraint checks on the bulk
    writes). Durations are whole seconds; business time is on the incident's SLA calendar,
    minus the time its clock stood still; None where it does not apply.
    """

    incident_id = models.BigIntegerField(primary_key=True)
    day = models.DateField()  # registration date in the site's time zone
    group_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)
    service_id = models.IntegerField(null=True)
    priority_id = models.IntegerField(null=True)
    source_id = models.CharField(max_length=10, blank=True)
    response_state = models.PositiveSmallIntegerField(choices=ClockState.choices)
    resolution_state = models.PositiveSmallIntegerField(choices=ClockState.choices)
    response_wall = models.IntegerField(null=True)
    response_business = models.IntegerField(null=True)
    resolution_wall = models.IntegerField(null=True)
    resolution_business = models.IntegerField(null=True)
    resolved = models.BooleanField(default=False)
    ever_resolved = models.BooleanField(default=False)
    first_contact = models.BooleanField(default=False)
    assignments = models.PositiveIntegerField(default=0)
    hand_backs = models.PositiveIntegerField(default=0)
    reopened = models.BooleanField(default=False)
    escalated_functional = models.BooleanField(default=False)
    escalated_hierarchical = models.BooleanField(default=False)
    complete = models.BooleanField(default=False)
    repeat = models.BooleanField(default=False)

    class Meta:
        # Medians and filtered figures read a date range, alone or within one dimension.
        indexes = [
            models.Index(fields=["day"], name="fact_day"),
            models.Index(fields=["group_id", "day"], name="fact_group_day"),
            models.Index(fields=["category_id", "day"], name="fact_category_day"),
            models.Index(fields=["service_id", "day"], name="fact_service_day"),
        ]


class KpiDaily(models.Model):
    """The facts of one registration day summed: over all incidents (dimension "all"), and per
    group, category, service, priority and channel (one row per value, `key` the id or the
    source code, "" for none). A filter on one dimension reads that dimension's rows; about 60
    rows a day, so a year is a few thousand rows (rollups.day_refresh)."""

    day = models.DateField()
    dimension = models.CharField(max_length=10)
    key = models.CharField(max_length=32, blank=True)
    registered = models.PositiveIntegerField(default=0)
    response_decided = models.PositiveIntegerField(default=0)
    response_met = models.PositiveIntegerField(default=0)
    resolution_decided = models.PositiveIntegerField(default=0)
    resolution_met = models.PositiveIntegerField(default=0)
    response_wall_count = models.PositiveIntegerField(default=0)
    response_wall_sum = models.BigIntegerField(default=0)
    response_business_count = models.PositiveIntegerField(default=0)
    response_business_sum = models.BigIntegerField(default=0)
    resolution_wall_count = models.PositiveIntegerField(default=0)
    resolution_wall_sum = models.BigIntegerField(default=0)
    resolution_business_count = models.PositiveIntegerField(default=0)
    resolution_business_sum = models.BigIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    ever_resolved = models.PositiveIntegerField(default=0)
    first_contact = models.PositiveIntegerField(default=0)
    assignments = models.PositiveIntegerField(default=0)
    hand_backs = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    escalated_functional = models.PositiveIntegerField(default=0)
    escalated_hierarchical = models.PositiveIntegerField(default=0)
    complete = models.PositiveIntegerField(default=0)
    repeat = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["dimension", "day", "key"], name="kpi_daily_dim_day")]


class RollupDirtyDay(models.Model):
    """A registration day whose facts changed since the rollup last counted it.

    Insert-only marks (no unique key, so concurrent writers never wait on each other): the
    tick takes the days marked up to some id, counts them again, and deletes those marks.
    """

    day = models.DateField()
    marked_at = models.DateTimeField(default=timezone.now)


class RollupState(models.Model):
    """One row (pk=1): how far the tick has read the SLA history, and when it last ran."""

    sla_event_seen = models.BigIntegerField(default=0)  # history ids read at the last run
    sla_event_seen_before = models.BigIntegerField(default=0)  # … and at the run before it
    refreshed_at = models.DateTimeField(null=True)
