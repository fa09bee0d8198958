"""REST API: the KPIs (issue 8) with their targets, trends and breakdowns.

Process owners, incident managers and administrators see every KPI; the lead of a support
group sees their own group's (`group` defaults to it); anyone else gets a 403. Every route
takes the same filters: `start` and `end` (days in the site's time zone, both included; the 30
days up to today by default), `group` (code), `category` (path, sub-categories included),
`service` (code), `priority` (1-4) and `channel` (the source code, e.g. 01 phone). Every
number carries `records_url`, the workspace list of the incidents it counts. Only process
owners and administrators set targets.
"""

from datetime import date, timedelta

from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from opsdesk.core.dbrouter import reporting_view
from opsdesk.incidents.choices import Channel
from opsdesk.measures import kpis
from opsdesk.measures.params import kpi_filters_from_params
from opsdesk.measures.selectors import target_history, target_rows
from opsdesk.measures.services import target_set

from .schemas import ERRORS

router = Router()


class KpiQuery(Schema):
    start: date | None = Field(None, description="First day (default: 29 days before `end`)")
    end: date | None = Field(None, description="Last day, included (default: today)")
    group: str | None = Field(None, description="Support group code (the current group)")
    category: str | None = Field(None, description="Category path, sub-categories included")
    service: str | None = Field(None, description="Service code")
    priority: str | None = Field(None, description="Priority level 1-4")
    channel: str | None = Field(None, description="Source code (SPEC §2 来源), e.g. 01 phone")


class KpiListQuery(KpiQuery):
    codes: str | None = Field(None, description="Comma-separated KPI codes (default: all)")


class TrendQuery(KpiQuery):
    months: int = Field(12, ge=1, le=60, description="Calendar months up to the end's month")


class BreakdownQuery(KpiQuery):
    by: str = Field(description="group, category, service, priority or channel")


class KpiOut(Schema):
    code: str
    name: str
    description: str
    formula: str
    unit: str = Field(description="%, hours, count or score")
    higher_is_better: bool | None
    value: float | None = Field(description="None when there is nothing to count")
    numerator: float | None
    denominator: float | None
    target: float | None
    met: bool | None
    records_url: str = Field(description="Workspace list of the incidents counted")
    numerator_url: str
    target_changed_by: str | None = None
    target_changed_at: str | None = None


class PeriodOut(Schema):
    start: date
    end: date = Field(description="Last day, included")


class KpiListOut(Schema):
    period: PeriodOut
    kpis: list[KpiOut]


class TrendPointOut(Schema):
    month: date
    value: float | None
    count: int
    records_url: str


class BreakdownRowOut(Schema):
    key: str = Field(description="Group or service code, category path, priority, source code")
    label: str
    value: float | None
    count: int
    records_url: str


class TargetIn(Schema):
    model_config = ConfigDict(extra="forbid")
    target: float | None = Field(description="The target in the KPI's unit; null: no target")


class TargetChangeOut(Schema):
    old_target: float | None
    new_target: float | None
    changed_by: str | None
    changed_at: str
    channel: str


class TargetOut(Schema):
    code: str
    target: float | None
    changed_by: str | None
    changed_at: str
    history: list[TargetChangeOut]


def _filters(request, query: KpiQuery):
    return kpi_filters_from_params(params=query.dict(), user=request.auth)


def _kpi_out(definition, value, row=None) -> dict:
    return {
        "code": definition.code, "name": str(definition.name),
        "description": str(definition.description), "formula": str(definition.formula),
        "unit": definition.unit, "higher_is_better": definition.higher_is_better,
        "value": value.value, "numerator": value.numerator, "denominator": value.denominator,
        "target": value.target, "met": value.met, "records_url": value.records_url,
        "numerator_url": value.numerator_url,
        "target_changed_by": row.changed_by.username if row and row.changed_by else None,
        "target_changed_at": timezone.localtime(row.changed_at).isoformat() if row else None,
    }


@router.get("/kpis", response={200: KpiListOut, **ERRORS})
@reporting_view
def measures_kpi_list(request, query: Query[KpiListQuery]):
    """Every KPI (or those in `codes`) for the period and filters, against its target."""
    filters = _filters(request, query)
    codes = [c.strip() for c in (query.codes or "").split(",") if c.strip()] or None
    values = kpis.kpi_values(filters=filters, codes=codes)
    definitions = {d.code: d for d in kpis.kpi_definitions()}
    rows = target_rows()
    return {"period": {"start": filters.start, "end": filters.end - timedelta(days=1)},
            "kpis": [_kpi_out(definitions[code], value, rows.get(code))
                     for code, value in values.items()]}


@router.get("/kpis/{code}", response={200: KpiOut, **ERRORS})
@reporting_view
def measures_kpi_get(request, code: str, query: Query[KpiQuery]):
    """One KPI: its definition, formula, value and target."""
    filters = _filters(request, query)
    definition = kpis.kpi_definition(code=code)
    value = kpis.kpi_values(filters=filters, codes=[code])[code]
    return _kpi_out(definition, value, target_rows().get(code))


@router.get("/kpis/{code}/trend", response={200: list[TrendPointOut], **ERRORS})
@reporting_view
def measures_kpi_trend(request, code: str, query: Query[TrendQuery]):
    """The KPI per calendar month, up to the month of `end` (the backlog has no trend)."""
    filters = _filters(request, query)
    return [{"month": p.month, "value": p.value, "count": p.count,
             "records_url": p.records_url}
            for p in kpis.kpi_trend(code=code, filters=filters, months=query.months)]


@router.get("/kpis/{code}/breakdown", response={200: list[BreakdownRowOut], **ERRORS})
@reporting_view
def measures_kpi_breakdown(request, code: str, query: Query[BreakdownQuery]):
    """The KPI per group, category, service, priority or channel, the largest count first."""
    filters = _filters(request, query)
    return [{"key": r.key, "label": r.label, "value": r.value, "count": r.count,
             "records_url": r.records_url}
            for r in kpis.kpi_breakdown(code=code, filters=filters, by=query.by)]


@router.put("/targets/{code}", response={200: TargetOut, **ERRORS})
def measures_target_put(request, code: str, payload: TargetIn):
    """Set a KPI's target (process owners and administrators); kept with who and when."""
    row = target_set(code=code, target=payload.target, by=request.auth, channel=Channel.API)
    return _target_out(row)


def _target_out(row) -> dict:
    return {"code": row.code, "target": float(row.target) if row.target is not None else None,
            "changed_by": row.changed_by.username if row.changed_by else None,
            "changed_at": timezone.localtime(row.changed_at).isoformat(),
            "history": [{"old_target": _float(c.old_target), "new_target": _float(c.new_target),
                         "changed_by": c.changed_by.username if c.changed_by else None,
                         "changed_at": timezone.localtime(c.changed_at).isoformat(),
                         "channel": c.channel}
                        for c in target_history(code=row.code)]}


def _float(value):
    return float(value) if value is not None else None
