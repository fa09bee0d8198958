"""Business-time arithmetic on a calendar snapshot: pure functions, no database.

A `Calendar` is an immutable snapshot of one business calendar: its IANA time zone, the
working hours of each weekday (local wall-clock intervals, Monday first) and dated exceptions
(a holiday has no hours; a make-up working day, 调休, has a weekday's hours). Build one with
`opsdesk.sla.selectors.calendar_snapshot(code=...)`, or directly in tests.

Rules every function keeps:

- Instants are aware datetimes; a naive one is a ValueError. Results are in the time zone of
  the datetime passed in.
- Working hours are wall-clock times in the calendar's zone, and each boundary is converted to
  UTC on its own, so a working day across a DST change lasts what the wall clock says (a
  00:00–24:00 day on 2025-10-26 in Europe/Berlin counts 25 hours). A boundary that falls in a
  DST gap moves to the first real instant after it.
- Intervals are half-open: 09:00 is business time, 18:00 is not.
- Arithmetic is in whole microseconds, so `business_seconds(c, s, business_add(c, s, n)) == n`
  exactly.
- Per calendar, each local year is turned once into a table of the days' UTC intervals with
  running totals (kept in the snapshot). After that, `business_seconds` costs two lookups and a
  subtraction, and `business_add` a binary search, however long the span.
- A 24×7 calendar counts every instant and ignores hours and dated days.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

US = 1_000_000  # microseconds per second
DAY_SECONDS = 86_400
MAX_YEARS = 50  # business_add and next_business_start give up after this many years of no work

Interval = tuple[int, int]  # seconds after local midnight, [start, end), 0 <= start < end <= 86400
DayHours = tuple[Interval, ...]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$")


class NoBusinessTime(ValueError):
    """The calendar has no working time in the next MAX_YEARS years."""


@dataclass(frozen=True)
class Calendar:
    """An immutable snapshot of one business calendar, shared by every clock that uses it.

    `weekly` holds seven DayHours, Monday first. `days` maps a date to its own hours: () for a
    holiday, a weekday's hours for a make-up working day. Both are normalised (sorted, merged)
    on creation. Day tables are cached inside the snapshot, so keep and reuse one snapshot.
    """

    code: str
    time_zone: str
    is_24x7: bool = False
    weekly: tuple[DayHours, ...] = ((),) * 7
    days: tuple[tuple[date, DayHours], ...] | Mapping[date, Iterable[Interval]] = ()
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        weekly = tuple(normalise_hours(hours) for hours in self.weekly)
        if len(weekly) != 7:
            raise ValueError("weekly needs the hours of 7 weekdays, Monday first")
        days = tuple(sorted((day, normalise_hours(hours))
                            for day, hours in dict(self.days).items()))
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "days", days)
        self._cache["tz"] = ZoneInfo(self.time_zone)
        self._cache["days"] = dict(days)

    @property
    def tz(self) -> ZoneInfo:
        """The calendar's time zone."""
        return self._cache["tz"]

    def hours_on(self, day: date) -> DayHours:
        """The local working hours of this date (its own hours if it is a dated day)."""
        if self.is_24x7:
            return ((0, DAY_SECONDS),)
        dated = self._cache["days"].get(day)
        return dated if dated is not None else self.weekly[day.weekday()]

    def is_workday(self, day: date) -> bool:
        """Whether any working time falls on this local date."""
        return bool(self.hours_on(day))

    @property
    def workday_seconds(self) -> int:
        """Length of a normal working day: the first weekday with hours (Monday in 5×8), or 24 h."""
        if self.is_24x7:
            return DAY_SECONDS
        return next((_length(hours) for hours in self.weekly if hours), 0)


# --- Public arithmetic ---------------------------------------------------------------------


def business_seconds(calendar: Calendar, start: datetime, end: datetime) -> int:
    """Whole seconds of business time from start to end; 0 if end <= start."""
    low, high = _us(start), _us(end)
    if high <= low:
        return 0
    if calendar.is_24x7:
        return (high - low) // US
    (first_year, before), (last_year, after) = _locate(calendar, low), _locate(calendar, high)
    for year in range(first_year, last_year):  # usually none: both ends in one year
        after += _year(calendar, year).prefix[-1]
    return (after - before) // US


def business_add(calendar: Calendar, start: datetime, seconds: int) -> datetime:
    """The instant at which `seconds` of business time have passed since start.

    0 seconds gives start itself. A result that ends a working interval is that interval's end
    (18:00, not the next morning's 09:00). Raises NoBusinessTime on a calendar without work.
    """
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    if seconds == 0 or calendar.is_24x7:
        return _moment(_us(start) + seconds * US, start.tzinfo)
    first_year, position = _locate(calendar, _us(start))
    target = position + seconds * US
    for year in range(first_year, first_year + MAX_YEARS):
        table = _year(calendar, year)
        if target <= table.prefix[-1]:
            return _moment(_instant(table, target), start.tzinfo)
        target -= table.prefix[-1]
    raise NoBusinessTime(f"calendar {calendar.code} has no working time for {MAX_YEARS} years")


def is_business_time(calendar: Calendar, at: datetime) -> bool:
    """Whether the clock runs at this instant (start of an interval included, end excluded)."""
    if calendar.is_24x7:
        return True
    moment = _us(at)
    table, index = _day_of(calendar, moment)
    return any(start <= moment < end for start, end in table.days[index])


def next_business_start(calendar: Calendar, at: datetime) -> datetime:
    """`at` if it is business time, otherwise the start of the next working interval."""
    if calendar.is_24x7:
        return at
    moment = _us(at)
    table, index = _day_of(calendar, moment)
    for _ in range(MAX_YEARS):
        start = _first_end_after(table, index, moment)
        if start is not None:
            return at if start <= moment else _moment(start, at.tzinfo)
        table, index = _year(calendar, table.year + 1), 0
    raise NoBusinessTime(f"calendar {calendar.code} has no working time for {MAX_YEARS} years")


def day_intervals(calendar: Calendar, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The working intervals of a local date as aware datetimes in the calendar's zone."""
    if calendar.is_24x7:
        return ((_local_midnight(calendar, day), _local_midnight(calendar, day + timedelta(1))),)
    table = _year(calendar, day.year)
    intervals = table.days[day.toordinal() - table.first]
    return tuple((_moment(s, calendar.tz), _moment(e, calendar.tz)) for s, e in intervals)


# --- Working hours as text -----------------------------------------------------------------


def parse_hours(text: str) -> DayHours:
    """'09:00-12:00, 13:00-18:00' → DayHours; '24:00' ends the day; '' is no hours."""
    intervals = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;，；]", text))):
        match = _HOURS_RE.match(part)
        if match is None:
            raise ValueError(f"“{part}” is not a time range like 09:00-12:00")
        h1, m1, h2, m2 = map(int, match.groups())
        if m1 > 59 or m2 > 59:
            raise ValueError(f"“{part}” has minutes over 59")
        intervals.append((h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60))
    return normalise_hours(intervals)


def format_hours(hours: Iterable[Interval]) -> str:
    """DayHours → '09:00-12:00, 13:00-18:00' (the reverse of parse_hours)."""
    return ", ".join(f"{_hhmm(start)}-{_hhmm(end)}" for start, end in hours)


def normalise_hours(hours: Iterable[Interval]) -> DayHours:
    """Intervals sorted and merged where they overlap or touch; a ValueError if one is invalid."""
    merged: list[list[int]] = []
    for start, end in sorted(hours):
        if not 0 <= start < end <= DAY_SECONDS:
            raise ValueError(f"{_hhmm(start)}-{_hhmm(end)} is not a range within one day")
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


# --- Internals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _YearTable:
    """One local year: each day's working intervals in epoch µs, and running totals.

    prefix[i] is the business time of the year's days before day i; prefix[-1] the year's total.
    """

    year: int
    first: int  # proleptic ordinal of 1 January
    days: tuple[tuple[Interval, ...], ...]
    prefix: tuple[int, ...]


def _year(calendar: Calendar, year: int) -> _YearTable:
    table = calendar._cache.get(year)
    if table is None:  # two threads may both build it: the tables are equal, either one wins
        table = calendar._cache[year] = _build_year(calendar, year)
    return table


def _build_year(calendar: Calendar, year: int) -> _YearTable:
    first = date(year, 1, 1)
    days, prefix = [], [0]
    for offset in range((date(year + 1, 1, 1) - first).days):
        intervals = _epoch_intervals(calendar, first + timedelta(days=offset))
        days.append(intervals)
        prefix.append(prefix[-1] + sum(end - start for start, end in intervals))
    return _YearTable(year, first.toordinal(), tuple(days), tuple(prefix))


def _epoch_intervals(calendar: Calendar, day: date) -> tuple[Interval, ...]:
    """The date's hours in epoch µs, each boundary converted on its own (DST-safe)."""
    hours = calendar.hours_on(day)
    if not hours:
        return ()
    midnight = _local_midnight(calendar, day)
    result, floor = [], None
    for start, end in hours:  # wall-clock + timedelta keeps the wall clock: 09:00 stays 09:00
        low = _us(midnight + timedelta(seconds=start))
        low = low if floor is None else max(low, floor)  # a boundary in a DST gap never overlaps
        floor = max(_us(midnight + timedelta(seconds=end)), low)
        if floor > low:
            result.append((low, floor))
    return tuple(result)


def _locate(calendar: Calendar, moment: int) -> tuple[int, int]:
    """(local year, business µs from the start of that year up to the instant)."""
    table, index = _day_of(calendar, moment)
    position = table.prefix[index]
    for start, end in table.days[index]:
        if moment <= start:
            break
        position += min(end, moment) - start
    return table.year, position


def _instant(table: _YearTable, target: int) -> int:
    """The epoch µs at which the year's business time reaches target (0 < target <= total)."""
    index = bisect.bisect_left(table.prefix, target) - 1
    remaining = target - table.prefix[index]
    for start, end in table.days[index]:
        if remaining <= end - start:
            return start + remaining
        remaining -= end - start
    raise AssertionError("prefix totals and day intervals disagree")  # pragma: no cover


def _first_end_after(table: _YearTable, index: int, moment: int) -> int | None:
    """Start of the first interval of the year, from day index on, that ends after moment."""
    if table.prefix[-1] == table.prefix[index]:
        return None  # no work left in this year: skip it whole
    for day in table.days[index:]:
        for start, end in day:
            if moment < end:
                return start
    return None


def _day_of(calendar: Calendar, moment: int) -> tuple[_YearTable, int]:
    day = (_EPOCH + timedelta(microseconds=moment)).astimezone(calendar.tz).date()
    table = _year(calendar, day.year)
    return table, day.toordinal() - table.first


def _local_midnight(calendar: Calendar, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=calendar.tz)


def _us(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business time needs an aware datetime")
    return (moment - _EPOCH) // _ONE_US


def _moment(moment: int, tz) -> datetime:
    return (_EPOCH + timedelta(microseconds=moment)).astimezone(tz)


def _length(hours: DayHours) -> int:
    return sum(end - start for start, end in hours)


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
