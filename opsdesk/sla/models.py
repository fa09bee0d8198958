"""Business calendars: time zone, weekly working hours, holidays and make-up working days.

The clock never reads these models directly: `selectors.calendar_snapshot` turns one calendar
into an immutable `clock.Calendar`, cached in memory through core.lookups. Every write here
therefore forgets the cached table (`save`/`delete` below; services that write in bulk call
`lookups.forget` themselves).
"""

import zoneinfo
from datetime import time
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.core import lookups
from opsdesk.core.models import BilingualNamed, CodeTable, TimeStampedModel

MIDNIGHT = time(0)


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """Refuse anything that is not an IANA time zone name such as Asia/Shanghai."""
    if value not in _time_zones():
        raise ValidationError(_("“%(value)s” is not a time zone name such as Asia/Shanghai."),
                              code="time_zone", params={"value": value})


def default_time_zone() -> str:
    """The company's time zone (settings.TIME_ZONE)."""
    return settings.TIME_ZONE


class Weekday(models.IntegerChoices):
    """Python's numbering: Monday is 0."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("holiday (not worked)")
    WORKDAY = "workday", _("make-up working day (调休)")


class BusinessCalendar(CodeTable, TimeStampedModel):
    """A business calendar (工作日历): when SLA clocks run, in which time zone."""

    time_zone = models.CharField(_("time zone"), max_length=64, default=default_time_zone,
                                 validators=[validate_time_zone],
                                 help_text=_("IANA name, e.g. Asia/Shanghai or Europe/Berlin."))
    is_24x7 = models.BooleanField(
        _("round the clock (7×24)"), default=False,
        help_text=_("Every minute counts; working hours and dated days are ignored."))

    class Meta(CodeTable.Meta):
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")


class WorkingPeriod(models.Model):
    """One interval of working hours on a weekday, e.g. Monday 09:00–12:00.

    Times are wall-clock times in the calendar's zone. An end of 00:00 means midnight at the end
    of the day (24:00). A night shift past midnight is two periods, one on each weekday.
    """

    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"),
                                 on_delete=models.CASCADE, related_name="working_periods")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"), help_text=_("00:00 means the end of the day."))

    class Meta:
        ordering = ["calendar", "weekday", "start_time"]
        constraints = [models.CheckConstraint(
            condition=models.Q(end_time__gt=models.F("start_time")) | models.Q(end_time=MIDNIGHT),
            name="sla_working_period_ends_after_start")]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def clean(self):
        if self.start_time and self.end_time and self.end_time != MIDNIGHT \
                and self.end_time <= self.start_time:
            raise ValidationError({"end_time": _("The period must end after it starts.")})

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        lookups.forget(WorkingPeriod)  # the clock reads calendars from memory

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        lookups.forget(WorkingPeriod)
        return result

    @property
    def seconds(self) -> tuple[int, int]:
        """(start, end) in seconds after local midnight, as clock.Interval."""
        end = 86_400 if self.end_time == MIDNIGHT else _seconds(self.end_time)
        return _seconds(self.start_time), end

    def __str__(self) -> str:
        return f"{Weekday(self.weekday).label} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class CalendarDay(BilingualNamed):
    """A dated exception: a holiday (not worked) or a make-up working day (调休, worked).

    A make-up working day works the hours of `works_like` (a weekday), or when that is empty
    the hours of the calendar's first weekday that has hours (Monday in a 5×8 calendar).
    """

    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"),
                                 on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=DayKind.choices)
    works_like = models.PositiveSmallIntegerField(
        _("works the hours of"), choices=Weekday.choices, null=True, blank=True,
        help_text=_("For a make-up working day; empty means a normal working day's hours."))

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_calendar_day_unique"),
            models.CheckConstraint(condition=models.Q(kind=DayKind.WORKDAY)
                                   | models.Q(works_like__isnull=True),
                                   name="sla_calendar_day_hours_only_on_workdays"),
        ]
        verbose_name = _("holiday or make-up day")
        verbose_name_plural = _("holidays and make-up days")

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        lookups.forget(CalendarDay)
        return result

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}"


# The statuses a policy may name as pausing a clock (sla.engine): pending for any reason, and
# resolved (waiting for the user's confirmation). Status values of incidents.choices.Status.
PAUSE_STATUS_PENDING, PAUSE_STATUS_RESOLVED = 35, 40
PAUSE_STATUS_CHOICES = [(PAUSE_STATUS_PENDING, _("pending (any reason)")),
                        (PAUSE_STATUS_RESOLVED, _("resolved"))]


def validate_pause_statuses(value) -> None:
    """A list of distinct status values among PAUSE_STATUS_CHOICES, e.g. [40]."""
    allowed = {code for code, _label in PAUSE_STATUS_CHOICES}
    if not isinstance(value, list) or any(
            isinstance(v, bool) or not isinstance(v, int) or v not in allowed for v in value) \
            or len(set(value)) != len(value):
        raise ValidationError(_("Choose among the statuses pending and resolved."),
                              code="pause_statuses")


def default_resolution_pause_statuses() -> list[int]:
    """By default the resolution clock stands still while resolved (a reopen resumes it)."""
    return [PAUSE_STATUS_RESOLVED]


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


class SlaPolicy(CodeTable, TimeStampedModel):
    """An SLA policy (服务级别策略): response and resolution targets for one priority.

    A policy is chosen by priority, and optionally by service and by organisation (the
    requester's department or a company above it); an empty service or organisation matches
    any. Most specific wins (`selectors.policy_match`): a named service beats a named
    organisation, a nearer organisation (the department) beats one further up (its company),
    then the lower sort order, then the code. Targets are business seconds on each clock's own
    calendar; the UI speaks minutes, hours and working days (a calendar's workday_seconds).
    """

    priority = models.ForeignKey("reference.Priority", verbose_name=_("priority"),
                                 on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("cmdb.Service", verbose_name=_("service"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+",
                                help_text=_("Empty: any service."))
    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("organisation"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("The requester's department or a company above it. Empty: anyone."))
    response_calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("response calendar"),
                                          on_delete=models.PROTECT, related_name="+")
    response_seconds = models.PositiveIntegerField(_("response target (business seconds)"))
    resolution_calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("resolution calendar"), on_delete=models.PROTECT,
        related_name="+")
    resolution_seconds = models.PositiveIntegerField(_("resolution target (business seconds)"))
    resolution_pause_reasons = models.ManyToManyField(
        "reference.PendingReason", verbose_name=_("pending reasons that pause resolution"),
        blank=True, related_name="+")
    # Which statuses stop each clock (PAUSE_STATUS_CHOICES); pending for a reason named in
    # resolution_pause_reasons stops the resolution clock as well.
    response_pause_statuses = models.JSONField(
        _("statuses that pause response"), default=list, blank=True,
        validators=[validate_pause_statuses])
    resolution_pause_statuses = models.JSONField(
        _("statuses that pause resolution"), default=default_resolution_pause_statuses,
        blank=True, validators=[validate_pause_statuses])
    warn_first_percent = models.PositiveSmallIntegerField(_("first warning at %"), default=50)
    warn_second_percent = models.PositiveSmallIntegerField(_("second warning at %"), default=80)
    notify_manager_at_creation = models.BooleanField(
        _("notify incident managers at creation"), default=False)
    notify_managers_at_second_warning = models.BooleanField(
        _("notify incident managers at the second warning"), default=False)
    escalate_on_breach = models.BooleanField(
        _("reassign to the escalation group when resolution breaches"), default=False)
    escalate_to_vendor_on_breach = models.BooleanField(
        _("escalate to the vendor when resolution breaches"), default=False,
        help_text=_("Incidents with a vendor: the vendor's contact is mailed once."))
    escalate_after_reassignments = models.PositiveSmallIntegerField(
        _("notify incident managers after this many reassignments"), default=3,
        help_text=_("0: never."))
    auto_close_calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("auto-close calendar"), on_delete=models.PROTECT,
        related_name="+")
    auto_close_working_days = models.PositiveSmallIntegerField(
        _("auto-close after working days without answer"), default=3,
        help_text=_("0: never close automatically."))

    class Meta(CodeTable.Meta):
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [models.CheckConstraint(
            condition=models.Q(warn_first_percent__gt=0)
            & models.Q(warn_first_percent__lt=models.F("warn_second_percent"))
            & models.Q(warn_second_percent__lt=100), name="sla_policy_warnings_in_order")]

    def clean(self):
        first, second = self.warn_first_percent, self.warn_second_percent
        if first is not None and second is not None and not 0 < first < second < 100:
            raise ValidationError({"warn_second_percent": _(
                "The warnings must come in order: 0 < first < second < 100.")})

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        policies_forget()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        policies_forget()
        return result


def policies_forget() -> None:
    """Drop the cached policies and their pause reasons (after an edit in this process)."""
    lookups.forget(SlaPolicy)
    lookups.forget(SlaPolicy.resolution_pause_reasons.through)
