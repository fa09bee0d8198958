"""Reads of major incidents; every lookup goes through the incident's visibility (restrict)."""

from django.utils.translation import gettext as _

from opsdesk.core.exceptions import NotFound
from opsdesk.incidents.models import Incident

from .models import LIVE_STATES, MajorIncident, MajorState


def is_major_master(incident: Incident) -> bool:
    """Whether the incident is the master of a declared (or since resolved/closed) major incident.

    A candidate or a rejected proposal is not a major incident. One query, none when the
    caller already loaded `incident.major`.
    """
    try:
        major = incident.major
    except MajorIncident.DoesNotExist:
        return False
    return major.declared_at is not None and major.state != MajorState.REJECTED


def major_get(*, user, number: str) -> MajorIncident:
    """The major-incident record of the master numbered `number`, if user may see the incident.

    NotFound when the incident is not visible or has no major-incident record (candidate,
    rejected and declared ones all count).
    """
    major = (MajorIncident.objects.select_related("incident", "manager", "proposed_by",
                                                  "decided_by")
             .filter(incident__in=Incident.objects.restrict(user).filter(number=number))
             .first())
    if major is None:
        raise NotFound(_("No major incident %(number)s was found.") % {"number": number})
    return major


def major_for_incident(incident: Incident) -> MajorIncident | None:
    """The incident's major-incident record, if any (no permission check: the caller did it)."""
    return MajorIncident.objects.filter(incident=incident).first()


def live_master_of(incident: Incident) -> MajorIncident | None:
    """The declared major incident whose master this incident is, if any."""
    return MajorIncident.objects.filter(incident=incident, state__in=LIVE_STATES).first()
