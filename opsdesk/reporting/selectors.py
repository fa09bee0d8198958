"""Read-only aggregations for the incident manager's overview.

Every figure is one GROUP BY over the incidents the person may see; group and priority labels
come from the in-process lookups (core.lookups), so the page costs two queries however many
groups and priorities there are.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from opsdesk.accounts.models import SupportGroup
from opsdesk.core import lookups
from opsdesk.incidents.choices import ACTIVE_STATUSES, OPEN_STATUSES, Status
from opsdesk.incidents.models import Incident
from opsdesk.reference.models import Priority

DEFAULT_STALE_HOURS = 24


def overview_allowed(*, user) -> bool:
    """Incident managers (and process owners, who watch the process) see the overview."""
    return bool(user.is_authenticated and user.is_active
                and (user.is_superuser or user.is_incident_manager or user.is_process_owner))


@dataclass
class BacklogRow:
    """One group's open incidents by priority level (group None: not assigned to a group)."""

    group: SupportGroup | None
    levels: list[int]
    counts: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def cells(self) -> list[tuple[int, int]]:
        """(level, count) in column order."""
        return [(level, self.counts.get(level, 0)) for level in self.levels]


@dataclass
class Overview:
    """The open backlog by group × priority, with the counts a manager watches."""

    priorities: list[Priority]
    rows: list[BacklogRow]
    unassigned: int
    unassigned_by_priority: dict[int, int]
    stale: int
    stale_hours: int
    reopened: int
    by_status: list[tuple[Status, int]]

    @property
    def levels(self) -> list[int]:
        return [p.level for p in self.priorities]

    @property
    def column_totals(self) -> list[tuple[int, int]]:
        return [(level, sum(r.counts.get(level, 0) for r in self.rows)) for level in self.levels]

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rows)


def overview_get(*, user, stale_hours: int = DEFAULT_STALE_HOURS) -> Overview:
    """The open backlog user may see, by group and priority, with unassigned, stale, reopened
    and per-status counts."""
    visible = Incident.objects.restrict(user)
    cutoff = timezone.now() - timedelta(hours=stale_hours)
    cells = (
        visible.filter(status__in=OPEN_STATUSES)
        .values("assignment_group_id", "priority_id")
        .annotate(n=Count("id"),
                  unassigned=Count("id", filter=Q(assignment_group__isnull=True,
                                                  assignee__isnull=True)),
                  stale=Count("id", filter=Q(updated_at__lt=cutoff)),
                  reopened=Count("id", filter=Q(reopen_count__gt=0)))
        .order_by()
    )
    priorities = sorted(lookups.rows_by_pk(Priority).values(), key=lambda p: p.level)
    levels = [p.level for p in priorities]
    rows: dict[int | None, BacklogRow] = {}
    unassigned_by_priority: dict[int, int] = {}
    stale = reopened = 0
    for cell in cells:
        group_id, level = cell["assignment_group_id"], cell["priority_id"]
        row = rows.setdefault(group_id, BacklogRow(
            group=lookups.lookup(SupportGroup, group_id) if group_id else None, levels=levels))
        row.counts[level] = row.counts.get(level, 0) + cell["n"]
        if cell["unassigned"]:
            unassigned_by_priority[level] = (unassigned_by_priority.get(level, 0)
                                             + cell["unassigned"])
        stale += cell["stale"]
        reopened += cell["reopened"]
    by_status = dict(visible.filter(status__in=ACTIVE_STATUSES).values_list("status")
                     .annotate(n=Count("id")).order_by())
    return Overview(
        priorities=priorities,
        rows=sorted(rows.values(), key=_row_order), unassigned=sum(unassigned_by_priority.values()),
        unassigned_by_priority=unassigned_by_priority, stale=stale, stale_hours=stale_hours,
        reopened=reopened, by_status=[(s, by_status.get(s.value, 0)) for s in ACTIVE_STATUSES])


def _row_order(row: BacklogRow) -> tuple:
    """Groups by line and code; incidents without a group last."""
    if row.group is None:
        return (1, 0, "")
    return (0, row.group.line, row.group.code)
