"""A list of incidents as a table: the workspace queues and the API list, with their filters.

Rows come through `incidents.selectors.incident_list`, page after page on its keyset, so the
export sees exactly what the list shows the person (restrict() and the same filters), costs a
few queries per thousand rows whatever their number, and is written while it is read. An export
stops at MAX_ROWS with a last line that says how many were left out.
"""

from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput
from opsdesk.incidents import selectors
from opsdesk.incidents.models import Incident
from opsdesk.incidents.selectors import IncidentFilters

from .tables import Table

MAX_ROWS = 100_000
PAGE = 1000

# (field or computed key, width): the columns in order; labels come from the model's fields.
COLUMNS = (
    ("number", 18), ("short_description", 40), ("status", 12), ("priority", 10),
    ("impact", 14), ("urgency", 12), ("nature", 12), ("source", 12), ("category", 28),
    ("service", 18), ("requester", 16), ("requester_department", 16), ("owner", 14),
    ("assignment_group", 16), ("assignee", 14), ("registered_at", 17), ("occurred_at", 17),
    ("first_response_at", 17), ("response_due_at", 17), ("response_breached", 10),
    ("resolved_at", 17), ("resolution_due_at", 17), ("resolution_breached", 10),
    ("closed_at", 17), ("resolution_code", 16), ("closure_code", 16),
    ("first_contact_resolution", 10), ("reassignment_count", 8), ("hand_back_count", 8),
    ("reopen_count", 8), ("vendor", 16), ("parent", 18), ("link", 50),
)
_NAMED = ("impact", "urgency", "nature", "source", "service", "requester_department",
          "resolution_code", "closure_code", "vendor")
_PEOPLE = ("requester", "owner", "assignee")


@dataclass
class IncidentExport:
    """The table to write and how many incidents matched (more than MAX_ROWS: cut)."""

    table: Table
    total: int

    @property
    def omitted(self) -> int:
        return max(self.total - MAX_ROWS, 0)


def incident_export(*, user, filters: IncidentFilters, sort: str = "-registered_at",
                    title: str = "") -> IncidentExport:
    """The incidents user may see that match the filters, in the list's order (InvalidInput
    for a bad sort, as the list itself)."""
    if sort not in selectors.SORTS:
        raise InvalidInput(errors={"sort": _("Sort by one of: %(choices)s.") % {
            "choices": ", ".join(selectors.SORTS)}})
    total = selectors.incident_count(user=user, filters=filters)
    table = Table(title=title or _("Incidents"), columns=column_labels(),
                  rows=_rows(user, filters, sort, total), widths=[w for _k, w in COLUMNS])
    return IncidentExport(table=table, total=total)


def column_labels() -> list[str]:
    """The column headers in the active language (the model's field names)."""
    labels = []
    for key, _width in COLUMNS:
        if key == "link":
            labels.append(_("Link"))
        else:
            labels.append(capfirst(str(Incident._meta.get_field(key).verbose_name)))
    return labels


def _rows(user, filters, sort, total):
    written, cursor = 0, ""
    while written < MAX_ROWS:
        rows, cursor = selectors.incident_list(user=user, filters=filters, sort=sort,
                                               cursor=cursor, limit=min(PAGE, MAX_ROWS - written))
        for incident in rows:
            yield incident_row(incident)
        written += len(rows)
        if not cursor:
            return
    if total > written:
        yield [_("Only the first %(rows)s of %(total)s incidents are in this file; narrow the "
                 "filters to export the rest.") % {"rows": f"{written:,}", "total": f"{total:,}"}]


def incident_row(incident: Incident) -> list:
    """One incident's cells, in COLUMNS' order (its relations already attached)."""
    values = []
    for key, _width in COLUMNS:
        values.append(_cell(incident, key))
    return values


def _cell(incident: Incident, key: str):
    if key == "status":
        return incident.get_status_display()
    if key == "priority":
        return incident.priority.name if incident.priority_id else ""
    if key == "assignment_group":  # the code, as the queues show it
        return incident.assignment_group.code if incident.assignment_group_id else ""
    if key == "category":
        return incident.category.full_name if incident.category_id else ""
    if key in _NAMED:
        row = getattr(incident, key) if getattr(incident, f"{key}_id") else None
        return row.name if row is not None else ""
    if key in _PEOPLE:
        person = getattr(incident, key) if getattr(incident, f"{key}_id") else None
        return person.label if person is not None else ""
    if key == "parent":
        return incident.parent.number if incident.parent_id else ""
    if key == "link":
        return absolute_url(f"/incidents/{quote(incident.number or '')}/")
    return getattr(incident, key)


def absolute_url(path: str) -> str:
    """A link as people open it from a file or a mail (OPSDESK_BASE_URL + path)."""
    if not path or "://" in path:
        return path
    return settings.OPSDESK_BASE_URL.rstrip("/") + path
