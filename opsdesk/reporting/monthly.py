"""The monthly service report (月度服务报告): what a process owner sends to management.

One calendar month (site time zone): every KPI against its target and against the month
before, 12-month trends of the headline KPIs, volume by channel, priority, category and
service, SLA breaches by priority, the month's major incidents with the state of their
post-incident review, satisfaction, and the backlog when the report was made. Every figure is
the KPI engine's own (measures.kpis) for that month, so the report and the KPI pages agree.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput, NotPermitted
from opsdesk.major.models import MajorIncident, MajorState
from opsdesk.measures import kpis
from opsdesk.measures.definitions import BACKLOG, DEFLECTION
from opsdesk.measures.selectors import may_view_measures
from opsdesk.reviews.prefill import duration_text
from opsdesk.surveys.models import SCORES
from opsdesk.surveys.selectors import scored_surveys

from .kpi_export import rounded, unit_label

TREND_CODES = ("resolution_on_time", "response_on_time", "first_contact_resolution",
               "first_assignment_success", "satisfaction_rate", "volume")
TOP = 10
DECLARED_STATES = (MajorState.DECLARED, MajorState.RESOLVED, MajorState.CLOSED)


@dataclass
class KpiLine:
    """One KPI of the month: its value, the month before, and how it compares."""

    definition: kpis.KpiDefinition
    value: kpis.KpiValue
    previous: kpis.KpiValue
    display: str
    target_display: str
    previous_display: str
    change: str  # ↑ ↓ → or ""


@dataclass
class Trend:
    definition: kpis.KpiDefinition
    points: list[kpis.TrendPoint]

    @property
    def labels(self) -> list[str]:
        return [p.month.strftime("%Y-%m") for p in self.points]

    @property
    def values(self) -> list[float | None]:
        return [rounded(p.value) for p in self.points]


@dataclass
class SlaRow:
    """Response and resolution clocks of one priority: decided, met, breached, rate."""

    label: str
    response: tuple[int, int, float | None]  # decided, breached, rate %
    resolution: tuple[int, int, float | None]
    response_breached_url: str = ""
    resolution_breached_url: str = ""


@dataclass
class MajorRow:
    number: str
    short_description: str
    priority: str
    state: str
    declared_at: datetime | None
    resolved_at: datetime | None
    duration: str
    manager: str
    review: str
    url: str


@dataclass
class MonthlyReport:
    """Everything the report shows for one month."""

    month: date
    filters: kpis.KpiFilters
    generated_at: datetime
    kpis: list[KpiLine]
    trends: list[Trend]
    volume: dict[str, list[kpis.BreakdownRow]]
    sla: list[SlaRow]
    sla_total: SlaRow
    majors: list[MajorRow]
    satisfaction: dict
    backlog: list[kpis.BreakdownRow]
    values: dict[str, kpis.KpiValue] = field(default_factory=dict)

    @property
    def last_day(self) -> date:
        return self.filters.end - timedelta(days=1)

    @property
    def met_count(self) -> tuple[int, int]:
        """(KPIs that met their target, KPIs with a target and a value)."""
        judged = [line for line in self.kpis if line.value.met is not None]
        return sum(1 for line in judged if line.value.met), len(judged)

    @property
    def lines(self) -> dict[str, KpiLine]:
        return {line.definition.code: line for line in self.kpis}

    @property
    def backlog_total(self) -> int:
        return sum(row.count for row in self.backlog)


def month_parse(text: str | None, *, today: date | None = None) -> date:
    """"2026-03" → 2026-03-01; empty → the last complete month. InvalidInput otherwise."""
    if not text:
        first = (today or timezone.localdate()).replace(day=1)
        return (first - timedelta(days=1)).replace(day=1)
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise InvalidInput(errors={"month": _("Give the month as YYYY-MM, e.g. 2026-03.")}) \
            from None


def next_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def may_read_monthly(*, user) -> bool:
    """The whole process's report: process owners, incident managers, administrators."""
    return may_view_measures(user=user)


def monthly_report(*, user, month: date) -> MonthlyReport:
    """The report of the calendar month starting on `month`, as `user` may read it."""
    if not may_read_monthly(user=user):
        raise NotPermitted(_("Only process owners, incident managers and administrators read "
                             "the monthly service report."))
    month = month.replace(day=1)
    filters = kpis.KpiFilters(start=month, end=next_month(month))
    before = kpis.KpiFilters(start=(month - timedelta(days=1)).replace(day=1), end=month)
    values = kpis.kpi_values(filters=filters)
    previous = kpis.kpi_values(filters=before)
    definitions = kpis.kpi_definitions()
    by_code = {d.code: d for d in definitions}
    return MonthlyReport(
        month=month, filters=filters, generated_at=timezone.now(), values=values,
        kpis=[_line(d, values[d.code], previous[d.code]) for d in definitions
              if d.kind not in (BACKLOG,)],
        trends=[Trend(by_code[c], kpis.kpi_trend(code=c, filters=filters, months=12))
                for c in TREND_CODES if c in by_code],
        volume={by: kpis.kpi_breakdown(code="volume", filters=filters, by=by)
                for by in ("channel", "priority", "category", "service")},
        sla=_sla_rows(filters), sla_total=_sla_total(values),
        majors=_majors(filters), satisfaction=_satisfaction(filters, values),
        backlog=kpis.kpi_backlog_ages(filters=filters))


def value_text(value, unit: str) -> str:
    """A KPI's value as people read it: 92.5 %, 3.25 h, 1,204, 4.30; — for nothing."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "score":
        return f"{value:.2f}"
    if unit == "hours":
        return _("%(value).2f h") % {"value": value}
    return f"{round(value):,}"


def _line(d, value, previous) -> KpiLine:
    change = ""
    if value.value is not None and previous.value is not None and d.kind != DEFLECTION:
        change = "→" if abs(value.value - previous.value) < 1e-9 else (
            "↑" if value.value > previous.value else "↓")
    return KpiLine(definition=d, value=value, previous=previous,
                   display=value_text(value.value, d.unit),
                   target_display=value_text(value.target, d.unit),
                   previous_display=value_text(previous.value, d.unit), change=change)


def _sla_rows(filters) -> list[SlaRow]:
    """Response and resolution clocks per priority, from the KPI engine's breakdowns."""
    response = {r.key: r for r in kpis.kpi_breakdown(code="response_on_time", filters=filters,
                                                     by="priority")}
    resolution = {r.key: r for r in kpis.kpi_breakdown(code="resolution_on_time",
                                                       filters=filters, by="priority")}
    rows = []
    for key in sorted(set(response) | set(resolution)):
        first = response.get(key) or resolution.get(key)
        rows.append(SlaRow(
            label=first.label, response=_clock(response.get(key)),
            resolution=_clock(resolution.get(key)),
            response_breached_url=_breached_url(response.get(key), "response_sla"),
            resolution_breached_url=_breached_url(resolution.get(key), "resolution_sla")))
    return rows


def _clock(row) -> tuple[int, int, float | None]:
    if row is None or not row.count:
        return 0, 0, None
    met = round((row.value or 0) * row.count / 100)
    return row.count, row.count - met, rounded(row.value)


def _sla_total(values) -> SlaRow:
    def clock(v):
        if not v.denominator:
            return 0, 0, None
        return int(v.denominator), int(v.denominator - v.numerator), rounded(v.value)

    response, resolution = values["response_on_time"], values["resolution_on_time"]
    return SlaRow(label=_("All priorities"), response=clock(response),
                  resolution=clock(resolution),
                  response_breached_url=_with_param(response.records_url, "response_sla",
                                                    "breached"),
                  resolution_breached_url=_with_param(resolution.records_url,
                                                      "resolution_sla", "breached"))


def _breached_url(row, param: str) -> str:
    return _with_param(row.records_url, param, "breached") if row is not None else ""


def _with_param(url: str, name: str, value: str) -> str:
    """The list link with one parameter set (the decided clocks' link → the breached ones)."""
    if not url:
        return ""
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query) if k != name] + [(name, value)]
    return f"{parts.path}?{urlencode(pairs)}"


def _majors(filters) -> list[MajorRow]:
    """Major incidents declared in the month, with their review's state (two queries)."""
    start, end = _moment(filters.start), _moment(filters.end)
    rows = (MajorIncident.objects.filter(state__in=DECLARED_STATES, declared_at__gte=start,
                                         declared_at__lt=end)
            .select_related("incident", "incident__priority", "manager", "incident__review")
            .order_by("declared_at", "id"))
    return [_major_row(m) for m in rows]


def _major_row(major) -> MajorRow:
    incident = major.incident
    review = getattr(incident, "review", None)
    ended = major.resolved_at or incident.resolved_at
    return MajorRow(
        number=incident.number, short_description=incident.short_description,
        priority=incident.priority.name if incident.priority_id else "",
        state=major.get_state_display(), declared_at=major.declared_at, resolved_at=ended,
        duration=duration_text(ended - major.declared_at) if ended and major.declared_at
        else _("ongoing"),
        manager=major.manager.label if major.manager_id else "—",
        review=review.get_status_display() if review is not None else _("No review yet"),
        url=f"/major/{incident.number}/")


def _satisfaction(filters, values) -> dict:
    """The month's scores: responses, mean, 满意率, and how many gave each score."""
    counts = dict(scored_surveys(start=filters.start, end=filters.end).values_list("score")
                  .order_by().annotate(n=Count("id")))
    mean, rate = values["satisfaction_mean"], values["satisfaction_rate"]
    return {"responses": int(rate.denominator or 0), "mean": rounded(mean.value),
            "rate": rounded(rate.value), "mean_display": value_text(mean.value, "score"),
            "rate_display": value_text(rate.value, "%"), "target": rate.target,
            "scores": [(score, counts.get(score, 0)) for score in SCORES],
            "url": rate.records_url}


def _moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()),
                               timezone.get_default_timezone())


def unit_text(unit: str) -> str:
    return unit_label(unit)
