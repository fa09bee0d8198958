"""Parsers for calendar files: pure functions from bytes to dated days, or to line errors.

CSV: one day per line, `date,kind,name[,name_en]` with the date as YYYY-MM-DD and the kind
`holiday` or `workday` (also 休 / 班). A header line starting with `date`, blank lines and lines
starting with # are skipped. UTF-8 (with or without BOM) or GB18030, as Excel saves it in China.

iCalendar (.ics): every all-day VEVENT is a holiday on each of its dates (DTEND is exclusive),
unless its SUMMARY says it is worked (上班, 补班, "working day", "workday"): then it is a
make-up working day. Events with a time of day are not days and are skipped. A repeating event
(RRULE, RDATE, EXDATE; a changed occurrence with RECURRENCE-ID) is expanded with
recurring-ical-events within RECURRENCE_YEARS years either side of today's year: a yearly
holiday "since 1990, for ever" then gives the dates that matter to SLA clocks, not an endless
list. A repeating event with no occurrence in that window counts as skipped.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

MAX_DAYS_PER_EVENT = 366
RECURRENCE_YEARS = 2
WORKDAY_WORDS = ("上班", "补班", "working day", "workday", "make-up day")
KINDS = {"holiday": "holiday", "休": "holiday", "workday": "workday", "班": "workday"}


@dataclass(frozen=True)
class ParsedDay:
    """One dated day read from a file; `where` names its line or event for messages."""

    date: date
    kind: str  # "holiday" | "workday"
    name_zh: str
    name_en: str
    where: str


@dataclass(frozen=True)
class Parsed:
    """What a file holds: its days, its mistakes by line or event, and what was skipped."""

    days: list[ParsedDay]
    errors: dict[str, str]
    skipped: int = 0


def parse_csv(data: bytes) -> Parsed:
    """Days from a CSV file; each wrong line is an error named by its line number."""
    days, errors = [], {}
    for number, row in enumerate(csv.reader(io.StringIO(_decode(data))), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#") or cells[0].lower() == "date":
            continue
        where = f"line {number}"  # a key, like a field name: not translated
        try:
            days.append(_csv_day(cells, where))
        except ValueError as error:
            errors[where] = str(error)
    return Parsed(days, errors)


def parse_ics(data: bytes, *, today: date | None = None) -> Parsed:
    """Days from an iCalendar file; each wrong event is an error named by its position.

    Repeating events are expanded within recurrence_window(today) (default: the local date).
    """
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as error:
        return Parsed([], {"file": _("This is not an iCalendar file: %(error)s") % {
            "error": error}})
    events = calendar.walk("VEVENT")
    window = recurrence_window(today or timezone.localdate())
    days, errors, skipped = [], {}, 0
    for number, event in enumerate(events, start=1):
        if _belongs_to_series(event, events):
            continue  # a changed occurrence: expanded with its repeating event
        try:
            found = _ics_days(event, f"event {number}", events, window)
        except ValueError as error:
            errors[f"event {number}"] = str(error)
            continue
        skipped += not found
        days += found
    return Parsed(days, errors, skipped)


def recurrence_window(today: date) -> tuple[date, date]:
    """The dates repeating events are expanded over: Jan 1 two years back to Dec 31 two ahead."""
    return (date(today.year - RECURRENCE_YEARS, 1, 1),
            date(today.year + RECURRENCE_YEARS + 1, 1, 1))  # the end is exclusive


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _csv_day(cells: list[str], where: str) -> ParsedDay:
    if len(cells) < 3 or len(cells) > 4:
        raise ValueError(_("Write date,kind,name (and optionally the English name): "
                           "%(count)d columns found.") % {"count": len(cells)})
    day, kind = _iso_date(cells[0]), KINDS.get(cells[1].lower())
    if kind is None:
        raise ValueError(_("The kind must be holiday or workday, not “%(kind)s”.") % {
            "kind": cells[1]})
    name_zh = cells[2] or _default_name(kind)
    name_en = cells[3] if len(cells) == 4 and cells[3] else name_zh
    return ParsedDay(day, kind, name_zh[:200], name_en[:200], where)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("“%(text)s” is not a date like 2025-10-01.") % {"text": text}) from None


def _ics_days(event, where: str, events, window: tuple[date, date]) -> list[ParsedDay]:
    """The event's dates, every occurrence's if it repeats; [] for an event with a time of day."""
    start = event.get("DTSTART")
    if start is None:
        raise ValueError(_("The event has no start date (DTSTART)."))
    if isinstance(start.dt, datetime):
        return []
    if not _repeats(event):
        return _event_days(event, start.dt, where)
    return [day for occurrence in _occurrences(event, events, window)
            for day in _event_days(occurrence, occurrence["DTSTART"].dt, where)]


def _event_days(event, start: date, where: str) -> list[ParsedDay]:
    """The days of one (occurrence of an) all-day event, named by its SUMMARY."""
    count = _ics_day_count(event, start)
    summary = str(event.get("SUMMARY") or "").strip()
    kind = "workday" if any(w in summary.lower() for w in WORKDAY_WORDS) else "holiday"
    name = (summary or _default_name(kind))[:200]
    return [ParsedDay(start + timedelta(days=offset), kind, name, name, where)
            for offset in range(count)]


def _repeats(event) -> bool:
    return event.get("RRULE") is not None or event.get("RDATE") is not None


def _belongs_to_series(event, events) -> bool:
    """A changed occurrence (RECURRENCE-ID) whose repeating event is in the same file."""
    uid = event.get("UID")
    return event.get("RECURRENCE-ID") is not None and any(
        other.get("UID") == uid and _repeats(other) for other in events if other is not event)


def _occurrences(event, events, window: tuple[date, date]) -> list:
    """The event's occurrences in the window: EXDATEs left out, changed occurrences applied."""
    import icalendar
    import recurring_ical_events

    uid, series = event.get("UID"), icalendar.Calendar()
    for component in events:
        if component is event or (uid is not None and component.get("UID") == uid
                                  and component.get("RECURRENCE-ID") is not None):
            series.add_component(component)
    try:
        return list(recurring_ical_events.of(series).between(*window))
    except ValueError as error:
        raise ValueError(_("The event's repetition (RRULE) cannot be read: %(error)s") % {
            "error": error}) from None


def _ics_day_count(event, start: date) -> int:
    end, duration = event.get("DTEND"), event.get("DURATION")
    if end is not None:
        if isinstance(end.dt, datetime):
            raise ValueError(_("An all-day event must end on a date, not at a time (DTEND)."))
        count = (end.dt - start).days
    else:
        count = duration.dt.days if duration is not None else 1
    if count < 1:
        raise ValueError(_("The event must end on a later date than it starts (DTEND)."))
    if count > MAX_DAYS_PER_EVENT:
        raise ValueError(_("The event lasts %(count)d days; at most %(max)d are allowed.") % {
            "count": count, "max": MAX_DAYS_PER_EVENT})
    return count


def _default_name(kind: str) -> str:
    return _("Holiday") if kind == "holiday" else _("Make-up working day")
