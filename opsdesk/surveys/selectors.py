"""Reading surveys: the satisfaction figures (for the KPI engine), the results list, the queue.

The figures count every survey with a score (SCORED or ANSWERED) of the incidents closed in the
period: an answer counts in the month its incident was closed, so a month's figures only grow
while its late answers arrive. Periods are dates in the site's time zone (TIME_ZONE), start
inclusive, end exclusive, like the KPI engine's KpiFilters.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, Sum

from opsdesk.core import lookups
from opsdesk.reference.models import Category

from .models import SATISFIED_SCORES, SCORED_STATES, Survey

BREAKDOWNS = {"group": "incident__assignment_group_id", "category": "incident__category_id",
              "service": "incident__service_id", "priority": "incident__priority_id",
              "channel": "incident__source_id"}


@dataclass(frozen=True)
class SatisfactionSummary:
    """Responses, mean score (1–5) and 满意率 (the share of 4–5 answers, from 0 to 1).

    `mean` and `satisfied_share` are None when nobody answered. It unpacks as the triple
    `(responses, mean, satisfied_share)`; `satisfied` (the 4–5 answers) and `score_total` are
    the numerators behind them.
    """

    responses: int
    mean: float | None
    satisfied_share: float | None
    satisfied: int = 0
    score_total: int = 0

    def __iter__(self):
        return iter((self.responses, self.mean, self.satisfied_share))


@dataclass(frozen=True)
class MonthlySatisfaction:
    """One month of satisfaction: `month` is its first day (site time zone)."""

    month: date
    summary: SatisfactionSummary


def site_moment(day: date) -> datetime:
    """The start of `day` in the site's time zone."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def scored_surveys(*, start: date, end: date, group_id: int | None = None,
                   category_id: int | None = None, service_id: int | None = None,
                   priority_level: int | None = None, channel: str | None = None):
    """Surveys with a score whose incident closed in [start, end), narrowed by its fields.

    A category includes its subcategories, as in the queues' category filter.
    """
    qs = Survey.objects.filter(state__in=SCORED_STATES, closed_at__gte=site_moment(start),
                               closed_at__lt=site_moment(end))
    if group_id is not None:
        qs = qs.filter(incident__assignment_group_id=group_id)
    if category_id is not None:
        qs = qs.filter(incident__category_id__in=category_subtree_ids(category_id))
    if service_id is not None:
        qs = qs.filter(incident__service_id=service_id)
    if priority_level is not None:
        qs = qs.filter(incident__priority_id=priority_level)
    if channel:
        qs = qs.filter(incident__source_id=channel)
    return qs


def category_subtree_ids(category_id: int) -> list[int]:
    """The category and every category below it (from memory)."""
    root = lookups.lookup(Category, category_id)
    if root is None:
        return [category_id]
    return [pk for pk, row in lookups.rows_by_pk(Category).items()
            if row.path == root.path or row.path.startswith(root.path + ".")]


def satisfaction_summary(*, start: date, end: date, group_id: int | None = None,
                         category_id: int | None = None, service_id: int | None = None,
                         priority_level: int | None = None,
                         channel: str | None = None) -> SatisfactionSummary:
    """Mean score and 满意率 of the incidents closed in [start, end), in one query."""
    qs = scored_surveys(start=start, end=end, group_id=group_id, category_id=category_id,
                        service_id=service_id, priority_level=priority_level, channel=channel)
    row = qs.aggregate(**_aggregates("", Q()))
    return _summary(row, "")


def satisfaction_monthly(*, start: date, end: date, group_id: int | None = None,
                         category_id: int | None = None, service_id: int | None = None,
                         priority_level: int | None = None,
                         channel: str | None = None) -> list[MonthlySatisfaction]:
    """One summary per calendar month that [start, end) touches, each cut to [start, end).

    Months are cut in the site's time zone in Python and counted with conditional aggregates in
    one query (no database time-zone functions, which MariaDB lacks without its zone tables).
    """
    months = month_starts(start, end)
    qs = scored_surveys(start=start, end=end, group_id=group_id,
                        category_id=category_id, service_id=service_id,
                        priority_level=priority_level, channel=channel)
    aggregates = {}
    for index, first in enumerate(months):
        after = months[index + 1] if index + 1 < len(months) else end
        window = Q(closed_at__gte=site_moment(max(first, start)),
                   closed_at__lt=site_moment(min(after, end)))
        aggregates.update(_aggregates(f"m{index}_", window))
    row = qs.aggregate(**aggregates) if aggregates else {}
    return [MonthlySatisfaction(month=first, summary=_summary(row, f"m{index}_"))
            for index, first in enumerate(months)]


def satisfaction_breakdown(*, start: date, end: date, by: str, group_id: int | None = None,
                           category_id: int | None = None, service_id: int | None = None,
                           priority_level: int | None = None,
                           channel: str | None = None) -> list[tuple]:
    """(key, SatisfactionSummary) per group, category, service, priority or channel (the
    incident's group id, category id, service id, priority level or source code; None when the
    incident has none), most responses first."""
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {', '.join(BREAKDOWNS)}")
    qs = scored_surveys(start=start, end=end, group_id=group_id, category_id=category_id,
                        service_id=service_id, priority_level=priority_level, channel=channel)
    rows = (qs.values(BREAKDOWNS[by]).order_by().annotate(**_aggregates("", Q()))
            .order_by("-responses", BREAKDOWNS[by]))
    return [(row[BREAKDOWNS[by]], _summary(row, "")) for row in rows]


def month_starts(start: date, end: date) -> list[date]:
    """The first days of the months that [start, end) touches (the first may be before start)."""
    months, current = [], start.replace(day=1)
    while current < end:
        months.append(current)
        current = (current.replace(year=current.year + 1, month=1) if current.month == 12
                   else current.replace(month=current.month + 1))
    return months


def _aggregates(prefix: str, window: Q) -> dict:
    return {f"{prefix}responses": Count("id", filter=window),
            f"{prefix}score_total": Sum("score", filter=window),
            f"{prefix}satisfied": Count("id", filter=window & Q(score__in=SATISFIED_SCORES))}


def _summary(row: dict, prefix: str) -> SatisfactionSummary:
    responses = row.get(f"{prefix}responses") or 0
    total = row.get(f"{prefix}score_total") or 0
    satisfied = row.get(f"{prefix}satisfied") or 0
    if not responses:
        return SatisfactionSummary(responses=0, mean=None, satisfied_share=None)
    return SatisfactionSummary(responses=responses, mean=total / responses,
                               satisfied_share=satisfied / responses, satisfied=satisfied,
                               score_total=total)
