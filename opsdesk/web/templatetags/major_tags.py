"""The major-incident panel of an incident page and the portal's known outages."""

from django import template

from opsdesk.major.models import AffectedPerson, MajorIncident, MajorState
from opsdesk.major.permissions import may_decide, may_propose
from opsdesk.major.selectors import outages_open, update_is_missed

register = template.Library()


@register.inclusion_tag("web/major/_incident_major_panel.html")
def incident_major_panel(incident, user, staff=False):
    """Staff only: the major record's state and link, or the propose button; one query
    (two for a child: its master's record)."""
    if incident is None or not staff:
        return {"show": False}
    major = MajorIncident.objects.filter(incident=incident).select_related("manager").first()
    master_major = None
    if incident.parent_id:
        master_major = (MajorIncident.objects.filter(incident_id=incident.parent_id)
                        .select_related("incident").first())
    return {
        "show": True, "incident": incident, "user": user, "major": major,
        "master_major": master_major,
        "missed": major is not None and update_is_missed(major),
        "may_propose": (incident.status < 40 and not incident.parent_id and may_propose(user)
                        and (major is None or major.state == MajorState.REJECTED)),
        "may_declare": may_decide(user),
    }


@register.inclusion_tag("web/major/_portal_outages_list.html", takes_context=True)
def portal_outages(context):
    """Open declared major incidents with the latest public update and "Affects me too"."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"outages": []}
    outages = outages_open()
    mine = set(AffectedPerson.objects.filter(
        user=user, incident_id__in=[m.incident_id for m in outages])
        .values_list("incident_id", flat=True)) if outages else set()
    for major in outages:
        major.affects_me = major.incident_id in mine
        major.reported_by_me = major.incident.requester_id == user.pk
    return {"outages": outages, "request": request}
