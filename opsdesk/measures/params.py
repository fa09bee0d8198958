"""The KPI pages' and the API's parameters turned into KpiFilters.

Both take the same names: `start` and `end` (days in the site's time zone, both included; the
30 days up to today by default), `group` (code), `category` (path, its sub-categories
included), `service` (code), `priority` (1-4) and `channel` (the source code, e.g. 01 phone).
A support group's lead sees only the groups they lead: without `group`, the first of them.
"""

from datetime import date, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from opsdesk.accounts.models import SupportGroup
from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.core.exceptions import InvalidInput, NotFound
from opsdesk.reference.models import Category, Priority, Source

from .kpis import MAX_PERIOD, KpiFilters
from .selectors import measures_require

DEFAULT_DAYS = 30
NAMES = ("start", "end", "group", "category", "service", "priority", "channel")


def kpi_filters_from_params(*, params, user) -> KpiFilters:
    """Validate and resolve the parameters (a QueryDict or a dict of strings) for this person.

    Raises InvalidInput naming each bad parameter, NotPermitted for someone who may see no KPI,
    and NotFound for a group a lead does not lead (its existence is not theirs to know).
    """
    allowed_groups = measures_require(user=user)
    raw = {name: str(params.get(name) or "").strip() for name in NAMES}
    errors: dict[str, str] = {}
    today = timezone.localdate()
    end = _day(raw["end"], "end", errors) or today
    start = _day(raw["start"], "start", errors) or end - timedelta(days=DEFAULT_DAYS - 1)
    if not errors and start > end:
        errors["end"] = _("The end must be on or after the start.")
    elif not errors and end - start >= MAX_PERIOD:
        errors["start"] = _("Choose a period of at most five years.")
    filters = KpiFilters(
        start=start, end=end + timedelta(days=1),
        group_id=_key(SupportGroup, "code", raw["group"], "group", errors),
        category_id=_key(Category, "path", raw["category"], "category", errors),
        service_id=_key(Service, "code", raw["service"], "service", errors),
        priority_level=_priority(raw["priority"], errors),
        channel=_key(Source, "code", raw["channel"], "channel", errors, as_key=True))
    if errors:
        raise InvalidInput(errors=errors)
    if allowed_groups is not None:
        if filters.group_id is None:
            return KpiFilters(**{**filters.__dict__, "group_id": allowed_groups[0]})
        if filters.group_id not in allowed_groups:
            raise NotFound(_("Group %(code)s was not found.") % {"code": raw["group"]})
    return filters


def filters_as_params(filters: KpiFilters) -> dict[str, str]:
    """The filters as the parameters that give them back (end included), for links."""
    params = {"start": filters.start.isoformat(),
              "end": (filters.end - timedelta(days=1)).isoformat()}
    for name, model, field, value in (
            ("group", SupportGroup, "code", filters.group_id),
            ("category", Category, "path", filters.category_id),
            ("service", Service, "code", filters.service_id)):
        if value is not None and (row := lookups.lookup(model, value)) is not None:
            params[name] = getattr(row, field)
    if filters.priority_level:
        params["priority"] = str(filters.priority_level)
    if filters.channel:
        params["channel"] = filters.channel
    return params


def _day(text: str, name: str, errors: dict) -> date | None:
    if not text:
        return None
    try:
        day = parse_date(text)
    except ValueError:
        day = None
    if day is None:
        errors[name] = _("Enter a date such as 2026-03-31.")
    return day


def _priority(text: str, errors: dict) -> int | None:
    if not text:
        return None
    level = text.upper().removeprefix("P")
    if not level.isdigit() or lookups.lookup(Priority, int(level)) is None:
        errors["priority"] = _("Priority is a number from 1 to 4.")
        return None
    return int(level)


def _key(model, field: str, text: str, name: str, errors: dict, as_key: bool = False):
    """The id of the row with this code or path (from memory); as_key: the code itself."""
    if not text:
        return None
    row = lookups.find(model, field, text)
    if row is None:
        errors[name] = _("Unknown %(name)s: %(key)s.") % {"name": name, "key": text}
        return None
    return row.pk if not as_key else getattr(row, field)
