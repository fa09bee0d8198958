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


def major_list(*, user, states=None, limit: int = 200) -> list[MajorIncident]:
    """Major incidents for staff, newest first, with their master, manager and child count.

    Two queries whatever the number of rows (major_state_id fits the state filter)."""
    from django.db.models import Count

    from .permissions import may_view_majors

    if not may_view_majors(user):
        return []
    rows = MajorIncident.objects.select_related("incident", "incident__priority", "manager")
    if states:
        rows = rows.filter(state__in=states)
    rows = list(rows.order_by("-id")[:limit])
    counts = dict(Incident.objects.filter(parent_id__in=[m.incident_id for m in rows])
                  .values("parent_id").annotate(n=Count("id")).values_list("parent_id", "n"))
    for major in rows:
        major.children_count = counts.get(major.incident_id, 0)
    return rows


def major_children(*, major: MajorIncident, limit: int = 500) -> list[Incident]:
    """The master's children with their state and people, in one query."""
    return list(Incident.objects.filter(parent_id=major.incident_id)
                .select_related("requester", "assignee", "assignment_group")
                .order_by("registered_at", "pk")[:limit])


def major_updates(*, major: MajorIncident, public_only: bool = False, limit: int = 200):
    """The updates, newest first, with their authors."""
    rows = major.updates.select_related("author")
    if public_only:
        rows = rows.filter(is_public=True)
    return list(rows[:limit])


def major_alerts(*, major: MajorIncident, limit: int = 100) -> list:
    """Monitoring alerts linked to the master, newest first."""
    from opsdesk.intake.models import Alert

    return list(Alert.objects.filter(incident_id=major.incident_id)
                .select_related("integration").order_by("-id")[:limit])


def update_is_missed(major: MajorIncident, now=None) -> bool:
    """Whether the next update is overdue (only while declared)."""
    from django.utils import timezone

    return bool(major.state == MajorState.DECLARED and major.next_update_due_at
                and major.next_update_due_at < (now or timezone.now()))


def outages_open(*, limit: int = 10) -> list[MajorIncident]:
    """Declared major incidents whose master is open: the portal's known outages.

    Each carries `services_list` and `latest_public` (the newest public update): three
    queries whatever the number of rows.
    """
    from opsdesk.incidents.choices import OPEN_STATUSES

    from .models import MajorUpdate

    rows = list(MajorIncident.objects.filter(state=MajorState.DECLARED,
                                             incident__status__in=OPEN_STATUSES)
                .select_related("incident").prefetch_related("services")
                .order_by("-declared_at")[:limit])
    latest = {}
    for update in (MajorUpdate.objects.filter(major__in=rows, is_public=True)
                   .order_by("major_id", "-created_at", "-id")):
        latest.setdefault(update.major_id, update)
    for major in rows:
        major.services_list = list(major.services.all())
        major.latest_public = latest.get(major.pk)
    return rows
