"""The workspace links behind the KPI engine's numbers, and the names of breakdown rows.

Every link is a `/work/all/` list with the parameters of incidents/filters.py: the period as
exact instants in the site's time zone (whatever zone the reader's profile activates), the
filter's dimensions as codes and paths, and the KPI's own conditions.
"""

from dataclasses import replace
from datetime import date, datetime, time
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from opsdesk.accounts.models import SupportGroup
from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.reference.models import Category, Priority, Source

from .definitions import BACKLOG, DEFLECTION, SATISFACTION, KpiDefinition


def site_moment(day: date) -> datetime:
    """The start of `day` in the site's time zone."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def urls(d: KpiDefinition, filters) -> tuple[str, str]:
    """(the incidents counted, the incidents of the numerator) as workspace links."""
    dims = dimension_params(filters)
    if d.kind == BACKLOG:
        return records_url({**dims, "status": "open"}), ""
    if d.kind == SATISFACTION:
        params = {"start": filters.start.isoformat(), "end": filters.end.isoformat(),
                  **{("channel" if k == "source" else k): v for k, v in dims.items()}}
        satisfied = [("score", "4"), ("score", "5")] if d.code == "satisfaction_rate" else []
        return (f"/surveys/?{urlencode(params)}",
                f"/surveys/?{urlencode([*params.items(), *satisfied])}" if satisfied else "")
    if d.kind == DEFLECTION:
        return "", ""
    period = {"created_after": site_moment(filters.start).isoformat(),
              "created_before": site_moment(filters.end).isoformat()}
    counted = records_url({**period, **dims, **dict(d.counted)})
    numerator = records_url({**period, **dims, **dict(d.numerator_params)}) \
        if d.numerator_params else ""
    return counted, numerator


def records_url(params: dict) -> str:
    """The workspace list of every incident matching these list parameters."""
    return f"/work/all/?{urlencode(params)}"


def dimension_params(filters) -> dict:
    """The filter's dimensions as list parameters (codes and paths, as links spell them)."""
    params = {}
    if filters.group_id and (group := lookups.lookup(SupportGroup, filters.group_id)):
        params["group"] = group.code
    if filters.category_id and (category := lookups.lookup(Category, filters.category_id)):
        params["category"] = category.path
    if filters.service_id and (service := lookups.lookup(Service, filters.service_id)):
        params["service"] = service.code
    if filters.priority_level:
        params["priority"] = filters.priority_level
    if filters.channel:
        params["source"] = filters.channel
    return params


def with_period(filters, start: date, end: date):
    """The same filters over another period."""
    return replace(filters, start=start, end=end)


def with_dimension(filters, by: str, key):
    """The filters narrowed to one breakdown row; None for the incidents without that field."""
    if key in (None, ""):
        return None
    field = {"group": "group_id", "category": "category_id", "service": "service_id",
             "priority": "priority_level", "channel": "channel"}[by]
    return replace(filters, **{field: key})


def dimension_label(by: str, key) -> str:
    """The row's name in the reader's language; "(none)" for incidents without that field."""
    if key in (None, ""):
        return _("(none)")
    model = {"group": SupportGroup, "category": Category, "service": Service,
             "priority": Priority, "channel": Source}[by]
    row = lookups.lookup(model, key)
    return str(getattr(row, "name", row)) if row is not None else str(key)


def dimension_key(by: str, key) -> str:
    """The row's natural key: group and service code, category path, priority, source code."""
    if key in (None, ""):
        return ""
    if by in ("group", "service", "category"):
        model = {"group": SupportGroup, "service": Service, "category": Category}[by]
        row = lookups.lookup(model, key)
        return (row.path if by == "category" else row.code) if row is not None else str(key)
    return str(key)
