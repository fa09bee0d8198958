"""Parsers for calendar files: pure functions from bytes to dated days, or to line errors.

CSV: one day per line, `date,kind,name[,name_en]` with the date as YYYY-MM-DD and the kind
`holiday` or `workday` (also 休 / 班). A header line starting with `date`, blank lines and lines
starting with # are skipped. UTF-8 (with or without BOM) or GB18030, as Excel saves it in China.

iCalendar (.ics): every all-day VEVENT is a holiday on each of its dates (DTEND is exclusive),
unless its SUMMARY says it is worked (上班, 补班, "working day", "workday"): then it is a
make-up working day. Events with a time of day are not days and are skipped; repeating events
(RRULE) are refused, since their dates would have to be guessed.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _

MAX_DAYS_PER_EVENT = 366
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


def parse_ics(data: bytes) -> Parsed:
    """Days from an iCalendar file; each wrong event is an error named by its position."""
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as error:
        return Parsed([], {"file": _("This is not an iCalendar file: %(error)s") % {
            "error": error}})
    days, errors, skipped = [], {}, 0
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        where = f"event {number}"
        try:
            found = _ics_days(event, where)
        except ValueError as error:
            errors[where] = str(error)
            continue
        skipped += not found
        days += found
    return Parsed(days, errors, skipped)


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


def _ics_days(event, where: str) -> list[ParsedDay]:
    """The event's dates; [] for an event with a time of day."""
    start = event.get("DTSTART")
    if start is None:
        raise ValueError(_("The event has no start date (DTSTART)."))
    if isinstance(start.dt, datetime):
        return []
    if event.get("RRULE") is not None:
        raise ValueError(_("The event repeats (RRULE): list each date as its own event."))
    count = _ics_day_count(event, start.dt)
    summary = str(event.get("SUMMARY") or "").strip()
    kind = "workday" if any(w in summary.lower() for w in WORKDAY_WORDS) else "holiday"
    name = (summary or _default_name(kind))[:200]
    return [ParsedDay(start.dt + timedelta(days=offset), kind, name, name, where)
            for offset in range(count)]


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
