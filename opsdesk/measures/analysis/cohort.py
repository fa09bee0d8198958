"""Which incidents an analysis reads, who may read it, and the history streamed in chunks.

The cohort is the incidents registered in the period (local days in the site's time zone, both
ends included), narrowed by priority, the group (incidents the group held at some point: an
assignment to it in the history), the category (with its sub-categories), the service and the
channel (the incident's source code, SPEC §2 来源). The period is required: 90 days unless
given, at most MAX_DAYS.

Cost: one query for the cohort's facts (incident columns only, through the registered_at
index), then one query per CHUNK incidents for their history entries (through the
(incident, at, id) index); the timelines are built in Python as the chunks arrive, because
business time needs the calendar arithmetic of opsdesk.sla.clock. At most MAX_INCIDENTS are
read: a bigger cohort is refused with a message that names what to narrow.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from opsdesk.accounts.models import SupportGroup
from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.core.exceptions import InvalidInput, NotFound
from opsdesk.incidents.choices import EventKind
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.reference.models import Category, Priority, Source
from opsdesk.sla.policies import policy_get, policy_pause_reasons
from opsdesk.sla.selectors import calendar_snapshot

from .timeline import Entry, Facts, IncidentFlow, flow_build

DEFAULT_DAYS = 90
MAX_DAYS = 366
CHUNK = 2000
# The most incidents one analysis reads (about 5 s of work at 60,000, docs: the report of
# issue 8's analysis); more asks for a shorter period or narrower filters.
MAX_INCIDENTS = 60_000
# A live analysis (no fixed `now`) is kept this long in the cache for the same filters: the
# page, its drill-downs and the API share it. Everyone who may analyse sees every incident, so
# the result does not depend on who asks.
CACHE_SECONDS = 300
ENTRY_KINDS = (EventKind.CREATED, EventKind.TRANSITION, EventKind.ASSIGNMENT)


@dataclass(frozen=True)
class AnalysisFilters:
    """The period (local days, both included) and the optional narrowing of the cohort."""

    first_day: date
    last_day: date
    priority_level: int | None = None
    group_code: str | None = None
    category_path: str | None = None
    service_code: str | None = None
    channel: str | None = None  # the source code

    @property
    def start(self) -> datetime:
        """The period's first instant (the first day's midnight in the site's time zone)."""
        return _midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """The instant after the period (the midnight after the last day), excluded."""
        return _midnight(self.last_day + timedelta(days=1))

    def as_params(self) -> dict[str, str]:
        """The filters as the page's and the API's query parameters (empty ones left out)."""
        params = {"start": self.first_day.isoformat(), "end": self.last_day.isoformat(),
                  "priority": self.priority_level, "group": self.group_code,
                  "category": self.category_path, "service": self.service_code,
                  "channel": self.channel}
        return {k: str(v) for k, v in params.items() if v not in (None, "")}

    def narrowed(self, **changes) -> AnalysisFilters:
        return replace(self, **changes)


def may_analyse(*, user) -> bool:
    """Process owners, incident managers and administrators read the process analysis."""
    return bool(user is not None and user.is_authenticated and user.is_active and (
        user.is_superuser or user.is_process_owner or user.is_incident_manager
        or user.is_administrator))


def check_may_analyse(user) -> None:
    """NotFound for everyone else: the analysis does not exist for them."""
    if not may_analyse(user=user):
        raise NotFound(_("Not found."))


def analysis_filters(*, start=None, end=None, priority=None, group=None, category=None,
                     service=None, channel=None, today: date | None = None) -> AnalysisFilters:
    """Validate the parameters (texts or values) into filters; InvalidInput names each bad one.

    The period defaults to the DEFAULT_DAYS days up to today; codes must exist."""
    errors: dict[str, str] = {}
    last = _day(end, "end", errors) or today or timezone.localdate(
        timezone.now(), timezone.get_default_timezone())
    first = _day(start, "start", errors) or last - timedelta(days=DEFAULT_DAYS - 1)
    if not errors and first > last:
        errors["start"] = _("The period starts after it ends.")
    elif not errors and (last - first).days + 1 > MAX_DAYS:
        errors["start"] = _("Choose a period of at most %(days)s days.") % {"days": MAX_DAYS}
    filters = AnalysisFilters(
        first_day=first, last_day=last,
        priority_level=_priority(priority, errors),
        group_code=_code(SupportGroup, "code", group, "group", errors),
        category_path=_code(Category, "path", category, "category", errors),
        service_code=_code(Service, "code", service, "service", errors),
        channel=_code(Source, "code", channel, "channel", errors))
    if errors:
        raise InvalidInput(errors=errors)
    return filters


def cohort(*, user, filters: AnalysisFilters):
    """The incidents of the analysis that `user` may see (a queryset)."""
    qs = Incident.objects.restrict(user).filter(registered_at__gte=filters.start,
                                                registered_at__lt=filters.end)
    if filters.priority_level is not None:
        qs = qs.filter(priority_id=filters.priority_level)
    if filters.service_code:
        qs = qs.filter(service_id=lookups.find(Service, "code", filters.service_code).pk)
    if filters.channel:
        qs = qs.filter(source_id=filters.channel)
    if filters.category_path:
        qs = qs.filter(category_id__in=category_ids(filters.category_path))
    if filters.group_code:
        qs = qs.filter(Exists(IncidentEvent.objects.filter(
            incident_id=OuterRef("pk"), kind=EventKind.ASSIGNMENT,
            data__to_group=filters.group_code)))
    return qs


def cached(name: str, filters: AnalysisFilters, compute, *parts):
    """compute() once per CACHE_SECONDS for these filters (and parts)."""
    digest = hashlib.sha256(repr((name, sorted(filters.as_params().items()), parts))
                            .encode()).hexdigest()
    key = f"opsdesk:analysis:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


def category_ids(path: str) -> list[int]:
    """The category with this path and every category below it (from memory)."""
    return [row.pk for row in lookups.rows_by_pk(Category).values()
            if row.path == path or row.path.startswith(path + ".")]


def flows_stream(*, user, filters: AnalysisFilters, now: datetime) -> Iterator[IncidentFlow]:
    """The timeline of every incident of the cohort, in id order, read CHUNK incidents at a time."""
    rows = list(cohort(user=user, filters=filters).order_by("id").values_list(
        "id", "number", "priority_id", "status", "registered_at", "sla_policy_id",
        "sla_resolution_calendar_id")[:MAX_INCIDENTS + 1])
    if len(rows) > MAX_INCIDENTS:
        raise InvalidInput(errors={"start": _(
            "More than %(max)s incidents were registered in this period with these filters: "
            "choose a shorter period, or narrow it by priority, group, category, service or "
            "channel.") % {"max": f"{MAX_INCIDENTS:,}"}})
    terms = _Terms()
    for offset in range(0, len(rows), CHUNK):
        chunk = rows[offset:offset + CHUNK]
        entries = _entries([row[0] for row in chunk])
        for pk, number, priority, status, registered_at, policy, calendar in chunk:
            facts = Facts(id=pk, number=number or "", priority=priority, status=status,
                          registered_at=registered_at, calendar=terms.calendar(policy, calendar),
                          pause=terms.pause(policy))
            yield flow_build(facts, entries.get(pk, ()), now=now)


def flow_of(*, user, number: str, now: datetime) -> IncidentFlow:
    """One incident's timeline, if `user` may analyse and see it; NotFound otherwise."""
    check_may_analyse(user)
    row = Incident.objects.restrict(user).filter(number=number).values_list(
        "id", "number", "priority_id", "status", "registered_at", "sla_policy_id",
        "sla_resolution_calendar_id").first()
    if row is None:
        raise NotFound(_("Incident %(number)s was not found.") % {"number": number})
    pk, number, priority, status, registered_at, policy, calendar = row
    terms = _Terms()
    facts = Facts(id=pk, number=number, priority=priority, status=status,
                  registered_at=registered_at, calendar=terms.calendar(policy, calendar),
                  pause=terms.pause(policy))
    return flow_build(facts, _entries([pk]).get(pk, ()), now=now)


def _entries(ids: list[int]) -> dict[int, list[Entry]]:
    """The created, transition and assignment entries of these incidents, in time order.

    The two values the timeline reads from an entry's details come out of the database as
    text, so no JSON is decoded here."""
    result: dict[int, list[Entry]] = {}
    rows = (IncidentEvent.objects.filter(incident_id__in=ids, kind__in=ENTRY_KINDS)
            .order_by("incident_id", "at", "id")
            .values_list("incident_id", "kind", "at", "action", "to_status",
                         KT("data__to_group"), KT("data__pending_reason")))
    for incident_id, *entry in rows.iterator(chunk_size=CHUNK * 8):
        result.setdefault(incident_id, []).append(tuple(entry))
    return result


class _Terms:
    """Calendars and pause rules by policy, looked up once per analysis (from memory)."""

    def __init__(self):
        self._calendars: dict = {}
        self._pauses: dict = {}

    def calendar(self, policy_code: str | None, calendar_code: str | None):
        if calendar_code is None and policy_code:
            policy = policy_get(code=policy_code)
            calendar_code = policy.resolution_calendar_id if policy else None
        if calendar_code is None:
            return None
        if calendar_code not in self._calendars:
            self._calendars[calendar_code] = calendar_snapshot(code=calendar_code)
        return self._calendars[calendar_code]

    def pause(self, policy_code: str | None):
        """pause(status, pending_reason) -> bool for the policy; None without a policy."""
        if not policy_code:
            return None
        if policy_code not in self._pauses:
            policy = policy_get(code=policy_code)
            self._pauses[policy_code] = _pause_rule(policy) if policy else None
        return self._pauses[policy_code]


def _pause_rule(policy):
    from opsdesk.incidents.choices import Status

    statuses = frozenset(policy.resolution_pause_statuses or ())
    reasons = policy_pause_reasons(policy=policy)

    def pauses(status: int, reason: str | None) -> bool:
        return status in statuses or (status == Status.PENDING and reason in reasons)

    return pauses


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _day(value, name: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        day = parse_date(str(value).strip())
    except ValueError:
        day = None
    if day is None:
        errors[name] = _("Enter a date such as 2026-11-25.")
    return day


def _priority(value, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip().upper().removeprefix("P")
    if not text.isdigit() or lookups.lookup(Priority, int(text)) is None:
        errors["priority"] = _("Unknown priority “%(value)s”.") % {"value": value}
        return None
    return int(text)


def _code(model, field: str, value, name: str, errors: dict) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if lookups.find(model, field, text) is None:
        messages = {"group": _("There is no support group “%(value)s”."),
                    "category": _("There is no category “%(value)s”."),
                    "service": _("There is no service “%(value)s”."),
                    "channel": _("There is no channel (source) “%(value)s”.")}
        errors[name] = messages[name] % {"value": text}
        return None
    return text
