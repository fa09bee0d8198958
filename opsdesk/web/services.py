"""Workspace queues and saved views: which queues a person has, what each one lists, and the
views people save of them. A UI concern, so it lives in `web`; the rules about incidents stay in
the incidents app (filters, selectors, services)."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.accounts.models import SupportGroup
from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.core.exceptions import InvalidInput, NotFound
from opsdesk.incidents import selectors
from opsdesk.incidents.choices import ACTIVE_STATUSES, OPEN_STATUSES, Status
from opsdesk.incidents.filters import (
    PARAM_NAMES,
    filters_from_query,
    filters_narrow,
    query_from_params,
)
from opsdesk.incidents.selectors import SORTS, IncidentFilters
from opsdesk.reference.models import Category, Impact, Nature, Priority, Source, Urgency

from .models import SavedView

DEFAULT_SORT = "-registered_at"
MAX_SAVED_VIEWS = 30  # shown as tabs, each with a count: a handful, not a library


@dataclass(frozen=True)
class Queue:
    """A named list of incidents: who it is for and which filter it applies."""

    slug: str
    label: str
    for_desk: bool
    listed: bool = True  # a tab with a count; "all" is reached through the measures' links

    def filters(self, user) -> IncidentFilters:
        return QUEUE_FILTERS[self.slug](user)


QUEUES = [
    Queue("unassigned", gettext_lazy("Unassigned"), True),
    Queue("owned", gettext_lazy("Owned by me"), True),
    Queue("to-confirm", gettext_lazy("Resolved, awaiting user confirmation"), True),
    Queue("pending", gettext_lazy("Pending"), True),
    Queue("open", gettext_lazy("All open"), True),
    Queue("group", gettext_lazy("My groups"), False),
    Queue("assigned", gettext_lazy("Assigned to me"), False),
    Queue("all", gettext_lazy("All incidents"), True, listed=False),
    Queue("group-all", gettext_lazy("My groups' incidents"), False, listed=False),
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
    "all": lambda u: IncidentFilters(),
    # Every status of my groups' incidents: the group dashboard's links for engineers.
    "group-all": lambda u: IncidentFilters(group_ids=sorted(u.support_group_ids) or [0]),
}


def queues_for(user) -> list[Queue]:
    """The desk and managers get the desk queues; anyone in a group gets the group queues.
    Both get "all" (the lists behind a KPI's numbers), which restrict() narrows to what each
    person may see."""
    desk, groups = user.sees_all_incidents, bool(user.support_group_ids)
    return [q for q in QUEUES if (q.for_desk and desk) or (not q.for_desk and groups)
            or (q.slug == "all" and groups)]


def query_normalize(params) -> str:
    """The filters and sort of a request as a query string in a fixed order, empty values and
    the page cursor left out: two links to the same list give the same string."""
    pairs = []
    for name in (*PARAM_NAMES, "sort"):
        values = params.getlist(name) if hasattr(params, "getlist") else params.get(name, [])
        pairs += [(name, v.strip()) for v in values if v.strip()]
    return urlencode(pairs)


def queue_filters(*, user, queue: Queue, params) -> tuple[IncidentFilters, str]:
    """The queue narrowed by the request's filters, and the sort; InvalidInput names each bad
    parameter (an unknown sort falls back to newest first)."""
    extra = filters_from_query(query=query_from_params(params), user=user)
    sort = params.get("sort") or DEFAULT_SORT
    return filters_narrow(base=queue.filters(user), extra=extra), (
        sort if sort in SORTS else DEFAULT_SORT)


def saved_views_for(*, user) -> list[SavedView]:
    """A person's own views and those shared with their groups, by name."""
    shared = Q(group_id__in=user.support_group_ids) if user.support_group_ids else Q(pk__in=[])
    return list(SavedView.objects.filter(Q(owner=user) | shared)
                .select_related("owner").order_by("name", "id")[:MAX_SAVED_VIEWS])


def saved_view_count(*, user, view: SavedView, queues: list[Queue]) -> int | None:
    """How many incidents the view lists now; None when it cannot be shown (a queue this person
    does not have, or a filter that no longer resolves, e.g. a renamed group)."""
    queue = next((q for q in queues if q.slug == view.queue), None)
    if queue is None:
        return None
    try:
        filters, _sort = queue_filters(user=user, queue=queue, params=QueryDict(view.query))
    except InvalidInput:
        return None
    return selectors.incident_count(user=user, filters=filters)


def saved_view_create(*, owner, name: str, queue: Queue, params, group_id: int | None = None
                      ) -> SavedView:
    """Save the queue with the request's filters and sort under a name unique for the owner.

    The filters are resolved first, so a view that cannot be shown is never saved. A shared view
    goes to one of the owner's own groups.
    """
    name = " ".join((name or "").split())
    errors = {}
    if not name:
        errors["name"] = _("Give the view a name.")
    elif "\x00" in name or "\x00" in query_normalize(params):  # PostgreSQL cannot store it
        errors["name"] = _("Remove the NUL character (\\u0000) from the view.")
    elif len(name) > SavedView._meta.get_field("name").max_length:
        errors["name"] = _("Use at most 60 characters for the name.")
    if group_id is not None and group_id not in owner.support_group_ids:
        errors["group"] = _("Share a view only with a group you belong to.")
    if errors:
        raise InvalidInput(errors=errors)
    queue_filters(user=owner, queue=queue, params=params)
    try:
        with transaction.atomic():
            return SavedView.objects.create(owner=owner, name=name, queue=queue.slug,
                                            query=query_normalize(params), group_id=group_id)
    except IntegrityError:
        raise InvalidInput(errors={"name": _("You already have a view named “%(name)s”.") % {
            "name": name}}) from None


def saved_view_delete(*, user, view_id: int) -> None:
    """Delete one of user's own views; anyone else's (even shared with them) is NotFound."""
    deleted, _kinds = SavedView.objects.filter(pk=view_id, owner=user).delete()
    if not deleted:
        raise NotFound(_("This saved view was not found."))


def queue_choices() -> dict:
    """What the filter and bulk forms offer: code tables from memory, people in one query."""

    def active(model):
        return [row for row in lookups.rows_by_pk(model).values()
                if getattr(row, "is_active", True)]

    groups = sorted(active(SupportGroup), key=lambda g: (g.line, g.code))
    members = SupportGroup.members.through.objects.filter(
        user__is_active=True, supportgroup_id__in=[g.pk for g in groups]).select_related(
        "user").order_by("user__username")
    by_group = {g.pk: [] for g in groups}
    for row in members:
        by_group[row.supportgroup_id].append(row.user)
    people = {p.pk: p for group_members in by_group.values() for p in group_members}
    return {
        "statuses": [(s.key, s.label) for s in Status],
        "priorities": sorted(lookups.rows_by_pk(Priority).values(), key=lambda p: p.level),
        "impacts": sorted(lookups.rows_by_pk(Impact).values(), key=lambda p: p.level),
        "urgencies": sorted(lookups.rows_by_pk(Urgency).values(), key=lambda p: p.level),
        "groups": groups,
        "members": [(g, by_group[g.pk]) for g in groups],
        "people": sorted(people.values(), key=lambda p: p.username),
        "categories": sorted(active(Category), key=lambda c: c.path),
        "services": sorted(active(Service), key=lambda s: s.code),
        "sources": sorted(active(Source), key=lambda s: (s.sort_order, s.code)),
        "natures": sorted(active(Nature), key=lambda s: (s.sort_order, s.code)),
    }
