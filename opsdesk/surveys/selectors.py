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
from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core import lookups
from opsdesk.core.exceptions import NotFound, NotPermitted
from opsdesk.reference.models import Category

from .models import (OPEN_FOLLOW_UP_STATUSES, OPEN_STATES, SATISFIED_SCORES, SCORED_STATES,
                     SCORES, FollowUp, FollowUpStatus, Survey, SurveyAnswer, SurveyState)
from .permissions import may_view_results

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


def scored_surveys(*, start: date, end: date, **narrow):
    """Surveys with a score whose incident closed in [start, end), narrowed by its fields
    (group_id, category_id, service_id, priority_level, channel)."""
    return period_surveys(start=start, end=end, **narrow).filter(state__in=SCORED_STATES)


def period_surveys(*, start: date, end: date, group_id: int | None = None,
                   category_id: int | None = None, service_id: int | None = None,
                   priority_level: int | None = None, channel: str | None = None):
    """Every survey whose incident closed in [start, end), whatever its state, narrowed by the
    incident's fields. A category includes its subcategories, as in the queues' filter."""
    qs = Survey.objects.filter(closed_at__gte=site_moment(start), closed_at__lt=site_moment(end))
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
    row = qs.aggregate(**_aggregates(""))
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
    rows = (qs.values(BREAKDOWNS[by]).order_by().annotate(**_aggregates(""))
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


def _aggregates(prefix: str, window: Q | None = None) -> dict:
    satisfied = Q(score__in=SATISFIED_SCORES)
    return {f"{prefix}responses": Count("id", filter=window),
            f"{prefix}score_total": Sum("score", filter=window),
            f"{prefix}satisfied": Count("id", filter=satisfied if window is None
                                        else window & satisfied)}


def _summary(row: dict, prefix: str) -> SatisfactionSummary:
    responses = row.get(f"{prefix}responses") or 0
    total = row.get(f"{prefix}score_total") or 0
    satisfied = row.get(f"{prefix}satisfied") or 0
    if not responses:
        return SatisfactionSummary(responses=0, mean=None, satisfied_share=None)
    return SatisfactionSummary(responses=responses, mean=total / responses,
                               satisfied_share=satisfied / responses, satisfied=satisfied,
                               score_total=total)


# ---- the results page, the follow-up queue and the portal ------------------------------------

@dataclass(frozen=True)
class ResponseFilters:
    """The results page's and the API's filters: the closure period and the incident's fields,
    plus the answer's own (scores, with a comment, follow-up status)."""

    start: date
    end: date
    group_id: int | None = None
    category_id: int | None = None
    service_id: int | None = None
    priority_level: int | None = None
    channel: str | None = None
    scores: tuple[int, ...] = ()
    with_comment: bool = False
    follow_up: str = ""  # "", "open" (open or in progress), "done", "none"

    def kpi_kwargs(self) -> dict:
        return {"start": self.start, "end": self.end, "group_id": self.group_id,
                "category_id": self.category_id, "service_id": self.service_id,
                "priority_level": self.priority_level, "channel": self.channel}


def survey_response_list(*, user, filters: ResponseFilters, offset: int = 0,
                         limit: int = 50) -> tuple[list[Survey], int]:
    """A page of answers (newest closure first) and their number; the page's question answers
    come in one more query. Process owners and incident managers only."""
    _require_results(user)
    qs = scored_surveys(**filters.kpi_kwargs())
    if filters.scores:
        qs = qs.filter(score__in=filters.scores)
    if filters.with_comment:
        qs = qs.exclude(comment="")
    if filters.follow_up == "none":
        qs = qs.filter(follow_up__isnull=True)
    elif filters.follow_up == "open":
        qs = qs.filter(follow_up__status__in=OPEN_FOLLOW_UP_STATUSES)
    elif filters.follow_up == "done":
        qs = qs.filter(follow_up__status=FollowUpStatus.DONE)
    total = qs.count()
    rows = list(qs.select_related("incident", "requester", "follow_up")
                .prefetch_related(Prefetch("answers", queryset=SurveyAnswer.objects
                                           .select_related("question")))
                .order_by("-closed_at", "-id")[offset:offset + limit])
    return rows, total


def survey_funnel(*, user, filters: ResponseFilters) -> dict:
    """How many surveys of the period were scheduled, invited, answered and expired, the
    response rate, and the count of each score (one query each)."""
    _require_results(user)
    kwargs = filters.kpi_kwargs()
    states = dict(period_surveys(**kwargs).values_list("state").order_by()
                  .annotate(n=Count("id")))
    scores = dict(scored_surveys(**kwargs).values_list("score").order_by()
                  .annotate(n=Count("id")))
    answered = sum(states.get(s, 0) for s in SCORED_STATES)
    asked = answered + states.get(SurveyState.INVITED, 0) + states.get(SurveyState.EXPIRED, 0)
    return {"states": {s: states.get(s, 0) for s in SurveyState.values}, "answered": answered,
            "asked": asked, "response_rate": answered / asked if asked else None,
            "scores": [(s, scores.get(s, 0)) for s in SCORES]}


def follow_up_list(*, user, status: str = "open", offset: int = 0,
                   limit: int = 50) -> tuple[list[FollowUp], int]:
    """The follow-up queue: open ones by due date, or the done ones, newest first."""
    _require_results(user)
    qs = FollowUp.objects.all()
    if status == "done":
        qs = qs.filter(status=FollowUpStatus.DONE).order_by("-done_at", "-id")
    else:
        qs = qs.filter(status__in=OPEN_FOLLOW_UP_STATUSES).order_by("due_at", "id")
    total = qs.count()
    rows = list(qs.select_related("survey", "incident", "survey__requester", "assignee",
                                  "done_by")[offset:offset + limit])
    return rows, total


def follow_up_get(*, user, pk: int) -> FollowUp:
    """One follow-up with its survey and answers (404 for people who may not see results)."""
    if not may_view_results(user):
        raise NotFound()
    follow_up = (FollowUp.objects.select_related("survey", "incident", "survey__requester",
                                                 "assignee", "done_by")
                 .filter(pk=pk).first())
    if follow_up is None:
        raise NotFound()
    return follow_up


def survey_answers(*, survey: Survey) -> list[SurveyAnswer]:
    return list(survey.answers.select_related("question"))


def surveys_awaiting(*, user) -> list[Survey]:
    """The requester's surveys they may answer now (one query), newest closure first."""
    if not (user.is_authenticated and user.is_active):
        return []
    now = timezone.now()
    return list(Survey.objects.filter(requester=user, state__in=OPEN_STATES, expires_at__gt=now)
                .select_related("incident").order_by("-closed_at", "-id")[:20])


def incident_survey(*, incident) -> Survey | None:
    """The incident's survey with its follow-up (one query), or None."""
    return (Survey.objects.select_related("follow_up", "requester")
            .filter(incident_id=incident.pk).first())


def _require_results(user) -> None:
    if not may_view_results(user):
        raise NotPermitted(_("Only process owners and incident managers see survey results."))
