"""List parameters (codes, usernames, `me`, `none`) turned into IncidentFilters.

The API list and the web queues take the same parameter names with the same meanings, so a link
copied from one works in the other: status, priority, group=<code>, assignee=<username|me|none>,
owner, requester, category=<path>, service=<code>, source, nature, created_after/before,
updated_after/before, q, reopened=1 and stale_hours=N.

The measures (KPIs, dashboards, analysis) link each number to the incidents behind it with more
parameters, each a yes/no, a date or a choice:

- responded_after/before, resolved_after/before, closed_after/before: when the first response,
  the (last) resolution and the closure happened;
- responded, resolved: yes/no (a first response, a resolution time);
- response_breached, resolution_breached: yes = the clock breached (the SLA tick's flag, or the
  response/resolution came after its due date), no = the incident has that clock and it has
  not breached (met, or still running); with responded=yes / resolved=yes, "no" is "met";
- response_sla, resolution_sla = met|breached|decided|running|none|any: where the clock stands
  (decided: met or breached; running: not yet either; none: no target; any: has a target);
- ever_resolved: resolved at least once (now resolved, or reopened since);
- first_contact: resolved at first contact by the desk; assigned: ever assigned to a group;
  handed_back: handed back at least once; reassigned: assigned again after the first time;
- escalated=functional|hierarchical|any|none (a move to a higher line or the vendor; incident
  managers or management told);
- major=yes/no (declared a major incident); complete=yes/no (COMPLETE_FIELDS filled in);
- repeat=yes/no: the requester reported an incident of the same category or service, or on a
  shared CI, in the REPEAT_WINDOW_DAYS before this one (or at the same instant, logged first);
- age_min_hours / age_max_hours: registered at least / less than N hours ago;
- handled_by=<group code>: the group held it at some point (an assignment to the group in the
  history), whoever holds it now.

The live dashboards add:

- at_risk_minutes=N: an SLA clock still running (not met, not standing still, not breached)
  falls due within the next N minutes, counted from the query;
- breached_after/before: an SLA clock breached (as response_breached / resolution_breached)
  whose due time lies in the range, i.e. the moment it breached;
- sla_clock=response|resolution: narrows at_risk_minutes and breached_after/before to one clock
  (both clocks without it);
- has_assignee=yes/no: a person is assigned (assignee=none means no group and no person).
"""

from dataclasses import dataclass, field, fields, replace
from datetime import datetime, time, timedelta

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from opsdesk.accounts.models import SupportGroup, User
from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.core.exceptions import InvalidInput

from .choices import ACTIVE_STATUSES, OPEN_STATUSES, STATUS_BY_KEY, EventKind
from .models import Incident, IncidentEvent
from .selectors import IncidentFilters

STATUS_GROUPS = {"open": OPEN_STATUSES, "active": ACTIVE_STATUSES}
# A status no incident has: narrowing two filters that exclude each other matches nothing.
NO_STATUS = 0
MAX_STALE_HOURS = 24 * 366 * 5


@dataclass
class FilterQuery:
    """Typed list parameters, as the API's query schema has them (same attribute names)."""

    status: list[str] = field(default_factory=list)
    priority: list[int] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    assignee: str | None = None
    owner: str | None = None
    requester: str | None = None
    category: str | None = None
    service: str | None = None
    source: str | None = None
    nature: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    q: str | None = None
    reopened: bool = False
    stale_hours: int | None = None
    # The measures' parameters (module docstring); None: no filter.
    responded_after: datetime | None = None
    responded_before: datetime | None = None
    resolved_after: datetime | None = None
    resolved_before: datetime | None = None
    closed_after: datetime | None = None
    closed_before: datetime | None = None
    responded: bool | None = None
    resolved: bool | None = None
    response_breached: bool | None = None
    resolution_breached: bool | None = None
    first_contact: bool | None = None
    assigned: bool | None = None
    handed_back: bool | None = None
    reassigned: bool | None = None
    escalated: str | None = None
    major: bool | None = None
    complete: bool | None = None
    repeat: bool | None = None
    age_min_hours: int | None = None
    age_max_hours: int | None = None
    response_sla: str | None = None
    resolution_sla: str | None = None
    ever_resolved: bool | None = None
    handled_by: str | None = None
    # The live dashboards' parameters (module docstring).
    at_risk_minutes: int | None = None
    breached_after: datetime | None = None
    breached_before: datetime | None = None
    sla_clock: str | None = None
    has_assignee: bool | None = None


# Every parameter name a list understands, in the order a link spells them.
PARAM_NAMES = tuple(f.name for f in fields(FilterQuery))
LIST_PARAMS = frozenset({"status", "priority", "group"})
MOMENT_RANGES = {  # parameter stem -> the column its _after/_before bound
    "created": "registered_at", "updated": "updated_at", "responded": "first_response_at",
    "resolved": "resolved_at", "closed": "closed_at",
}
DATETIME_PARAMS = frozenset(f"{stem}_{end}" for stem in MOMENT_RANGES
                            for end in ("after", "before")) | {"breached_after", "breached_before"}
YES_NO_PARAMS = frozenset({
    "responded", "resolved", "response_breached", "resolution_breached", "first_contact",
    "assigned", "handed_back", "reassigned", "major", "complete", "repeat", "ever_resolved",
    "has_assignee"})
HOURS_PARAMS = frozenset({"age_min_hours", "age_max_hours"})
MAX_RISK_MINUTES = 7 * 24 * 60
SLA_CLOCKS = ("response", "resolution")
ESCALATIONS = ("functional", "hierarchical", "any", "none")
CLOCK_STATES = ("met", "breached", "decided", "running", "none", "any")
YES, NO = ("1", "true", "yes"), ("0", "false", "no")

# Record completeness (录入完整性): what the desk must record (SPEC §1, the 事件记录员's duty)
# beyond what the system and the form always require (requester, short description, impact,
# urgency, priority): the source, the category, the affected service, when it occurred, where,
# and a description.
COMPLETE_FIELDS = ("source", "category", "service", "occurred_at", "location", "description")
# A repeat incident: the same requester reported one of the same category or service, or on a
# shared configuration item, at most this many days before.
REPEAT_WINDOW_DAYS = 7
MAJOR_STATES = ("declared", "resolved", "closed")  # a candidate or a rejected one is not major


def filters_from_query(*, query, user) -> IncidentFilters:
    """Validate and resolve list parameters; unknown names raise InvalidInput naming the parameter.

    `query` is any object with FilterQuery's attributes (the API's schema, or a FilterQuery).
    """
    errors: dict[str, str] = {}
    f = IncidentFilters(
        statuses=_statuses(query.status, errors),
        priorities=list(query.priority),
        group_ids=_ids(SupportGroup, "code", _split(query.group), "group", errors),
        requester_id=_user_id(query.requester, user, "requester", errors),
        owner_id=_user_id(query.owner, user, "owner", errors),
        category_path=(query.category or "").strip(),
        service_id=_one_id(Service, "code", query.service, "service", errors),
        source_code=query.source or "", nature_code=query.nature or "",
        created_after=query.created_after, created_before=query.created_before,
        updated_after=query.updated_after, updated_before=query.updated_before,
        text=(query.q or "").strip(),
        reopened=bool(getattr(query, "reopened", False)),
        stale_hours=_stale_hours(getattr(query, "stale_hours", None), errors),
        conditions=measure_conditions(query),
    )
    if getattr(query, "handled_by", None):
        _ids(SupportGroup, "code", [query.handled_by], "handled_by", errors)
    if (query.assignee or "").lower() == "none":
        f.unassigned = True
    else:
        f.assignee_id = _user_id(query.assignee, user, "assignee", errors)
    if errors:
        raise InvalidInput(errors=errors)
    return f


def query_from_params(params) -> FilterQuery:
    """Parse text parameters (a QueryDict, or a dict of lists) into a FilterQuery.

    Raises InvalidInput naming each parameter that is not a number, a date or a yes/no.
    """
    errors: dict[str, str] = {}
    values = {}
    for name in PARAM_NAMES:
        raw = [v.strip() for v in params.getlist(name) if v.strip()] if hasattr(
            params, "getlist") else [str(v).strip() for v in params.get(name, []) if str(v).strip()]
        if raw:
            values[name] = _parse(name, raw, errors)
    if errors:
        raise InvalidInput(errors=errors)
    return FilterQuery(**{k: v for k, v in values.items() if v is not None})


def _parse(name: str, raw: list[str], errors: dict):
    if name == "priority":
        parts = _split(raw)
        if not all(p.isdigit() for p in parts):
            errors[name] = _("Priority is a number from 1 to 4.")
            return None
        return [int(p) for p in parts]
    if name in LIST_PARAMS:
        return raw
    if name in DATETIME_PARAMS:
        return _moment(name, raw[-1], errors)
    if name == "reopened":
        if raw[-1].lower() not in ("1", "0", "true", "false", "yes", "no"):
            errors[name] = _("Use reopened=1 for incidents that were reopened.")
            return None
        return raw[-1].lower() in ("1", "true", "yes")
    if name == "stale_hours":
        if not raw[-1].isdigit():
            errors[name] = _("Give the number of hours without an update, e.g. 24.")
            return None
        return int(raw[-1])
    if name in YES_NO_PARAMS:
        return _yes_no(name, raw[-1], errors)
    if name in HOURS_PARAMS:
        if not raw[-1].isdigit() or int(raw[-1]) > MAX_STALE_HOURS:
            errors[name] = _("Give a whole number of hours, e.g. 24.")
            return None
        return int(raw[-1])
    if name == "at_risk_minutes":
        if not raw[-1].isdigit() or not 1 <= int(raw[-1]) <= MAX_RISK_MINUTES:
            errors[name] = _("Give a whole number of minutes from 1 to %(max)s, e.g. 60.") % {
                "max": MAX_RISK_MINUTES}
            return None
        return int(raw[-1])
    if name in ("escalated", "response_sla", "resolution_sla", "sla_clock"):
        choices = {"escalated": ESCALATIONS, "sla_clock": SLA_CLOCKS}.get(name, CLOCK_STATES)
        if raw[-1].lower() not in choices:
            errors[name] = _("Use one of: %(choices)s.") % {"choices": ", ".join(choices)}
            return None
        return raw[-1].lower()
    return raw[-1][:200]


def _yes_no(name: str, text: str, errors: dict) -> bool | None:
    value = text.lower()
    if value not in YES + NO:
        errors[name] = _("Use %(name)s=yes or %(name)s=no.") % {"name": name}
        return None
    return value in YES


def _moment(name: str, text: str, errors: dict) -> datetime | None:
    """A date and time, or a whole day (its start in the active time zone)."""
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if day is not None:
        moment = datetime.combine(day, time.min)
    if moment is None:
        errors[name] = _("Enter a date (2026-11-25) or a date and time (2026-11-25T14:30).")
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def measure_conditions(query) -> list[Q]:
    """The conditions of the measures' parameters that are set (attributes the query lacks,
    such as the API's older schema, are not set)."""
    def value(name):
        return getattr(query, name, None)

    conditions = []
    for stem, column in MOMENT_RANGES.items():
        if stem in ("created", "updated"):
            continue  # IncidentFilters has their own fields
        if value(f"{stem}_after") is not None:
            conditions.append(Q(**{f"{column}__gte": value(f"{stem}_after")}))
        if value(f"{stem}_before") is not None:
            conditions.append(Q(**{f"{column}__lt": value(f"{stem}_before")}))
    bounds = {"start": value("created_after"), "end": value("created_before")}
    for name, q in _yes_no_conditions(**bounds).items():
        if value(name) is not None:
            conditions.append(q if value(name) else _negate(name, q))
    if value("escalated"):
        conditions.append(ESCALATION_Q[value("escalated")])
    for clock in ("response", "resolution"):
        if value(f"{clock}_sla"):
            conditions.append(clock_state_q(clock, value(f"{clock}_sla")))
    now = timezone.now()
    if value("age_min_hours") is not None:
        conditions.append(Q(registered_at__lte=now - timedelta(hours=value("age_min_hours"))))
    if value("age_max_hours") is not None:
        conditions.append(Q(registered_at__gt=now - timedelta(hours=value("age_max_hours"))))
    if value("handled_by"):
        conditions.append(handled_by_q(value("handled_by")))
    clock = value("sla_clock") or "any"
    if value("at_risk_minutes") is not None:
        conditions.append(sla_risk_q(clock, now, now + timedelta(minutes=value("at_risk_minutes"))))
    if value("breached_after") is not None or value("breached_before") is not None:
        conditions.append(breached_between_q(clock, value("breached_after"),
                                             value("breached_before")))
    return conditions


def sla_risk_q(clock: str, start: datetime, end: datetime) -> Q:
    """An open incident whose clock (response, resolution or any) still runs (not met, not
    standing still, not breached) and falls due in [start, end)."""
    response = Q(status__in=OPEN_STATUSES, first_response_at__isnull=True,
                 response_paused_at__isnull=True, response_breached=False,
                 response_due_at__gte=start, response_due_at__lt=end)
    resolution = Q(status__in=OPEN_STATUSES, resolution_paused_at__isnull=True,
                   resolution_breached=False, resolution_due_at__gte=start,
                   resolution_due_at__lt=end)
    return {"response": response, "resolution": resolution}.get(clock, response | resolution)


def breached_between_q(clock: str, start: datetime | None, end: datetime | None) -> Q:
    """A clock (response, resolution or any) breached, its due time (the moment it breached) in
    [start, end); either end may be None."""
    def within(column: str) -> Q:
        q = Q(**{f"{column}__gte": start}) if start is not None else Q()
        return q & Q(**{f"{column}__lt": end}) if end is not None else q

    response = response_breached_q() & within("response_due_at")
    resolution = resolution_breached_q() & within("resolution_due_at")
    return {"response": response, "resolution": resolution}.get(clock, response | resolution)


def handled_by_q(group_code: str) -> Q:
    """The group held the incident at some point: an assignment to it in the history."""
    return Q(Exists(IncidentEvent.objects.filter(
        incident_id=OuterRef("pk"), kind=EventKind.ASSIGNMENT, data__to_group=group_code)))


def response_breached_q() -> Q:
    """The response clock breached: the tick's flag, or the first response after its due date."""
    return Q(response_breached=True) | Q(first_response_at__gt=F("response_due_at"))


def resolution_breached_q() -> Q:
    """The resolution clock breached: the tick's flag, or the resolution after its due date."""
    return Q(resolution_breached=True) | Q(resolved_at__gt=F("resolution_due_at"))


def clock_state_q(clock: str, state: str) -> Q:
    """Where the response or resolution clock stands (CLOCK_STATES): `met` is ended (the first
    response, the resolution) and not breached; `running` neither ended nor breached."""
    breached = response_breached_q() if clock == "response" else resolution_breached_q()
    not_breached = _negate(f"{clock}_breached", breached)
    ended = Q(**{"first_response_at__isnull" if clock == "response" else
                 "resolved_at__isnull": False})
    has_target = Q(**{f"{clock}_due_at__isnull": False})
    return {
        "met": not_breached & ended, "breached": breached, "decided": breached | (
            not_breached & ended),
        "running": not_breached & ~ended, "none": ~has_target, "any": has_target,
    }[state]


def complete_q() -> Q:
    """Every field of COMPLETE_FIELDS filled in."""
    q = Q()
    for name in COMPLETE_FIELDS:
        q &= ~Q(description="") if name == "description" else Q(**{f"{name}__isnull": False})
    return q


def repeat_q(*, start: datetime | None = None, end: datetime | None = None) -> Q:
    """The requester reported one of the same category, of the same service, or on a shared
    configuration item, at most REPEAT_WINDOW_DAYS before (earlier, or at the same instant and
    logged first). `start` and `end` bound the registrations the caller looks at (the list's
    created_after/before): only those and the window before them are read.

    For each kind of match, the previous incident in (requester, match) order is found with
    one window function (LAG) over the registrations: a sort, not a lookup per incident, so a
    month of a million-incident table takes a second, where correlated EXISTS took minutes.
    """
    low = start - timedelta(days=REPEAT_WINDOW_DAYS) if start else None
    q = Q()
    for column in ("category_id", "service_id"):
        rows = Incident.objects.filter(**{f"{column}__isnull": False})
        q |= Q(pk__in=_follows(rows, "", [F("requester_id"), F(column)], low, end)
               .values("pk"))
    through = Incident.configuration_items.through
    q |= Q(pk__in=_follows(through.objects.all(), "incident__",
                           [F("incident__requester_id"), F("configurationitem_id")], low, end)
           .values("incident_id"))
    return q


def _follows(rows, prefix: str, partition: list, low, end):
    """Rows whose previous row in `partition` (by registration, then id) was registered at
    most REPEAT_WINDOW_DAYS before them."""
    from django.db.models import Window
    from django.db.models.functions import Lag

    moment = f"{prefix}registered_at"
    if low is not None:
        rows = rows.filter(**{f"{moment}__gte": low})
    if end is not None:
        rows = rows.filter(**{f"{moment}__lt": end})
    return rows.annotate(previous_at=Window(
        Lag(moment), partition_by=partition,
        order_by=[F(moment).asc(), F(f"{prefix}id" if prefix else "id").asc()])).filter(
        previous_at__gte=F(moment) - timedelta(days=REPEAT_WINDOW_DAYS))


ESCALATION_Q = {
    "functional": Q(escalation_count__gt=0),
    "hierarchical": Q(hierarchical_escalation_count__gt=0),
    "any": Q(escalation_count__gt=0) | Q(hierarchical_escalation_count__gt=0),
    "none": Q(escalation_count=0, hierarchical_escalation_count=0),
}


def _yes_no_conditions(*, start=None, end=None) -> dict[str, Q]:
    """The yes of each yes/no parameter; start and end: the registrations the list reads."""
    return {
        "responded": Q(first_response_at__isnull=False),
        "resolved": Q(resolved_at__isnull=False),
        "response_breached": response_breached_q(),
        "resolution_breached": resolution_breached_q(),
        "first_contact": Q(first_contact_resolution=True),
        "assigned": Q(assigned_at__isnull=False),
        "handed_back": Q(hand_back_count__gt=0),
        "reassigned": Q(reassignment_count__gt=0),
        "major": Q(major__state__in=MAJOR_STATES),
        "complete": complete_q(),
        "repeat": repeat_q(start=start, end=end),
        "ever_resolved": Q(resolved_at__isnull=False) | Q(reopen_count__gt=0),
        "has_assignee": Q(assignee__isnull=False),
    }


def _negate(name: str, q: Q) -> Q:
    """The "no" of a yes/no parameter, spelt out where NULLs would make NOT(…) drop rows."""
    if name == "response_breached":
        return Q(response_due_at__isnull=False, response_breached=False) & (
            Q(first_response_at__isnull=True) | Q(first_response_at__lte=F("response_due_at")))
    if name == "resolution_breached":
        return Q(resolution_due_at__isnull=False, resolution_breached=False) & (
            Q(resolved_at__isnull=True) | Q(resolved_at__lte=F("resolution_due_at")))
    if name == "major":
        return ~Q(pk__in=Incident.objects.filter(q).values("pk"))
    if name == "complete":
        return ~complete_q()
    return ~q


def filters_narrow(*, base: IncidentFilters, extra: IncidentFilters) -> IncidentFilters:
    """Filters matching what both match: a queue (base) narrowed by a person's choices (extra)."""
    merged = replace(base)
    for name in ("statuses", "priorities", "group_ids"):
        mine, theirs = getattr(base, name), getattr(extra, name)
        if mine and theirs:
            common = [v for v in mine if v in set(theirs)]
            if not common:
                return replace(merged, statuses=[NO_STATUS])
            setattr(merged, name, common)
        else:
            setattr(merged, name, list(mine or theirs))
    for name in ("assignee_id", "owner_id", "requester_id", "service_id", "source_code",
                 "nature_code", "category_path", "text", "stale_hours"):
        mine, theirs = getattr(base, name), getattr(extra, name)
        if mine not in (None, "") and theirs not in (None, "") and mine != theirs:
            return replace(merged, statuses=[NO_STATUS])
        setattr(merged, name, theirs if mine in (None, "") else mine)
    merged.unassigned = base.unassigned or extra.unassigned
    merged.reopened = base.reopened or extra.reopened
    merged.conditions = [*base.conditions, *extra.conditions]
    merged.created_after = _latest(base.created_after, extra.created_after)
    merged.updated_after = _latest(base.updated_after, extra.updated_after)
    merged.created_before = _earliest(base.created_before, extra.created_before)
    merged.updated_before = _earliest(base.updated_before, extra.updated_before)
    return merged


def _latest(*moments):
    return max((m for m in moments if m is not None), default=None)


def _earliest(*moments):
    return min((m for m in moments if m is not None), default=None)


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _statuses(values, errors) -> list[int]:
    statuses = []
    for key in _split(values):
        if key in STATUS_GROUPS:
            statuses.extend(STATUS_GROUPS[key])
        elif key in STATUS_BY_KEY:
            statuses.append(STATUS_BY_KEY[key])
        else:
            errors["status"] = _("Unknown status “%(key)s”. Use one of: %(choices)s.") % {
                "key": key, "choices": ", ".join([*STATUS_BY_KEY, *STATUS_GROUPS])}
    return statuses


def _stale_hours(hours, errors) -> int | None:
    if hours is None:
        return None
    if not 1 <= hours <= MAX_STALE_HOURS:
        errors["stale_hours"] = _("Give between 1 and %(max)s hours.") % {"max": MAX_STALE_HOURS}
        return None
    return hours


def _ids(model, field_name, keys, name, errors) -> list[int]:
    """Ids of the rows with these keys: groups and services from memory, people in one query."""
    if not keys:
        return []
    if model in (SupportGroup, Service):
        found = {k: row.pk for k in keys if (row := lookups.find(model, field_name, k))}
    else:
        found = dict(model.objects.filter(**{f"{field_name}__in": keys})
                     .values_list(field_name, "id"))
    missing = [k for k in keys if k not in found]
    if missing:
        errors[name] = _("Unknown %(name)s: %(keys)s.") % {"name": name, "keys": ", ".join(missing)}
    return list(dict.fromkeys(found[k] for k in keys if k in found))


def _one_id(model, field_name, key, name, errors) -> int | None:
    ids = _ids(model, field_name, [key] if key else [], name, errors)
    return ids[0] if ids else None


def _user_id(key, user, name, errors) -> int | None:
    if not key:
        return None
    if key == "me":
        return user.pk
    return _one_id(User, "username", key, name, errors)

