"""Calendars built in memory for the pure clock tests (no database)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from opsdesk.sla import holidays_cn
from opsdesk.sla.clock import Calendar, parse_hours
from opsdesk.sla.defaults import FIVE_BY_EIGHT_HOURS

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600
WORKDAY = 8 * HOUR


def week(hours: str, days: int = 5) -> tuple:
    """The same hours on the first `days` weekdays, none on the rest."""
    return (parse_hours(hours),) * days + ((),) * (7 - days)


def china_5x8() -> Calendar:
    """What the shipped 5×8 calendar should be: 09–12 and 13–18, PRC holidays 2025 and 2026."""
    hours = parse_hours(FIVE_BY_EIGHT_HOURS)
    days = {day: () if kind == "holiday" else hours
            for year in holidays_cn.YEARS for day, kind, _zh, _en in holidays_cn.days(year)}
    return Calendar(code="5x8", time_zone="Asia/Shanghai", weekly=week(FIVE_BY_EIGHT_HOURS),
                    days=days)


def shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def berlin(*args, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)


def new_york(*args) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)
