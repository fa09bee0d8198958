"""Changes to business calendars: the shipped defaults, file imports and the owner's edits.

Every service forgets the in-memory tables it wrote (core.lookups), so the next
`calendar_snapshot` in this process sees the change; other processes see it within the TTL.
"""

from dataclasses import dataclass
from datetime import date, time
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsdesk.core import lookups
from opsdesk.core.exceptions import InvalidInput

from . import defaults, holidays_cn, imports
from .clock import DAY_SECONDS, parse_hours
from .models import BusinessCalendar, CalendarDay, DayKind, WorkingPeriod

MAX_IMPORT_BYTES = 1024 * 1024
IMPORT_FORMATS = {"csv": imports.parse_csv, "ics": imports.parse_ics}


@dataclass(frozen=True)
class ImportResult:
    """What an import changed: days added, days replaced, events skipped (with a time of day)."""

    created: int
    updated: int
    skipped: int


@transaction.atomic
def calendars_load_defaults() -> int:
    """Create the shipped calendars and PRC holiday years that are missing; return rows created.

    Safe on every start, and never overwrites the owner's edits: a calendar's working hours are
    written only when the calendar is created, and a year of holidays only into a calendar that
    has no dated day in that year yet (so a release that ships a new year adds it).
    """
    created = 0
    for order, (code, zh, en, zone, is_24x7, hours, cn) in enumerate(defaults.CALENDARS):
        calendar, was_created = BusinessCalendar.objects.get_or_create(code=code, defaults={
            "name_zh": zh, "name_en": en, "time_zone": zone, "is_24x7": is_24x7,
            "sort_order": order})
        if was_created:
            created += 1 + _create_periods(calendar, hours)
        if cn:
            created += _load_holiday_years(calendar)
    _forget()
    from .policies import policies_load_defaults  # policies run on the calendars just made

    return created + policies_load_defaults()


def calendar_create(*, code: str, name_zh: str, name_en: str, time_zone: str,
                    is_24x7: bool = False, hours: tuple[str, ...] = ("",) * 7) -> BusinessCalendar:
    """A new calendar with its weekly hours, one text per weekday ('09:00-12:00, 13:00-18:00')."""
    errors = _hours_errors(hours)
    if BusinessCalendar.objects.filter(code=code).exists():
        errors["code"] = _("A calendar with code “%(code)s” exists.") % {"code": code}
    calendar = BusinessCalendar(code=code, name_zh=name_zh, name_en=name_en,
                                time_zone=time_zone, is_24x7=is_24x7)
    errors.update(_model_errors(calendar))
    if errors:
        raise InvalidInput(errors=errors)
    with transaction.atomic():
        calendar.save()
        _create_periods(calendar, hours)
    _forget()
    return calendar


@transaction.atomic
def calendar_hours_set(*, calendar: BusinessCalendar, weekday: int, hours: str) -> None:
    """Replace one weekday's working hours ('' makes it a day off)."""
    week = tuple(hours if day == weekday else "" for day in range(7))
    errors = _hours_errors(week)
    if errors:
        raise InvalidInput(errors={"hours": next(iter(errors.values()))})
    calendar.working_periods.filter(weekday=weekday).delete()
    _create_periods(calendar, week)
    _forget()


def calendar_day_set(*, calendar: BusinessCalendar, day: date, kind: str, name_zh: str,
                     name_en: str, works_like: int | None = None) -> CalendarDay:
    """Make a date a holiday or a make-up working day (replacing what that date was)."""
    row = CalendarDay.objects.filter(calendar=calendar, date=day).first() or CalendarDay(
        calendar=calendar, date=day)
    row.kind, row.name_zh, row.name_en = kind, name_zh, name_en
    row.works_like = works_like if kind == DayKind.WORKDAY else None
    errors = _model_errors(row, exclude=["calendar"])
    if errors:
        raise InvalidInput(errors=errors)
    row.save()
    return row


def calendar_day_delete(*, calendar: BusinessCalendar, day: date) -> bool:
    """Make a date an ordinary day of its weekday again; False if it was not a dated day."""
    deleted, _rows = CalendarDay.objects.filter(calendar=calendar, date=day).delete()
    _forget()
    return bool(deleted)


def calendar_import(*, calendar: BusinessCalendar, file: IO[bytes] | bytes,
                    format: str) -> ImportResult:
    """Add or replace dated days from a .csv or .ics file: all lines valid, or nothing changes.

    Raises InvalidInput whose `errors` are keyed by "line 3" or "event 2" (never translated,
    like field names) with a translated message each.
    A date already in the calendar takes the file's kind and name.
    """
    parser = IMPORT_FORMATS.get(format)
    if parser is None:
        raise InvalidInput(errors={"format": _("Choose csv or ics.")})
    parsed = parser(_read(file))
    errors = {**parsed.errors, **_duplicate_errors(parsed.days)}
    if errors:
        raise InvalidInput(ngettext("The file has %(count)d mistake; nothing was imported.",
                                    "The file has %(count)d mistakes; nothing was imported.",
                                    len(errors)) % {"count": len(errors)}, errors=errors)
    if not parsed.days:
        raise InvalidInput(errors={"file": _("The file holds no all-day dates to import.")})
    created, updated = _store_days(calendar, parsed.days)
    return ImportResult(created=created, updated=updated, skipped=parsed.skipped)


# --- Helpers -------------------------------------------------------------------------------


def _create_periods(calendar: BusinessCalendar, hours: tuple[str, ...]) -> int:
    periods = [WorkingPeriod(calendar=calendar, weekday=weekday, start_time=_time(start),
                             end_time=_time(end))
               for weekday, text in enumerate(hours) for start, end in parse_hours(text)]
    WorkingPeriod.objects.bulk_create(periods)
    return len(periods)


def _load_holiday_years(calendar: BusinessCalendar) -> int:
    taken = {day.year for day in calendar.days.dates("date", "year")}
    rows = [CalendarDay(calendar=calendar, date=day, kind=kind, name_zh=zh, name_en=en)
            for year in defaults.HOLIDAY_YEARS if year not in taken
            for day, kind, zh, en in holidays_cn.days(year)]
    CalendarDay.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def _store_days(calendar: BusinessCalendar, days: list[imports.ParsedDay]) -> tuple[int, int]:
    existing = {row.date: row for row in calendar.days.filter(date__in=[d.date for d in days])}
    for day in days:
        row = existing.get(day.date)
        if row is not None:
            row.kind, row.name_zh, row.name_en, row.works_like = (day.kind, day.name_zh,
                                                                  day.name_en, None)
    CalendarDay.objects.bulk_update(existing.values(), ["kind", "name_zh", "name_en",
                                                        "works_like"])
    CalendarDay.objects.bulk_create([
        CalendarDay(calendar=calendar, date=d.date, kind=d.kind, name_zh=d.name_zh,
                    name_en=d.name_en) for d in days if d.date not in existing])
    _forget()
    return len(days) - len(existing), len(existing)


def _duplicate_errors(days: list[imports.ParsedDay]) -> dict[str, str]:
    seen: dict[date, str] = {}
    errors = {}
    for day in days:
        if day.date in seen and seen[day.date] != day.where:
            errors[day.where] = _("%(date)s is already listed in %(where)s.") % {
                "date": day.date.isoformat(), "where": seen[day.date]}
        seen.setdefault(day.date, day.where)
    return errors


def _read(file: IO[bytes] | bytes) -> bytes:
    data = file if isinstance(file, bytes | str) else file.read(MAX_IMPORT_BYTES + 1)
    data = data.encode() if isinstance(data, str) else data
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(errors={"file": _("The file is larger than 1 MB.")})
    return data


def _hours_errors(hours: tuple[str, ...]) -> dict[str, str]:
    errors = {}
    for weekday, text in enumerate(hours):
        try:
            parse_hours(text)
        except ValueError:
            errors[f"hours_{weekday}"] = _(
                "Write the hours like 09:00-12:00, 13:00-18:00 (each range within the day, "
                "24:00 for midnight), not “%(text)s”.") % {"text": text}
    return errors


def _model_errors(instance, exclude: list[str] | None = None) -> dict[str, str]:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as error:
        return {field: " ".join(messages) for field, messages in error.message_dict.items()}
    return {}


def _time(seconds: int) -> time:
    if seconds == DAY_SECONDS:
        return time(0)  # an end of 00:00 is the end of the day
    return time(seconds // 3600, seconds % 3600 // 60, seconds % 60)


def _forget() -> None:
    for model in (BusinessCalendar, WorkingPeriod, CalendarDay):
        lookups.forget(model)


# --- The process owner's edits in the web UI (settings pages) ---------------------------------


def calendar_update(*, calendar: BusinessCalendar, name_zh: str, name_en: str, time_zone: str,
                    is_24x7: bool, is_active: bool) -> BusinessCalendar:
    """Change a calendar's names, time zone, 7×24 flag and active switch (the code never changes).

    An inactive calendar cannot be chosen for new policies, but clocks that run on it go on.
    Nothing is saved when any value is wrong.
    """
    calendar.name_zh, calendar.name_en, calendar.time_zone = name_zh, name_en, time_zone
    calendar.is_24x7, calendar.is_active = is_24x7, is_active
    errors = _model_errors(calendar)
    if errors:
        calendar.refresh_from_db()
        raise InvalidInput(errors=errors)
    calendar.save(update_fields=["name_zh", "name_en", "time_zone", "is_24x7", "is_active",
                                 "updated_at"])
    _forget()
    return calendar


def calendar_week_set(*, calendar: BusinessCalendar, hours: tuple[str, ...]) -> None:
    """Replace the whole week's working hours, one text per weekday, Monday first.

    All seven are checked before anything is written, so a wrong day leaves the week as it
    was; errors are keyed hours_0 (Monday) … hours_6 (Sunday).
    """
    if len(hours) != 7:
        raise ValueError("hours needs the texts of 7 weekdays, Monday first")
    errors = _hours_errors(tuple(hours))
    if errors:
        raise InvalidInput(errors=errors)
    with transaction.atomic():
        calendar.working_periods.all().delete()
        _create_periods(calendar, tuple(hours))
    _forget()
