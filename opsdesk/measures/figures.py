"""The KPI engine's reads: sums of the daily rollup, exact medians from the facts, the live
backlog, satisfaction and deflection, and the workspace links behind each number.

kpis.py is the interface; this module does the counting. Every query takes the period's
registration days and the filter's dimensions; a category includes its subcategories.
"""

from datetime import date, datetime, timedelta
from statistics import median as py_median

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q, Sum
from django.db.models.functions import TruncMonth

from opsdesk.core import lookups
from opsdesk.incidents.choices import OPEN_STATUSES
from opsdesk.incidents.models import Incident
from opsdesk.reference.models import Category

from .definitions import (BACKLOG, DEFLECTION, MEAN, MEDIAN, RATE, SATISFACTION, VOLUME,
                          KpiDefinition)
from .links import (dimension_key, dimension_label, dimension_params, records_url,
                    site_moment, urls, with_dimension, with_period)
from .models import ClockState, IncidentFact, KpiDaily

SUM_FIELDS = tuple(f.name for f in KpiDaily._meta.fields
                   if f.name not in ("id", "day", "dimension", "key"))
DIMENSIONS = {"group": "group_id", "category": "category_id", "service": "service_id",
              "priority": "priority_id", "channel": "source_id"}
PORTAL_SOURCE = "03"
HOUR = 3600
# Backlog age buckets: (key, lower bound in hours, upper bound or None).
AGE_BUCKETS = (("lt1d", 0, 24), ("1-3d", 24, 72), ("3-7d", 72, 168), ("7-30d", 168, 720),
               ("ge30d", 720, None))


class Median(Aggregate):
    """PostgreSQL's exact median (the mean of the two middle values for an even count)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


# --- Sums of the rollup ----------------------------------------------------------------------


def _dimension_q(filters, prefix: str = "") -> Q:
    """The filter's dimensions as a condition on a table with the fact's column names."""
    q = Q()
    for column, value in (("group_id", filters.group_id), ("service_id", filters.service_id),
                          ("priority_id", filters.priority_level),
                          ("source_id", filters.channel)):
        if value not in (None, ""):
            q &= Q(**{f"{prefix}{column}": value})
    if filters.category_id is not None:
        q &= Q(**{f"{prefix}category_id__in": category_subtree(filters.category_id)})
    return q


def category_subtree(category_id: int) -> list[int]:
    """The category and every one below it (from memory)."""
    root = lookups.lookup(Category, category_id)
    if root is None:
        return [category_id]
    return [pk for pk, row in lookups.rows_by_pk(Category).items()
            if row.path == root.path or row.path.startswith(root.path + ".")]


def _dimensions(filters) -> dict[str, list[str]]:
    """The filter's dimensions that are set, each with its rollup keys."""
    keys = {"group": filters.group_id, "service": filters.service_id,
            "priority": filters.priority_level, "channel": filters.channel or None}
    found = {name: [str(value)] for name, value in keys.items() if value is not None}
    if filters.category_id is not None:
        found["category"] = [str(pk) for pk in category_subtree(filters.category_id)]
    return found


def _sums_by(filters, start: date, end: date, by: str | None = None) -> dict:
    """{group key: counters} of the period: by None (one row, key None), "month" or a
    dimension. The rollup answers when at most one dimension is filtered and the breakdown is
    by nothing else; otherwise the facts are summed with the same counters (exact either way).
    """
    dims = _dimensions(filters)
    if len(dims) <= 1 and (by in (None, "month") or not dims):
        dimension, keys = next(iter(dims.items()), ("all", [""]))
        if by not in (None, "month"):
            dimension, keys = by, None
        qs = KpiDaily.objects.filter(dimension=dimension, day__gte=start, day__lt=end)
        if keys is not None:
            qs = qs.filter(key__in=keys)
        aggregates, group = {n: Sum(n) for n in SUM_FIELDS}, "key"
    else:
        qs = IncidentFact.objects.filter(_dimension_q(filters), day__gte=start, day__lt=end)
        aggregates, group = FACT_AGGREGATES, DIMENSIONS.get(by)
    if by is None:
        return {None: _zeros(qs.aggregate(**aggregates))}
    group_expression = TruncMonth("day") if by == "month" else F(group)
    rows = qs.annotate(g=group_expression).values("g").order_by().annotate(**aggregates)
    return {(_month(r["g"]) if by == "month" else _key_of(by, r["g"])): _zeros(r)
            for r in rows}


def _zeros(row: dict) -> dict:
    return {name: row.get(name) or 0 for name in SUM_FIELDS}


def _key_of(by: str, key):
    """A rollup key (text) or a fact's column value as the dimension's own key."""
    if key in (None, ""):
        return None
    return key if by == "channel" else int(key)


def _fact_aggregates() -> dict:
    """The rollup's counters computed from the facts themselves (see rollups._count)."""
    decided = (ClockState.MET, ClockState.BREACHED)
    aggregates = {"registered": Count("incident_id")}
    for clock in ("response", "resolution"):
        aggregates[f"{clock}_decided"] = Count(
            "incident_id", filter=Q(**{f"{clock}_state__in": decided}))
        aggregates[f"{clock}_met"] = Count(
            "incident_id", filter=Q(**{f"{clock}_state": ClockState.MET}))
        for basis in ("wall", "business"):
            aggregates[f"{clock}_{basis}_count"] = Count(f"{clock}_{basis}")
            aggregates[f"{clock}_{basis}_sum"] = Sum(f"{clock}_{basis}")
    for name in ("assignments", "hand_backs"):
        aggregates[name] = Sum(name)
    for name in ("resolved", "ever_resolved", "first_contact", "reopened",
                 "escalated_functional", "escalated_hierarchical", "complete", "repeat"):
        aggregates[name] = Count("incident_id", filter=Q(**{name: True}))
    return aggregates


FACT_AGGREGATES = _fact_aggregates()


def daily_sums(filters) -> dict:
    """Every counter summed over the period and dimensions (one query)."""
    return _sums_by(filters, filters.start, filters.end)[None]


def value_of(d: KpiDefinition, filters, sums: dict) -> tuple:
    """(value, numerator, denominator) of a KPI that is not a median."""
    if d.kind == RATE:
        numerator, denominator = (_counter(sums, name) for name in d.fields)
        return (numerator * 100 / denominator if denominator else None, numerator,
                denominator)
    if d.kind == MEAN:
        column = d.fields[0]
        count, total = sums[f"{column}_count"], sums[f"{column}_sum"]
        return (total / count / HOUR if count else None, total / HOUR, count)
    if d.kind == VOLUME:
        return sums["registered"], sums["registered"], None
    if d.kind == BACKLOG:
        count = _open(filters).count()
        return count, count, None
    if d.kind == SATISFACTION:
        return _satisfaction(d, filters)
    if d.kind == DEFLECTION:
        return _deflection(filters)
    raise ValueError(d.kind)


def _counter(sums: dict, name: str) -> int:
    if "-" in name:
        first, second = name.split("-")
        return sums[first] - sums[second]
    return sums[name]


# --- Medians from the facts ------------------------------------------------------------------


def medians(filters, columns: list[str]) -> dict[str, tuple[float | None, int]]:
    """{column: (median in hours, count)} over the period's facts (exact)."""
    result = {}
    facts = IncidentFact.objects.filter(_dimension_q(filters), day__gte=filters.start,
                                        day__lt=filters.end)
    if connection.vendor == "postgresql" and columns:
        row = facts.aggregate(**{f"{c}_median": Median(c) for c in columns},
                              **{f"{c}_count": Count(c) for c in columns})
        return {c: (_hours(row[f"{c}_median"]), row[f"{c}_count"]) for c in columns}
    for column in columns:
        values = list(facts.filter(**{f"{column}__isnull": False})
                      .values_list(column, flat=True))
        result[column] = (_hours(py_median(values)) if values else None, len(values))
    return result


def grouped_medians(filters, column: str, key: str, start: date, end: date) -> dict:
    """{key value: (median in hours, count)}: per month ("month") or per dimension column."""
    facts = IncidentFact.objects.filter(_dimension_q(filters), day__gte=start, day__lt=end,
                                        **{f"{column}__isnull": False})
    group = TruncMonth("day") if key == "month" else F(key)
    if connection.vendor == "postgresql":
        rows = facts.annotate(k=group).values("k").order_by("k").annotate(
            m=Median(column), n=Count(column))
        return {_month(r["k"]) if key == "month" else r["k"]: (_hours(r["m"]), r["n"])
                for r in rows}
    values: dict = {}
    for day_or_key, value in facts.values_list("day" if key == "month" else key, column):
        k = day_or_key.replace(day=1) if key == "month" else day_or_key
        values.setdefault(k, []).append(value)
    return {k: (_hours(py_median(v)), len(v)) for k, v in values.items()}


def _hours(seconds) -> float | None:
    return None if seconds is None else float(seconds) / HOUR


def _month(value) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- Trends and breakdowns -------------------------------------------------------------------


def month_starts(last: date, months: int) -> list[date]:
    """The first days of `months` calendar months ending with the one `last` is in."""
    first, result = last.replace(day=1), []
    for _ in range(months):
        result.insert(0, first)
        first = (first - timedelta(days=1)).replace(day=1)
    return result


def _next_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def trend(d: KpiDefinition, filters, months: int) -> list:
    """The KPI per calendar month (kpis.kpi_trend)."""
    from .kpis import TrendPoint

    firsts = month_starts(filters.end - timedelta(days=1), months)
    start, end = firsts[0], _next_month(firsts[-1])
    periods = {m: with_period(filters, m, _next_month(m)) for m in firsts}
    if d.kind == BACKLOG:
        return []
    if d.kind == MEDIAN:
        found = grouped_medians(filters, d.fields[0], "month", start, end)
        values = {m: found.get(m, (None, 0)) for m in firsts}
        return [TrendPoint(month=m, value=values[m][0], count=values[m][1],
                           records_url=urls(d, periods[m])[0]) for m in firsts]
    if d.kind in (SATISFACTION, DEFLECTION):
        rows = _monthly_other(d, filters, firsts, start, end)
    else:
        by_month = _sums_by(filters, start, end, "month")
        empty = dict.fromkeys(SUM_FIELDS, 0)
        rows = {m: value_of(d, periods[m], by_month.get(m, empty)) for m in firsts}
    return [TrendPoint(month=m, value=rows[m][0], count=int(rows[m][2] or rows[m][1] or 0),
                       records_url=urls(d, periods[m])[0]) for m in firsts]


def _monthly_other(d, filters, firsts, start, end) -> dict:
    if d.kind == DEFLECTION:
        return {m: _deflection(with_period(filters, m, _next_month(m))) for m in firsts}
    from opsdesk.surveys.selectors import satisfaction_monthly

    months = satisfaction_monthly(start=start, end=end, **_survey_kwargs(filters))
    return {row.month: _satisfaction_triple(d, row.summary) for row in months}


def breakdown(d: KpiDefinition, filters, by: str) -> list:
    """The KPI per value of one dimension, the largest count first (kpis.kpi_breakdown)."""
    from .kpis import BreakdownRow

    column = DIMENSIONS[by]
    if d.kind == MEDIAN:
        found = grouped_medians(filters, d.fields[0], column, filters.start, filters.end)
        rows = [(key, value, count) for key, (value, count) in found.items()]
    elif d.kind == BACKLOG:
        source = {"channel": "source_id", "group": "assignment_group_id"}.get(by, column)
        rows = [(r[source], r["n"], r["n"]) for r in _open(filters).values(source)
                .order_by().annotate(n=Count("id"))]
    elif d.kind == SATISFACTION:
        rows = _satisfaction_breakdown(d, filters, by)
    elif d.kind == DEFLECTION:
        return []
    else:
        rows = []
        for key, sums in _sums_by(filters, filters.start, filters.end, by).items():
            value, numerator, denominator = value_of(d, filters, sums)
            rows.append((key, value, denominator if d.kind != VOLUME else numerator))
    result = []
    for key, value, count in rows:
        narrowed = with_dimension(filters, by, key)
        result.append(BreakdownRow(label=dimension_label(by, key), key=dimension_key(by, key),
                                   value=value, count=int(count or 0),
                                   records_url=urls(d, narrowed)[0] if narrowed else ""))
    return sorted(result, key=lambda row: (-row.count, row.label))


def backlog_ages(filters) -> list:
    """Open incidents now per age bucket, youngest first."""
    from django.utils import timezone

    from .kpis import BreakdownRow

    now = timezone.now()
    counts = _open(filters).aggregate(**{key: Count("id", filter=_age_q(low, high, now))
                                         for key, low, high in AGE_BUCKETS})
    labels = age_labels()
    rows = []
    for key, low, high in AGE_BUCKETS:
        params = {"age_min_hours": low} if low else {}
        if high is not None:
            params["age_max_hours"] = high
        rows.append(BreakdownRow(label=labels[key], key=key, value=counts[key],
                                 count=counts[key],
                                 records_url=records_url({**dimension_params(filters),
                                                   "status": "open", **params})))
    return rows


def age_labels() -> dict:
    from django.utils.translation import gettext as _

    return {"lt1d": _("under 1 day"), "1-3d": _("1–3 days"), "3-7d": _("3–7 days"),
            "7-30d": _("7–30 days"), "ge30d": _("30 days or more")}


def _age_q(low: int, high: int | None, now) -> Q:
    q = Q(registered_at__lte=now - timedelta(hours=low)) if low else Q()
    if high is not None:
        q &= Q(registered_at__gt=now - timedelta(hours=high))
    return q


def _open(filters):
    """Open incidents now within the filter's dimensions (the incidents' own columns)."""
    q = Q(status__in=OPEN_STATUSES)
    for column, value in (("assignment_group_id", filters.group_id),
                          ("service_id", filters.service_id),
                          ("priority_id", filters.priority_level),
                          ("source_id", filters.channel)):
        if value not in (None, ""):
            q &= Q(**{column: value})
    if filters.category_id is not None:
        q &= Q(category_id__in=category_subtree(filters.category_id))
    return Incident.objects.filter(q)


# --- Satisfaction and deflection -------------------------------------------------------------


def _survey_kwargs(filters) -> dict:
    return {"group_id": filters.group_id, "category_id": filters.category_id,
            "service_id": filters.service_id, "priority_level": filters.priority_level,
            "channel": filters.channel or None}


def _satisfaction(d, filters) -> tuple:
    from opsdesk.surveys.selectors import satisfaction_summary

    summary = satisfaction_summary(start=filters.start, end=filters.end,
                                   **_survey_kwargs(filters))
    return _satisfaction_triple(d, summary)


def _satisfaction_triple(d, summary) -> tuple:
    if d.code == "satisfaction_mean":
        return summary.mean, summary.score_total, summary.responses
    share = summary.satisfied_share
    return (share * 100 if share is not None else None, summary.satisfied, summary.responses)


def _satisfaction_breakdown(d, filters, by) -> list:
    from opsdesk.surveys.selectors import satisfaction_breakdown

    rows = satisfaction_breakdown(start=filters.start, end=filters.end, by=by,
                                  **_survey_kwargs(filters))
    return [(key, *_satisfaction_triple(d, summary)[::2]) for key, summary in rows]


def _deflection(filters) -> tuple:
    """(rate %, deflections, deflections + portal incidents); not measured with a dimension."""
    from opsdesk.knowledge.models import Deflection

    if filters.has_dimension:
        return None, None, None
    deflections = Deflection.objects.filter(created_at__gte=site_moment(filters.start),
                                            created_at__lt=site_moment(filters.end)).count()
    portal = KpiDaily.objects.filter(
        dimension="channel", key=PORTAL_SOURCE, day__gte=filters.start,
        day__lt=filters.end).aggregate(n=Sum("registered"))["n"] or 0
    total = deflections + portal
    return (deflections * 100 / total if total else None, deflections, total)
