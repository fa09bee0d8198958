"""The figures of the three dashboards: live operations, a support group's queue, the process.

Read-only, like every selector. Each figure carries the list parameters of the incidents it
counts (the names of `incidents/filters.py`), so the page can link each number to the
workspace list that shows exactly those incidents. The counts and the lists share one
definition: the conditions below are the ones the parameters apply.

Each dashboard is a few GROUP BY queries over the incidents the reader may see
(`Incident.objects.restrict`); groups and priorities come from the in-process lookups.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from opsdesk.accounts.models import SupportGroup, User
from opsdesk.core import lookups
from opsdesk.incidents.choices import OPEN_STATUSES, Status
from opsdesk.incidents.filters import breached_between_q, sla_risk_q
from opsdesk.incidents.models import Incident
from opsdesk.reference.models import Priority

RISK_MINUTES = 60
AT_RISK_SHOWN = 10
# Age buckets of an open queue, in hours since registration: [low, high); None is open-ended.
AGE_BUCKETS = ((0, 24), (24, 72), (72, 168), (168, 720), (720, None))


# -- who sees what ---------------------------------------------------------------------------------

def live_ops_allowed(*, user) -> bool:
    """Incident managers, the service desk, process owners and administrators."""
    return _active(user) and (user.is_superuser or user.is_incident_manager
                              or user.is_service_desk or user.is_process_owner
                              or user.is_administrator)


def process_allowed(*, user) -> bool:
    """Process owners, incident managers and administrators."""
    return _active(user) and (user.is_superuser or user.is_process_owner
                              or user.is_incident_manager or user.is_administrator)


def groups_any_allowed(*, user) -> bool:
    """Managers may open any group's dashboard: incident managers, process owners, admins."""
    return _active(user) and (user.is_superuser or user.is_incident_manager
                              or user.is_process_owner or user.is_administrator)


def groups_for_lead(*, user) -> list[SupportGroup]:
    """The active groups whose dashboard user may open: all for managers, else the groups user
    works in or leads (SupportGroup.manager), by line and code."""
    if not _active(user):
        return []
    groups = [g for g in lookups.rows_by_pk(SupportGroup).values() if g.is_active]
    if not groups_any_allowed(user=user):
        mine = user.support_group_ids
        groups = [g for g in groups if g.pk in mine or g.manager_id == user.pk]
    return sorted(groups, key=lambda g: (g.line, g.code))


def _active(user) -> bool:
    return bool(user.is_authenticated and user.is_active)


# -- live operations (the incident manager) --------------------------------------------------------

@dataclass
class AtRisk:
    """An incident whose clock falls due within the window: which clock, and when."""

    number: str
    short_description: str
    priority: int
    group_id: int | None
    clock: str  # "response" or "resolution"
    due_at: datetime


@dataclass
class LiveOps:
    """Open incidents by group × priority, the SLA at risk, today's breaches, majors."""

    now: datetime
    risk_until: datetime
    day_start: datetime
    priorities: list[Priority]
    open_cells: dict[tuple[int | None, int], int]
    unassigned: int
    risk_by_priority: dict[int, dict[str, int]]
    risk_total: int
    breaches_by_priority: dict[int, dict[str, int]]
    breaches_total: int
    majors: dict[str, int]
    at_risk: list[AtRisk]

    @property
    def levels(self) -> list[int]:
        return [p.level for p in self.priorities]

    @property
    def open_total(self) -> int:
        return sum(self.open_cells.values())

    def open_by_priority(self) -> dict[int, int]:
        return _sum_by(self.open_cells, lambda key: key[1])

    def open_by_group(self) -> dict[int | None, int]:
        return _sum_by(self.open_cells, lambda key: key[0])

    def groups(self) -> list[SupportGroup | None]:
        """Groups with open incidents, by line and code; None (no group) last."""
        return _ordered_groups({group_id for group_id, _level in self.open_cells})


def live_ops(*, user, now: datetime | None = None, minutes: int = RISK_MINUTES) -> LiveOps:
    """The live picture of what user may see; four queries."""
    now = now or timezone.now()
    until = now + timedelta(minutes=minutes)
    day_start = _day_start(now)
    visible = Incident.objects.restrict(user)
    open_cells, unassigned, risk, risk_total = _open_figures(visible, now, until)
    breaches, breaches_total = _breach_figures(visible, day_start, day_start + timedelta(days=1))
    return LiveOps(
        now=now, risk_until=until, day_start=day_start, priorities=_priorities(),
        open_cells=open_cells, unassigned=unassigned, risk_by_priority=risk,
        risk_total=risk_total, breaches_by_priority=breaches, breaches_total=breaches_total,
        majors=_majors_open(), at_risk=_at_risk_list(visible, now, until))


def _open_figures(visible, now, until):
    rows = (visible.filter(status__in=OPEN_STATUSES)
            .values("assignment_group_id", "priority_id")
            .annotate(n=Count("id"),
                      unassigned=Count("id", filter=Q(assignment_group__isnull=True,
                                                      assignee__isnull=True)),
                      response=Count("id", filter=sla_risk_q("response", now, until)),
                      resolution=Count("id", filter=sla_risk_q("resolution", now, until)),
                      either=Count("id", filter=sla_risk_q("any", now, until)))
            .order_by())
    cells, risk, unassigned, risk_total = {}, {}, 0, 0
    for row in rows:
        cells[(row["assignment_group_id"], row["priority_id"])] = row["n"]
        unassigned += row["unassigned"]
        risk_total += row["either"]
        _add(risk, row["priority_id"], response=row["response"], resolution=row["resolution"])
    return cells, unassigned, risk, risk_total


def _breach_figures(visible, start, end):
    rows = (visible.filter(breached_between_q("any", start, end))
            .values("priority_id")
            .annotate(n=Count("id"),
                      response=Count("id", filter=breached_between_q("response", start, end)),
                      resolution=Count("id", filter=breached_between_q("resolution", start, end)))
            .order_by())
    breaches, total = {}, 0
    for row in rows:
        total += row["n"]
        _add(breaches, row["priority_id"], response=row["response"], resolution=row["resolution"])
    return breaches, total


def _majors_open() -> dict[str, int]:
    """Major incidents being run (declared) and proposed (candidates)."""
    from opsdesk.major.models import MajorIncident, MajorState

    counts = dict(MajorIncident.objects.filter(
        state__in=(MajorState.CANDIDATE, MajorState.DECLARED))
        .values_list("state").annotate(n=Count("id")).order_by())
    return {"declared": counts.get(MajorState.DECLARED, 0),
            "candidate": counts.get(MajorState.CANDIDATE, 0)}


def _at_risk_list(visible, now, until) -> list[AtRisk]:
    """The incidents at risk, the soonest due first (at most AT_RISK_SHOWN)."""
    rows = (visible.filter(status__in=OPEN_STATUSES).filter(sla_risk_q("any", now, until))
            .values("number", "short_description", "priority_id", "assignment_group_id",
                    "response_due_at", "resolution_due_at", "first_response_at",
                    "response_paused_at", "resolution_paused_at")
            .order_by("resolution_due_at")[:200])
    found = []
    for row in rows:
        for clock in ("response", "resolution"):
            due = row[f"{clock}_due_at"]
            running = row[f"{clock}_paused_at"] is None and (
                clock == "resolution" or row["first_response_at"] is None)
            if due and running and now <= due < until:
                found.append(AtRisk(row["number"], row["short_description"], row["priority_id"],
                                    row["assignment_group_id"], clock, due))
    return sorted(found, key=lambda r: r.due_at)[:AT_RISK_SHOWN]


# -- a support group's queue (the group lead) ------------------------------------------------------

@dataclass
class MemberLoad:
    """One member's open assigned incidents and the group's incidents they resolved this week."""

    user: User
    open: int = 0
    resolved_week: int = 0


@dataclass
class GroupQueue:
    """A group's open queue by status and age, what is at risk or breached, members' load."""

    group: SupportGroup
    now: datetime
    week_start: datetime
    status_age: dict[tuple[int, int], int]  # (status, bucket index) -> count
    open_total: int
    no_assignee: int
    at_risk: int
    breached_week: int
    resolved_week: int
    members: list[MemberLoad] = field(default_factory=list)
    others_open: int = 0  # assigned to someone who is no longer a member

    def statuses(self) -> list[Status]:
        return [s for s in Status if s.value in OPEN_STATUSES]


def group_queue(*, user, group: SupportGroup, now: datetime | None = None,
                minutes: int = RISK_MINUTES) -> GroupQueue:
    """The group's queue health and its members' load, as user may see it; three queries."""
    now = now or timezone.now()
    week_start = _week_start(now)
    visible = Incident.objects.restrict(user).filter(assignment_group_id=group.pk)
    status_age, by_assignee, at_risk = _group_open(visible, now, now + timedelta(minutes=minutes))
    resolved_by, resolved_week, breached_week = _group_week(visible, week_start)
    members = [MemberLoad(member, by_assignee.pop(member.pk, 0), resolved_by.get(member.pk, 0))
               for member in group.members.filter(is_active=True).order_by("username")]
    no_assignee = by_assignee.pop(None, 0)
    return GroupQueue(
        group=group, now=now, week_start=week_start, status_age=status_age,
        open_total=sum(status_age.values()), no_assignee=no_assignee, at_risk=at_risk,
        breached_week=breached_week, resolved_week=resolved_week, members=members,
        others_open=sum(by_assignee.values()))


def _group_open(visible, now, until):
    buckets = {f"b{i}": Count("id", filter=age_q(low, high, now))
               for i, (low, high) in enumerate(AGE_BUCKETS)}
    rows = (visible.filter(status__in=OPEN_STATUSES).values("status", "assignee_id")
            .annotate(n=Count("id"), risk=Count("id", filter=sla_risk_q("any", now, until)),
                      **buckets)
            .order_by())
    status_age, by_assignee, at_risk = {}, {}, 0
    for row in rows:
        for i in range(len(AGE_BUCKETS)):
            key = (row["status"], i)
            status_age[key] = status_age.get(key, 0) + row[f"b{i}"]
        by_assignee[row["assignee_id"]] = by_assignee.get(row["assignee_id"], 0) + row["n"]
        at_risk += row["risk"]
    return status_age, by_assignee, at_risk


def _group_week(visible, week_start):
    resolved = Q(resolved_at__gte=week_start)
    breached = breached_between_q("any", week_start, None)
    rows = (visible.filter(resolved | breached).values("assignee_id")
            .annotate(resolved=Count("id", filter=resolved), breached=Count("id", filter=breached))
            .order_by())
    by_assignee = {row["assignee_id"]: row["resolved"] for row in rows}
    return (by_assignee, sum(row["resolved"] for row in rows),
            sum(row["breached"] for row in rows))


def age_q(low: int, high: int | None, now: datetime) -> Q:
    """Registered at least `low` and less than `high` hours before now (the list parameters
    age_min_hours and age_max_hours)."""
    q = Q(registered_at__lte=now - timedelta(hours=low))
    if high is not None:
        q &= Q(registered_at__gt=now - timedelta(hours=high))
    return q


# -- shared pieces ---------------------------------------------------------------------------------

def _priorities() -> list[Priority]:
    return sorted(lookups.rows_by_pk(Priority).values(), key=lambda p: p.level)


def _ordered_groups(group_ids) -> list[SupportGroup | None]:
    groups = [lookups.lookup(SupportGroup, pk) for pk in group_ids if pk is not None]
    ordered = sorted((g for g in groups if g is not None), key=lambda g: (g.line, g.code))
    return ordered + ([None] if None in group_ids else [])


def _sum_by(cells: dict, key_of) -> dict:
    result: dict = {}
    for key, n in cells.items():
        result[key_of(key)] = result.get(key_of(key), 0) + n
    return result


def _add(target: dict, level: int, **counts) -> None:
    slot = target.setdefault(level, {"response": 0, "resolution": 0})
    for name, n in counts.items():
        slot[name] += n


def _day_start(now: datetime) -> datetime:
    """Midnight of now's day in the active time zone (the reader's)."""
    return timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))


def _week_start(now: datetime) -> datetime:
    """Monday midnight of now's week in the active time zone."""
    start = _day_start(now)
    return start - timedelta(days=start.weekday())
