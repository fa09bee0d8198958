"""The workspace of the service desk, engineers and managers: queues of incidents."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from opsdesk.core.exceptions import InvalidInput
from opsdesk.incidents import selectors
from opsdesk.incidents.choices import ACTIVE_STATUSES, OPEN_STATUSES, Status
from opsdesk.incidents.selectors import SORTS, IncidentFilters

PAGE_SIZE = 50


@dataclass(frozen=True)
class Queue:
    """A named list of incidents: who it is for and which filter it applies."""

    slug: str
    label: str
    for_desk: bool

    def filters(self, user) -> IncidentFilters:
        return QUEUE_FILTERS[self.slug](user)


QUEUES = [
    Queue("unassigned", _("Unassigned"), True),
    Queue("owned", _("Owned by me"), True),
    Queue("to-confirm", _("Resolved, awaiting user confirmation"), True),
    Queue("pending", _("Pending"), True),
    Queue("open", _("All open"), True),
    Queue("group", _("My groups"), False),
    Queue("assigned", _("Assigned to me"), False),
]
QUEUE_FILTERS = {
    "unassigned": lambda u: IncidentFilters(statuses=list(OPEN_STATUSES), unassigned=True),
    "owned": lambda u: IncidentFilters(statuses=list(ACTIVE_STATUSES), owner_id=u.pk),
    "to-confirm": lambda u: IncidentFilters(statuses=[Status.RESOLVED], owner_id=u.pk),
    "pending": lambda u: IncidentFilters(statuses=[Status.PENDING]),
    "open": lambda u: IncidentFilters(statuses=list(OPEN_STATUSES)),
    "group": lambda u: IncidentFilters(statuses=list(ACTIVE_STATUSES),
                                       group_ids=sorted(u.support_group_ids) or [0]),
    "assigned": lambda u: IncidentFilters(statuses=list(ACTIVE_STATUSES), assignee_id=u.pk),
}


def queues_for(user) -> list[Queue]:
    """The desk and managers get the desk queues; anyone in a group gets the group queues."""
    desk = user.sees_all_incidents
    return [q for q in QUEUES if (q.for_desk and desk) or (not q.for_desk and user.support_group_ids)]


@login_required
def queue(request, queue: str = ""):
    """One queue with counts of every queue; the table refreshes itself every 30 seconds."""
    available = queues_for(request.user)
    if not available:
        raise PermissionDenied
    current = next((q for q in available if q.slug == queue), None) if queue else available[0]
    if current is None:
        raise Http404
    text = request.GET.get("q", "").strip()[:200]
    if text and selectors.incident_visible(user=request.user, number=text.upper()):
        return redirect("web:incident", number=text.upper())  # a number read out on the phone
    filters = current.filters(request.user)
    filters.text = text
    sort = request.GET.get("sort", "-registered_at")
    try:
        rows, cursor = selectors.incident_list(
            user=request.user, filters=filters,
            sort=sort if sort in SORTS else "-registered_at",
            cursor=request.GET.get("cursor", ""), limit=PAGE_SIZE)
    except InvalidInput:
        rows, cursor = [], ""
    counts = [(q, selectors.incident_count(user=request.user, filters=q.filters(request.user)))
              for q in available]
    context = {"queue": current, "counts": counts, "rows": rows, "next_cursor": cursor,
               "sort": sort, "q": text, "nav": "work"}
    return TemplateResponse(request, "web/work/queue.html", context)
