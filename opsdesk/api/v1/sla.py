"""Read-only SLA settings: policies and business calendars, for the desk, managers and owners.

Everything but a calendar's dated days comes from the in-process lookups (core/lookups.py), so
the lists cost no query per row.
"""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from opsdesk.accounts.models import Organisation
from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.core.exceptions import NotFound, NotPermitted
from opsdesk.incidents.choices import Status
from opsdesk.sla.clock import format_hours
from opsdesk.sla.models import BusinessCalendar, Weekday
from opsdesk.sla.policies import policy_get, policy_list, policy_pause_reasons
from opsdesk.sla.selectors import calendar_days, calendar_list, calendar_snapshot, may_read_sla
from opsdesk.sla.targets import target_text

from .schemas import ERRORS

router = Router()
WEEKDAYS = [day.name.lower() for day in Weekday]


class ClockOut(Schema):
    calendar: str
    target_seconds: int = Field(description="Business seconds on the clock's calendar")
    target: str = Field(description="The target as people read it, e.g. “4 h”")
    pause_statuses: list[str] = Field(description="Incident statuses that stop the clock")
    pause_reasons: list[str] = Field([], description="Pending reasons that stop it (codes)")


class AutoCloseOut(Schema):
    calendar: str
    working_days: int = Field(description="0: resolved incidents are never closed by themselves")


class PolicyOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str
    is_active: bool
    sort_order: int
    priority: int
    service: str | None = Field(description="Service code; null matches any service")
    organisation: str | None = Field(description="Organisation code; null matches anyone")
    response: ClockOut
    resolution: ClockOut
    warn_first_percent: int
    warn_second_percent: int
    notify_manager_at_creation: bool
    notify_managers_at_second_warning: bool
    escalate_on_breach: bool
    escalate_to_vendor_on_breach: bool
    escalate_after_reassignments: int
    auto_close: AutoCloseOut


class CalendarOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str
    is_active: bool
    time_zone: str
    is_24x7: bool
    working_hours: dict[str, str] = Field(description="Local hours per weekday, Monday first")
    workday_seconds: int = Field(description="Length of a normal working day")


class CalendarDayOut(Schema):
    date: dt.date
    kind: str = Field(description="holiday or workday (a make-up working day, 调休)")
    name: str
    name_zh: str
    name_en: str
    works_like: str | None = Field(description="The weekday whose hours a make-up day works")


class ActiveQuery(Schema):
    active: bool | None = Field(None, description="true: only active ones; false: only inactive")


class YearQuery(Schema):
    year: int | None = Field(None, ge=1900, le=2200, description="Only the days of this year")


def _check_reader(request) -> None:
    if not may_read_sla(user=request.auth):
        raise NotPermitted(_("Only the service desk, incident managers, process owners and "
                             "administrators may read the SLA settings."))


@router.get("policies", response={200: list[PolicyOut], **ERRORS}, summary="SLA policies")
def policies(request, query: Query[ActiveQuery]):
    """Every SLA policy: what it matches, its targets on their calendars, pauses and rules."""
    _check_reader(request)
    return [_policy(p) for p in policy_list() if query.active in (None, p.is_active)]


@router.get("policies/{code}", response={200: PolicyOut, **ERRORS}, summary="An SLA policy")
def policy(request, code: str):
    _check_reader(request)
    found = policy_get(code=code)
    if found is None:
        raise NotFound(_("There is no SLA policy “%(code)s”.") % {"code": code})
    return _policy(found)


@router.get("calendars", response={200: list[CalendarOut], **ERRORS},
            summary="Business calendars")
def calendars(request, query: Query[ActiveQuery]):
    """Every business calendar with its time zone and weekly working hours."""
    _check_reader(request)
    return [_calendar(c) for c in calendar_list(active_only=False)
            if query.active in (None, c.is_active)]


@router.get("calendars/{code}", response={200: CalendarOut, **ERRORS},
            summary="A business calendar")
def calendar(request, code: str):
    _check_reader(request)
    return _calendar(_calendar_row(code))


@router.get("calendars/{code}/days", response={200: list[CalendarDayOut], **ERRORS},
            summary="Holidays and make-up working days")
def days(request, code: str, query: Query[YearQuery]):
    """A calendar's dated days (holidays and 调休 make-up working days), by date."""
    _check_reader(request)
    rows = calendar_days(calendar=_calendar_row(code), year=query.year)
    return [{"date": d.date, "kind": d.kind, "name": d.name, "name_zh": d.name_zh,
             "name_en": d.name_en,
             "works_like": WEEKDAYS[d.works_like] if d.works_like is not None else None}
            for d in rows]


def _calendar_row(code: str) -> BusinessCalendar:
    row = lookups.lookup(BusinessCalendar, code)
    if row is None:
        raise NotFound(_("There is no business calendar “%(code)s”.") % {"code": code})
    return row


def _calendar(row: BusinessCalendar) -> dict:
    snapshot = calendar_snapshot(code=row.code)
    return {"code": row.code, "name": row.name, "name_zh": row.name_zh,
            "name_en": row.name_en, "is_active": row.is_active, "time_zone": row.time_zone,
            "is_24x7": row.is_24x7, "workday_seconds": snapshot.workday_seconds,
            "working_hours": {name: format_hours(hours)
                              for name, hours in zip(WEEKDAYS, snapshot.weekly, strict=True)}}


def _policy(row) -> dict:
    return {"code": row.code, "name": row.name, "name_zh": row.name_zh, "name_en": row.name_en,
            "is_active": row.is_active, "sort_order": row.sort_order,
            "priority": row.priority_id, "service": _code(Service, row.service_id),
            "organisation": _code(Organisation, row.organisation_id),
            "response": _clock(row, "response"), "resolution": _clock(row, "resolution"),
            **{name: getattr(row, name) for name in RULES},
            "auto_close": {"calendar": row.auto_close_calendar_id,
                           "working_days": row.auto_close_working_days}}


RULES = ("warn_first_percent", "warn_second_percent", "notify_manager_at_creation",
         "notify_managers_at_second_warning", "escalate_on_breach",
         "escalate_to_vendor_on_breach", "escalate_after_reassignments")


def _clock(row, clock: str) -> dict:
    calendar_code, seconds = getattr(row, f"{clock}_calendar_id"), getattr(row, f"{clock}_seconds")
    snapshot = calendar_snapshot(code=calendar_code)
    reasons = sorted(policy_pause_reasons(policy=row)) if clock == "resolution" else []
    return {"calendar": calendar_code, "target_seconds": seconds,
            "target": target_text(seconds, workday_seconds=snapshot.workday_seconds,
                                  round_the_clock=snapshot.is_24x7),
            "pause_statuses": [Status(s).key for s in getattr(row, f"{clock}_pause_statuses")],
            "pause_reasons": reasons}


def _code(model, pk) -> str | None:
    row = lookups.lookup(model, pk) if pk is not None else None
    return row.code if row is not None else None
