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


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second
