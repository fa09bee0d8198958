"""Bulk work on many incidents: each incident on its own, through the one-incident services.

Every incident is assigned or changed in its own transaction by incident_transition or
incident_update, which lock the row and check the permission for that record. One refusal never
undoes or blocks the others, and no incident is ever half written: the result tells which
succeeded and why each of the others was refused.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from opsdesk.core.exceptions import DomainError, InvalidInput

from ..choices import Action, Channel
from ..models import Incident
from .lifecycle import incident_transition
from .records import incident_update

MAX_BULK = 200
# Fields that a bulk update may change (the rest of the record is edited one by one).
BULK_FIELDS = frozenset({"priority", "priority_override_reason", "category", "service", "impact",
                         "urgency"})


@dataclass
class BulkResult:
    """Numbers that were changed, and numbers refused with the reason for each."""

    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def incidents_bulk_assign(*, by, numbers: list[str], assignment_group, assignee=None,
                          channel: str = Channel.WEB) -> BulkResult:
    """Assign each incident to the group (and person), as `by`, one transaction per incident."""
    return _each(by=by, numbers=numbers, apply=lambda incident: incident_transition(
        incident=incident, action=Action.ASSIGN, by=by, channel=channel,
        assignment_group=assignment_group, assignee=assignee))


def incidents_bulk_update(*, by, numbers: list[str], data: dict,
                          channel: str = Channel.WEB) -> BulkResult:
    """Change the same fields of each incident (priority override with a reason, category,
    service, impact, urgency), as `by`, one transaction per incident."""
    unknown = set(data) - BULK_FIELDS
    if unknown:
        raise ValueError(f"Fields not changed in bulk: {', '.join(sorted(unknown))}")
    return _each(by=by, numbers=numbers, apply=lambda incident: incident_update(
        incident=incident, by=by, data=data, channel=channel))


def _each(*, by, numbers: list[str], apply) -> BulkResult:
    """Apply to each visible incident in the order given; invisible numbers are refused as
    not found, so that a bulk request cannot tell which numbers exist. More than MAX_BULK
    numbers is InvalidInput before anything changes."""
    wanted = list(dict.fromkeys(n.strip().upper() for n in numbers if n.strip()))
    if len(wanted) > MAX_BULK:
        raise InvalidInput(errors={"numbers": _("Select at most %(max)s incidents at once.") % {
            "max": MAX_BULK}})
    visible = {i.number: i for i in Incident.objects.restrict(by).filter(number__in=wanted)}
    result = BulkResult()
    for number in wanted:
        incident = visible.get(number)
        if incident is None:
            result.refused.append((number, _("Not found.")))
            continue
        try:
            apply(incident)
        except DomainError as error:
            result.refused.append((number, _reason(error)))
        else:
            result.done.append(number)
    return result


def _reason(error: DomainError) -> str:
    """One sentence for a refusal: the message, or the field errors when that is all there is."""
    details = [str(message) for message in error.errors.values()]
    if details and str(error.message) == str(type(error).default_message):
        return " ".join(details)
    return " ".join([str(error.message), *details])
