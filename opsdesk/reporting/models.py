"""Scheduled reports: what a process owner has mailed, how often, to whom; and what was sent."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel

USER = settings.AUTH_USER_MODEL


class ReportKind(models.TextChoices):
    MONTHLY = "monthly_report", _("Monthly service report")
    KPIS = "kpi_table", _("KPI table")
    INCIDENTS = "incident_list", _("Incident list")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    WEEKLY = "weekly", _("Weekly")
    DAILY = "daily", _("Daily")


class ReportFormat(models.TextChoices):
    PDF = "pdf", _("PDF")
    HTML = "html", _("Printable HTML")
    XLSX = "xlsx", _("Excel (xlsx)")
    CSV = "csv", _("CSV")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ReportSchedule(TimeStampedModel):
    """A report mailed on a schedule: the monthly service report, a KPI table or an incident list.

    The report shows what its `owner` may see. `params` holds the filters as a query string:
    the KPI filters (group, category, service, priority, channel) for a KPI table, the list
    parameters of incidents/filters.py for an incident list. A run is due at `hour` (site time
    zone) on `day_of_month` (monthly), `weekday` (weekly) or every day; occurrences before
    `timing_changed_at` (its creation, or the last change of its timing) are never sent.
    """

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("report"), max_length=16, choices=ReportKind.choices)
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices,
                                 default=Frequency.MONTHLY)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), default=1)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices,
                                               default=Weekday.MONDAY)
    hour = models.PositiveSmallIntegerField(_("hour"), default=8)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES,
                                default="zh-hans")
    format = models.CharField(_("format"), max_length=4, choices=ReportFormat.choices)
    params = models.CharField(_("filters"), max_length=1000, blank=True)
    recipients = models.ManyToManyField(USER, verbose_name=_("recipients"), blank=True,
                                        related_name="+")
    addresses = models.TextField(_("other addresses"), blank=True,
                                 help_text=_("Email addresses, one per line."))
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    timing_changed_at = models.DateTimeField(_("timing changed at"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("scheduled report")
        verbose_name_plural = _("scheduled reports")
        indexes = [models.Index(fields=["is_active", "id"], name="report_schedule_active")]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ReportRun(models.Model):
    """One sending of a scheduled report: the period it covered, the file, the recipients.

    `period_key` names the occurrence (M:2026-04, W:2026-W15, D:2026-04-07, or manual:… for
    "send now"); it is unique per schedule, so two ticks that race never send one period twice.
    """

    schedule = models.ForeignKey(ReportSchedule, verbose_name=_("scheduled report"),
                                 on_delete=models.CASCADE, related_name="runs")
    period_key = models.CharField(_("period key"), max_length=40)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to (included)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=RunStatus.choices)
    triggered_by = models.ForeignKey(USER, verbose_name=_("sent by hand by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    recipients = models.TextField(_("sent to"), blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        constraints = [models.UniqueConstraint(fields=["schedule", "period_key"],
                                               name="report_run_once_per_period")]
        indexes = [models.Index(fields=["schedule", "-created_at", "-id"],
                                name="report_run_history")]

    def __str__(self) -> str:
        return f"{self.schedule} {self.period_key}"
