"""List parameters (codes, usernames, `me`, `none`) turned into IncidentFilters.

The API list and the web queues take the same parameter names with the same meanings, so a link
copied from one works in the other: status, priority, group=<code>, assignee=<username|me|none>,
owner, requester, category=<path>, service=<code>, source, nature, created_after/before,
updated_after/before, q, reopened=1 and stale_hours=N.
"""

from dataclasses import dataclass, field, fields, replace
from datetime import datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from opsdesk.accounts.models import SupportGroup, User
from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.core.exceptions import InvalidInput

from .choices import ACTIVE_STATUSES, OPEN_STATUSES, STATUS_BY_KEY
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


# Every parameter name a list understands, in the order a link spells them.
PARAM_NAMES = tuple(f.name for f in fields(FilterQuery))
LIST_PARAMS = frozenset({"status", "priority", "group"})
DATETIME_PARAMS = frozenset({"created_after", "created_before", "updated_after", "updated_before"})


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
    )
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
    return raw[-1][:200]


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

