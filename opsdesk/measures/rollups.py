"""Keeping the KPI facts and the daily rollup up to date, incrementally.

- An incident change marks its registration day dirty, in the change's own transaction: the
  incident hooks (create, transition, field update, comment) call `incident_changed`. A change
  of category, service or CIs also marks the REPEAT_WINDOW_DAYS after it, whose incidents may
  repeat this one.
- Changes that reach no hook (the SLA tick's warnings, breaches and escalations, CIs added or
  removed) write history: the tick reads those entries since its last two runs (so an entry
  whose transaction committed after a later id was read is still seen) and marks their days.
- `rollup_tick` (every 30 s, core/periodic.py) counts each dirty day again from the source:
  the day's incidents are read with the same conditions the list parameters use
  (incidents/filters.py), so a number and its records always agree; their facts are replaced,
  and the day's rollup rows are summed again from them. Marks are deleted by id, so a mark
  written while the tick ran is kept for the next one.
- `rollup_rebuild` counts every day again (`manage.py kpi_rollup --rebuild`), e.g. after
  seeding incidents in bulk, which bypasses the services and their hooks.

Runs are serialised by a row lock on RollupState, so two workers never write one day twice.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Case, IntegerField, Max, Min, Value, When
from django.utils import timezone

from opsdesk.incidents.choices import EventKind
from opsdesk.incidents.filters import REPEAT_WINDOW_DAYS, clock_state_q, complete_q, repeat_q
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.sla.clock import business_seconds
from opsdesk.sla.engine import sla_terms

from .models import ClockState, IncidentFact, KpiDaily, RollupDirtyDay, RollupState

# The rollup's dimensions and the fact's column of each.
DIMENSIONS = {"group": "group_id", "category": "category_id", "service": "service_id",
              "priority": "priority_id", "channel": "source_id"}
# History that changes what an incident counts for without passing an incident hook.
SCANNED_KINDS = (EventKind.SLA, EventKind.COLLABORATOR)
REPEAT_FIELDS = frozenset({"category", "service", "configuration_items"})
INCIDENT_COLUMNS = (
    "id", "registered_at", "assignment_group_id", "category_id", "service_id", "priority_id",
    "source_id", "first_response_at", "resolved_at", "assigned_at", "reassignment_count",
    "hand_back_count", "reopen_count", "escalation_count", "hierarchical_escalation_count",
    "first_contact_resolution", "response_paused_seconds", "response_paused_at",
    "resolution_paused_seconds", "resolution_paused_at", "sla_policy_id",
    "sla_response_calendar_id", "sla_response_seconds", "sla_resolution_calendar_id",
    "sla_resolution_seconds", "sla_warn_first_percent", "sla_warn_second_percent",
)


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def site_day(moment: datetime) -> date:
    """The date of an instant in the site's time zone."""
    return moment.astimezone(site_zone()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = site_zone()
    return (datetime.combine(day, time.min, tzinfo=zone),
            datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone))


# --- Marking days dirty (incident hooks) -----------------------------------------------------


def days_mark(days) -> None:
    """Mark these registration days for the next tick (one INSERT, no lock waited for)."""
    RollupDirtyDay.objects.bulk_create([RollupDirtyDay(day=d) for d in sorted(set(days))])


def incident_changed(*, incident, changed=frozenset(), **_kwargs) -> None:
    """Hook: the incident's registration day counts again (and the days it may be repeated in,
    when its category, service or CIs changed)."""
    first = site_day(incident.registered_at)
    days = [first]
    if set(changed) & REPEAT_FIELDS:
        days += [first + timedelta(days=n) for n in range(1, REPEAT_WINDOW_DAYS + 1)]
    days_mark(days)


# --- The tick --------------------------------------------------------------------------------


def rollup_tick(*, max_days: int = 400) -> int:
    """Count the dirty days again; return how many. Idempotent, safe with several workers: a
    run that finds another one running returns 0 at once (it counts the same marks later)."""
    with transaction.atomic():
        state = _state_locked(skip_locked=True)
        if state is None:
            return 0
        marks = list(RollupDirtyDay.objects.order_by("id").values_list("id", "day")[:10_000])
        days = {day for _id, day in marks} | _days_from_history(state)
        for day in sorted(days)[:max_days]:
            day_refresh(day)
        done = [mark_id for mark_id, day in marks if day in days]
        for start in range(0, len(done), 500):
            RollupDirtyDay.objects.filter(id__in=done[start:start + 500]).delete()
        leftover = sorted(days)[max_days:]
        if leftover:
            days_mark(leftover)
        state.refreshed_at = timezone.now()
        state.save()
    return min(len(days), max_days)


def _state_locked(*, skip_locked: bool = False) -> RollupState | None:
    """The state row, locked (None with skip_locked when another run holds it). A new row
    starts reading the history from now: days before it are counted by a rebuild."""
    if not RollupState.objects.filter(pk=1).exists():
        newest = IncidentEvent.objects.aggregate(m=Max("id"))["m"] or 0
        RollupState.objects.get_or_create(pk=1, defaults={
            "sla_event_seen": newest, "sla_event_seen_before": newest})
    return RollupState.objects.select_for_update(skip_locked=skip_locked).filter(pk=1).first()


def _days_from_history(state: RollupState) -> set[date]:
    """Days of the incidents whose SLA or CI history grew since the run before the last."""
    newest = IncidentEvent.objects.aggregate(m=Max("id"))["m"] or 0
    since = state.sla_event_seen_before
    days = set()
    if newest > since:
        rows = (IncidentEvent.objects.filter(id__gt=since, id__lte=newest,
                                             kind__in=SCANNED_KINDS)
                .values_list("incident__registered_at", "kind", "field").distinct())
        for registered_at, kind, field in rows:
            first = site_day(registered_at)
            days.add(first)
            if kind == EventKind.COLLABORATOR and field == "configuration_items":
                days.update(first + timedelta(days=n) for n in range(1, REPEAT_WINDOW_DAYS + 1))
    state.sla_event_seen_before, state.sla_event_seen = state.sla_event_seen, newest
    return {d for d in days if d <= timezone.localdate() + timedelta(days=1)}


def rollup_rebuild(*, since: date | None = None, progress=None) -> int:
    """Count every day again, from `since` (default: the first incident's day) to today."""
    first = since or _first_day()
    if first is None:
        return 0
    # History written from now on is read by the next ticks; what came before is counted here.
    newest = IncidentEvent.objects.aggregate(m=Max("id"))["m"] or 0
    last, day, count = site_day(timezone.now()), first, 0
    while day <= last:
        with transaction.atomic():
            _state_locked()
            for _n in range(31):
                if day > last:
                    break
                day_refresh(day)
                day, count = day + timedelta(days=1), count + 1
        if progress:
            progress(day, count)
    with transaction.atomic():
        state = _state_locked()
        state.refreshed_at = timezone.now()
        if since is None:
            state.sla_event_seen = state.sla_event_seen_before = max(newest,
                                                                     state.sla_event_seen_before)
        state.save()
    return count


def _first_day() -> date | None:
    first = Incident.objects.aggregate(m=Min("registered_at"))["m"]
    return site_day(first) if first else None


# --- Counting one day ------------------------------------------------------------------------


def day_refresh(day: date) -> int:
    """Replace the facts and rollup rows of the incidents registered on `day` (in the caller's
    transaction, which holds the RollupState lock); return the number of incidents."""
    facts = [IncidentFact(**fact_of(row, day)) for row in _day_rows(day)]
    IncidentFact.objects.filter(day=day).delete()
    IncidentFact.objects.bulk_create(facts, batch_size=1000)
    KpiDaily.objects.filter(day=day).delete()
    KpiDaily.objects.bulk_create(_sum(day, facts), batch_size=1000)
    return len(facts)


def _day_rows(day: date):
    """The day's incidents with their clock states, completeness and repeat flag computed by
    the database, with the list parameters' own conditions."""
    start, end = day_bounds(day)

    def state(clock):
        return Case(When(clock_state_q(clock, "none"), then=Value(ClockState.NONE)),
                    When(clock_state_q(clock, "breached"), then=Value(ClockState.BREACHED)),
                    When(clock_state_q(clock, "met"), then=Value(ClockState.MET)),
                    default=Value(ClockState.RUNNING), output_field=IntegerField())

    def flag(q):
        return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())

    return (Incident.objects.filter(registered_at__gte=start, registered_at__lt=end)
            .annotate(response_state=state("response"), resolution_state=state("resolution"),
                      is_complete=flag(complete_q()),
                      is_repeat=flag(repeat_q(start=start, end=end)))
            .order_by().values(*INCIDENT_COLUMNS, "response_state", "resolution_state",
                               "is_complete", "is_repeat"))


class _Row:
    """A values() row read like an incident (what sla_terms needs)."""

    def __init__(self, row: dict):
        self.__dict__.update(row)


def fact_of(row: dict, day: date) -> dict:
    """What one incident counts for (row: _day_rows' values)."""
    registered, responded, resolved = (row["registered_at"], row["first_response_at"],
                                       row["resolved_at"])
    terms = sla_terms(incident=_Row(row)) if row["sla_policy_id"] else None
    return {
        "incident_id": row["id"], "day": day, "group_id": row["assignment_group_id"],
        "category_id": row["category_id"], "service_id": row["service_id"],
        "priority_id": row["priority_id"], "source_id": row["source_id"] or "",
        "response_state": row["response_state"], "resolution_state": row["resolution_state"],
        "response_wall": _seconds(registered, responded),
        "response_business": _business(terms and terms.response_calendar, registered,
                                       responded, row["response_paused_seconds"],
                                       row["response_paused_at"]),
        "resolution_wall": _seconds(registered, resolved),
        "resolution_business": _business(terms and terms.resolution_calendar, registered,
                                         resolved, row["resolution_paused_seconds"],
                                         row["resolution_paused_at"]),
        "resolved": resolved is not None,
        "ever_resolved": resolved is not None or row["reopen_count"] > 0,
        "first_contact": row["first_contact_resolution"],
        "assignments": (row["assigned_at"] is not None) + row["reassignment_count"],
        "hand_backs": row["hand_back_count"], "reopened": row["reopen_count"] > 0,
        "escalated_functional": row["escalation_count"] > 0,
        "escalated_hierarchical": row["hierarchical_escalation_count"] > 0,
        "complete": bool(row["is_complete"]), "repeat": bool(row["is_repeat"]),
    }


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(int((end - start).total_seconds()), 0)


def _business(calendar, start, end, paused_seconds: int, paused_at) -> int | None:
    """Working seconds from start to end on the calendar, minus the time the clock stood
    still: the pauses it resumed from, and the one still running at `end` (a resolution
    reached while pending keeps the pending pause going)."""
    if end is None or not calendar:
        return None
    still = business_seconds(calendar, paused_at, end) if paused_at and paused_at < end else 0
    return max(business_seconds(calendar, start, end) - paused_seconds - still, 0)


COUNTED_FLAGS = ("resolved", "ever_resolved", "first_contact", "assignments", "hand_backs",
                 "reopened", "escalated_functional", "escalated_hierarchical", "complete",
                 "repeat")


def _sum(day: date, facts: list[IncidentFact]) -> list[KpiDaily]:
    """The day's rollup rows: the facts summed in total and per value of each dimension."""
    rows: dict = defaultdict(lambda: defaultdict(int))
    for fact in facts:
        keys = [("all", "")] + [(dimension, "" if getattr(fact, column) is None
                                 else str(getattr(fact, column)))
                                for dimension, column in DIMENSIONS.items()]
        for key in keys:
            _count(rows[key], fact)
    return [KpiDaily(day=day, dimension=dimension, key=key, **counters)
            for (dimension, key), counters in rows.items()]


def _count(counters, fact: IncidentFact) -> None:
    counters["registered"] += 1
    for clock in ("response", "resolution"):
        clock_state = getattr(fact, f"{clock}_state")
        counters[f"{clock}_decided"] += clock_state in (ClockState.MET, ClockState.BREACHED)
        counters[f"{clock}_met"] += clock_state == ClockState.MET
        for basis in ("wall", "business"):
            seconds = getattr(fact, f"{clock}_{basis}")
            if seconds is not None:
                counters[f"{clock}_{basis}_count"] += 1
                counters[f"{clock}_{basis}_sum"] += seconds
    for name in COUNTED_FLAGS:
        counters[name] += int(getattr(fact, name))
