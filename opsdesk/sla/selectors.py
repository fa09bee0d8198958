"""Reads of business calendars, and the clock snapshots built from them."""

import threading

from django.utils.translation import gettext as _

from opsdesk.accounts.roles import Role
from opsdesk.core import lookups
from opsdesk.core.exceptions import NotFound

from .clock import Calendar, DayHours
from .models import BusinessCalendar, CalendarDay, DayKind, WorkingPeriod

# Who may read the SLA settings (policies, calendars) outside the settings pages.
SLA_READERS = (Role.DESK, Role.MANAGER, Role.PROCESS_OWNER, Role.ADMIN)
_lock = threading.Lock()
# code → (the three lookups tables it was built from, the snapshot)
_snapshots: dict[str, tuple[tuple[dict, dict, dict], Calendar]] = {}


def calendar_snapshot(*, code: str) -> Calendar:
    """The calendar with this code as an immutable clock.Calendar, served from memory.

    Built from core.lookups' cached tables and rebuilt only when one of them was reloaded (an
    edit in this process at once, other processes within lookups.TTL_SECONDS). A rebuilt
    snapshot equal to the old one is dropped so the old one keeps its warm day tables. Raises
    NotFound for an unknown code; an inactive calendar still has a snapshot, because clocks
    that already run on it must keep running.
    """
    sources = _sources()
    cached = _snapshots.get(code)
    if cached is not None and all(a is b for a, b in zip(cached[0], sources, strict=True)):
        return cached[1]
    if lookups.lookup(BusinessCalendar, code) is None:  # reloads the table once for a new code
        raise NotFound(_("There is no business calendar “%(code)s”.") % {"code": code})
    sources = _sources()
    snapshot = _build(sources[0][code], sources[1].values(), sources[2].values())
    if cached is not None and cached[1] == snapshot:
        snapshot = cached[1]
    with _lock:
        _snapshots[code] = (sources, snapshot)
    return snapshot


def may_read_sla(*, user) -> bool:
    """The desk, incident managers, process owners and administrators read SLA settings."""
    return bool(user.is_superuser or any(user.has_role(role) for role in SLA_READERS))


def calendar_list(*, active_only: bool = True) -> list[BusinessCalendar]:
    """Business calendars in their sort order (from memory)."""
    rows = lookups.rows_by_pk(BusinessCalendar).values()
    return sorted((row for row in rows if row.is_active or not active_only),
                  key=lambda row: (row.sort_order, row.code))


def calendar_days(*, calendar: BusinessCalendar, year: int | None = None) -> list[CalendarDay]:
    """The calendar's holidays and make-up working days by date, optionally of one year."""
    days = calendar.days.all()
    return list(days.filter(date__year=year) if year is not None else days)


def _sources() -> tuple[dict, dict, dict]:
    return (lookups.rows_by_pk(BusinessCalendar), lookups.rows_by_pk(WorkingPeriod),
            lookups.rows_by_pk(CalendarDay))


def _build(calendar: BusinessCalendar, periods, days) -> Calendar:
    """A clock snapshot from the calendar's rows (all rows of the tables are passed in)."""
    weekly: list[list[tuple[int, int]]] = [[] for _weekday in range(7)]
    for period in periods:
        if period.calendar_id == calendar.code:
            weekly[period.weekday].append(period.seconds)
    hours = tuple(tuple(sorted(day)) for day in weekly)
    dated = {day.date: _day_hours(day, hours) for day in days if day.calendar_id == calendar.code}
    return Calendar(code=calendar.code, time_zone=calendar.time_zone,
                    is_24x7=calendar.is_24x7, weekly=hours, days=dated)


def _day_hours(day: CalendarDay, weekly: tuple[DayHours, ...]) -> DayHours:
    """No hours on a holiday; a make-up day works its weekday's, or a normal working day's."""
    if day.kind == DayKind.HOLIDAY:
        return ()
    if day.works_like is not None:
        return weekly[day.works_like]
    return next((hours for hours in weekly if hours), ())
