"""Repeating silences and maintenance windows, computed in the window's own time zone.

A window that repeats every day or week keeps its wall-clock times: a 02:00–04:00 daily window
in Europe/Berlin starts at 02:00 local time in winter and in summer, so its occurrences are 24
hours of absolute time apart except across a clock change (23 or 25 hours then). In a zone
without daylight saving time, such as Asia/Shanghai, that is the same as adding 24 hours.

Local times become instants as RFC 5545 (iCalendar) reads them: a time the clocks skip (02:30
on the spring change) takes the offset from before the gap, so it falls an hour later; a time
that happens twice (the autumn change) is its first occurrence. zoneinfo does exactly this
for a naive time with fold=0.

Pure functions on aware datetimes: no database, no settings.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


def occurrence_at(*, starts_at: datetime, ends_at: datetime, repeat: str, zone: ZoneInfo,
                  at: datetime, until: datetime | None = None) -> tuple[datetime, datetime] | None:
    """(start, end) of the occurrence in force at `at`, or None when none is.

    `starts_at`–`ends_at` is the first occurrence; `repeat` is "" (once), "daily" or "weekly";
    with `until`, no occurrence starts at or after it. Instants are compared in UTC: Python
    compares two datetimes of one tzinfo by their wall times, which is wrong across a change.
    """
    at, starts_at, ends_at = (when.astimezone(UTC) for when in (at, starts_at, ends_at))
    if at < starts_at:
        return None
    period = PERIODS.get(repeat)
    if period is None:
        return (starts_at, ends_at) if at < ends_at else None
    first_start, first_end = _wall(starts_at, zone), _wall(ends_at, zone)
    index = (_wall(at, zone) - first_start) // period
    # Wall time and absolute time differ by the clock change, so look one step either side.
    for number in (index + 1, index, index - 1):
        found = _occurrence(number, starts_at, ends_at, first_start, first_end, period, zone)
        if found and (until is None or found[0] < until) and found[0] <= at < found[1]:
            return found
    return None


def _occurrence(number: int, starts_at, ends_at, first_start, first_end, period, zone):
    if number < 0:
        return None
    if number == 0:  # exactly as entered, even in an hour that happens twice
        return starts_at, ends_at
    shift = number * period
    return _instant(first_start + shift, zone), _instant(first_end + shift, zone)


def _wall(when: datetime, zone: ZoneInfo) -> datetime:
    """The local wall-clock time of an instant, without its zone."""
    return when.astimezone(zone).replace(tzinfo=None, fold=0)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant of a local wall-clock time (RFC 5545's reading of gaps and repeats)."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
