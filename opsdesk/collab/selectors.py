"""Reads of tasks, mentions and handovers, always filtered by what the person may see."""

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import NotFound, NotPermitted
from opsdesk.incidents.choices import OPEN_STATUSES
from opsdesk.incidents.models import Incident

from . import rules
from .models import OPEN_TASK_STATUSES, Handover, IncidentTask, Mention, TaskStatus

TASK_RELATED = ("group", "assignee", "created_by", "completed_by")


# ---- tasks --------------------------------------------------------------------------------

def incident_tasks(*, user, incident: Incident) -> list[IncidentTask]:
    """The incident's tasks in order, for staff who see it (the caller checked the incident)."""
    if not rules.user_is_staff(user):
        return []
    tasks = list(IncidentTask.objects.filter(incident=incident).select_related(*TASK_RELATED))
    for task in tasks:
        task.incident = incident
    return tasks


def task_get(*, user, pk: int) -> IncidentTask:
    """The task if the person may see it; NotFound otherwise (its existence does not leak)."""
    task = (IncidentTask.objects.select_related("incident", *TASK_RELATED)
            .filter(pk=pk).first())
    if task is None or not rules.may_see_task(user=user, task=task, incident_visible=Incident
                                              .objects.restrict(user)
                                              .filter(pk=task.incident_id).exists()):
        raise NotFound(_("Task %(id)s was not found.") % {"id": pk})
    return task


def incident_visible_to(*, user, incident: Incident) -> bool:
    return Incident.objects.restrict(user).filter(pk=incident.pk).exists()


@dataclass(frozen=True)
class TaskFilters:
    mine: bool = False  # assigned to me or to one of my groups
    status: tuple[str, ...] = ()  # empty: open and in progress
    incident: Incident | None = None


def task_list(*, user, filters: TaskFilters, limit: int = 50, offset: int = 0
              ) -> tuple[list[IncidentTask], bool]:
    """Tasks the person may see, overdue first, then by due time; returns (rows, has_more)."""
    qs = _visible_tasks(user, mine=filters.mine)
    qs = qs.filter(status__in=filters.status or OPEN_TASK_STATUSES)
    if filters.incident is not None:
        qs = qs.filter(incident=filters.incident)
    rows = list(_overdue_first(qs).select_related("incident", *TASK_RELATED)
                [offset:offset + limit + 1])
    return rows[:limit], len(rows) > limit


def my_tasks(*, user, limit: int = 100) -> list[IncidentTask]:
    """The open tasks given to me or my groups: overdue first, then by due time ("My tasks")."""
    rows, _more = task_list(user=user, filters=TaskFilters(mine=True), limit=limit)
    return rows


def my_open_task_count(*, user) -> int:
    """For the navigation's badge: open tasks given to me or my groups."""
    return _visible_tasks(user, mine=True).filter(status__in=OPEN_TASK_STATUSES).count()


def _visible_tasks(user, *, mine: bool) -> QuerySet:
    mine_q = Q(assignee_id=user.pk)
    if user.support_group_ids:
        mine_q |= Q(group_id__in=user.support_group_ids)
    if mine or not rules.user_is_staff(user):
        return IncidentTask.objects.filter(mine_q) if user.is_active else \
            IncidentTask.objects.none()
    if user.sees_all_incidents:
        return IncidentTask.objects.all()
    visible = Incident.objects.restrict(user).values("pk")
    return IncidentTask.objects.filter(mine_q | Q(incident_id__in=visible))


def _overdue_first(qs: QuerySet) -> QuerySet:
    now = timezone.now()
    return qs.annotate(
        overdue=Case(When(due_at__lt=now, then=Value(0)), default=Value(1),
                     output_field=IntegerField()),
        no_due=Case(When(due_at__isnull=True, then=Value(1)), default=Value(0),
                    output_field=IntegerField()),
    ).order_by("overdue", "no_due", "due_at", "id")


def task_status_choices() -> list[tuple[str, str]]:
    return list(TaskStatus.choices)


# ---- mentions -----------------------------------------------------------------------------

def mention_list(*, user, limit: int = 50) -> list[Mention]:
    """Where I was mentioned lately, on incidents I still see; newest first."""
    visible = Incident.objects.restrict(user).values("pk")
    qs = Mention.objects.filter(user=user, comment__incident_id__in=visible)
    if not rules.user_is_staff(user):
        qs = qs.filter(comment__visibility="public")
    return list(qs.select_related("comment", "comment__author", "comment__incident")
                .order_by("-created_at", "-id")[:limit])


def comment_mentions(*, comment_ids) -> dict[int, list[Mention]]:
    """The mentions of these comments (one query), by comment id."""
    found: dict[int, list[Mention]] = {}
    for mention in Mention.objects.filter(comment_id__in=list(comment_ids)).select_related(
            "user"):
        found.setdefault(mention.comment_id, []).append(mention)
    return found


# ---- handovers ----------------------------------------------------------------------------

def handovers_visible(user) -> QuerySet:
    """Staff only: those who see every incident see every handover; others their groups'."""
    if not rules.user_is_staff(user):
        raise NotPermitted(_("Only support staff read shift handovers."))
    qs = Handover.objects.all()
    if user.sees_all_incidents:
        return qs
    groups = user.support_group_ids
    return qs.filter(Q(from_group_id__in=groups) | Q(to_group_id__in=groups)
                     | Q(written_by_id=user.pk))


def handover_list(*, user, limit: int = 50, offset: int = 0) -> tuple[list[Handover], bool]:
    """Newest first, one page; returns (rows, has_more)."""
    rows = list(handovers_visible(user).select_related(
        "from_group", "to_group", "written_by", "acknowledged_by")
        .order_by("-created_at", "-id")[offset:offset + limit + 1])
    return rows[:limit], len(rows) > limit


def handover_get(*, user, pk: int) -> Handover:
    """The handover with its items; items of incidents the reader may not see are marked."""
    handover = handovers_visible(user).select_related(
        "from_group", "to_group", "written_by", "acknowledged_by").filter(pk=pk).first()
    if handover is None:
        raise NotFound(_("Handover %(id)s was not found.") % {"id": pk})
    items = list(handover.items.select_related("incident"))
    visible = set(Incident.objects.restrict(user).filter(
        pk__in=[i.incident_id for i in items]).values_list("pk", flat=True))
    for item in items:
        item.visible = item.incident_id in visible
    handover.item_list = items
    return handover


def handover_open_incidents(*, user, limit: int = 200) -> list[Incident]:
    """The open incidents of my groups, to preselect in a new handover (priority first)."""
    groups = user.support_group_ids
    if not groups:
        return []
    return list(Incident.objects.restrict(user).filter(
        assignment_group_id__in=groups, status__in=OPEN_STATUSES,
    ).only("pk", "number", "short_description", "status", "priority_id",
           "assignment_group_id", "assignee_id").order_by("priority_id", "registered_at")
        [:limit])


def incidents_by_number(*, user, numbers) -> dict[str, Incident]:
    """The incidents with these numbers that the person may see, by number (one query)."""
    numbers = list(numbers)
    if not numbers:
        return {}
    return {i.number: i for i in Incident.objects.restrict(user).filter(number__in=numbers)}


def may_acknowledge(*, user, handover: Handover) -> bool:
    return (handover.acknowledged_at is None and handover.written_by_id != user.pk
            and (rules.is_group_member(user=user, group_id=handover.to_group_id)
                 or user.is_superuser))


def may_write_handover(user) -> bool:
    return rules.user_is_staff(user) and (bool(user.support_group_ids) or rules.is_manager(user))


def incidents_with_my_open_tasks(user) -> Q | None:
    """Incidents that have an open task for this person or one of their groups: they may see
    the incident the task belongs to (an incidents visibility hook). A subquery, evaluated by
    the list's own query; nothing for people who are not staff (tasks go to support staff)."""
    if not rules.user_is_staff(user):
        return None
    mine = Q(assignee_id=user.pk)
    if user.support_group_ids:
        mine |= Q(group_id__in=user.support_group_ids)
    return Q(pk__in=IncidentTask.objects.filter(mine, status__in=OPEN_TASK_STATUSES)
             .values("incident_id"))
