"""REST API: exports, the monthly service report and scheduled reports.

Exports answer with a file: `?format=csv|xlsx`, or `Accept: text/csv` /
`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` (CSV by default). CSV is
UTF-8 with a BOM; text that a spreadsheet would take for a formula is quoted (CSV) or stored as
text (xlsx). Column headers follow the request's language (Accept-Language).

- `GET /reports/incidents`: the incidents the caller may see, with every list parameter of
  `GET /incidents` and the measures' ones (see incidents/filters.py) and `sort`; at most
  100,000 rows (`X-Opsdesk-Rows-Omitted` says how many were left out).
- `GET /reports/kpis`, `/reports/kpis/{code}/trend`, `/reports/kpis/{code}/breakdown`: the KPI
  tables with the filters of `GET /measures/kpis` (same permissions).
- `GET /reports/analysis`: the process analysis's tables, with the filters of `GET /analysis`.
- `GET /reports/monthly/{YYYY-MM}?format=pdf|html|json&lang=en|zh-hans`: the monthly report.
- `/reports/schedules…`: scheduled reports (process owners and administrators).
"""

from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone, translation
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from opsdesk.core.dbrouter import reporting_view
from opsdesk.core.exceptions import InvalidInput
from opsdesk.incidents.filters import filters_from_query, query_from_params
from opsdesk.measures import kpis
from opsdesk.measures.params import filters_as_params, kpi_filters_from_params
from opsdesk.reporting import document, monthly, schedules
from opsdesk.reporting.analysis_export import analysis_export
from opsdesk.reporting.audit import export_recorded
from opsdesk.reporting.incident_export import incident_export
from opsdesk.reporting.kpi_export import kpi_about, kpi_breakdown_table, kpi_table, kpi_trend_table
from opsdesk.reporting.runs import schedule_send_now
from opsdesk.web.exports import export_format, table_response

from .schemas import ERRORS

router = Router()
FILE = {200: None, **ERRORS}


@router.get("/incidents", response=FILE, summary="Export incidents (CSV or xlsx)")
@reporting_view
def report_incidents_export(request, format: str = "", sort: str = "-registered_at"):
    """The incidents the caller may see that match the list parameters, in the list's order."""
    fmt = export_format(request, given=format)
    filters = filters_from_query(query=query_from_params(request.GET), user=request.auth)
    export = incident_export(user=request.auth, filters=filters, sort=sort)
    query = request.GET.urlencode()
    export_recorded(user=request.auth, what="incidents:api", fmt=fmt, params=query,
                    rows=export.total - export.omitted)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return table_response([export.table], fmt=fmt, omitted=export.omitted,
                          filename=f"opsdesk-incidents-{stamp}")


@router.get("/kpis", response=FILE, summary="Export the KPI table (CSV or xlsx)")
@reporting_view
def report_kpis_export(request, format: str = ""):
    """Every KPI for the period and filters (start, end, group, category, service, priority,
    channel): value, unit, target, met, numerator, denominator, formula, link."""
    fmt = export_format(request, given=format)
    filters = kpi_filters_from_params(params=request.GET, user=request.auth)
    return _kpi_file(request, [kpi_table(filters=filters)], filters, fmt, "kpis")


@router.get("/kpis/{code}/trend", response=FILE, summary="Export a KPI's trend")
@reporting_view
def report_kpi_trend_export(request, code: str, format: str = "", months: int = 12):
    """The KPI month by month, `months` (1-60) calendar months up to the end's month."""
    fmt = export_format(request, given=format)
    filters = kpi_filters_from_params(params=request.GET, user=request.auth)
    table = kpi_trend_table(code=code, filters=filters, months=months)
    return _kpi_file(request, [table], filters, fmt, f"kpi-{code}-trend")


@router.get("/kpis/{code}/breakdown", response=FILE, summary="Export a KPI's breakdowns")
@reporting_view
def report_kpi_breakdown_export(request, code: str, format: str = "", by: str = ""):
    """The KPI per group, category, service, priority or channel (`by`; all five without)."""
    fmt = export_format(request, given=format)
    filters = kpi_filters_from_params(params=request.GET, user=request.auth)
    if by and by not in kpis.BREAKDOWNS:
        raise InvalidInput(errors={"by": ", ".join(kpis.BREAKDOWNS)})
    found = [kpi_breakdown_table(code=code, filters=filters, by=b)
             for b in ([by] if by else kpis.BREAKDOWNS)]
    return _kpi_file(request, found, filters, fmt, f"kpi-{code}-{by or 'breakdowns'}")


@router.get("/analysis", response=FILE, summary="Export the process analysis")
@reporting_view
def report_analysis_export(request, format: str = ""):
    """The process analysis's tables (time per status, group, line and holder; hand-offs;
    ping-pong; paths) for the filters of `GET /analysis` (start, end, priority, group,
    category, service, channel)."""
    fmt = export_format(request, given=format)
    found, period = analysis_export(user=request.auth, params=request.GET)
    export_recorded(user=request.auth, what="api:analysis", fmt=fmt,
                    params=request.GET.urlencode(), rows=sum(len(t.rows) for t in found))
    return table_response(found, fmt=fmt, filename=f"opsdesk-analysis-{period}")


def _kpi_file(request, found, filters, fmt, stem):
    params = filters_as_params(filters)
    export_recorded(user=request.auth, what=f"api:{stem}", fmt=fmt,
                    params=request.GET.urlencode(), rows=sum(len(t.rows) for t in found))
    return table_response(found, fmt=fmt, about=kpi_about(filters=filters, user=request.auth,
                                                          title=str(found[0].title)),
                          filename=f"opsdesk-{stem}-{params['start']}-{params['end']}")


class MonthlyKpiOut(Schema):
    code: str
    name: str
    unit: str
    value: float | None
    target: float | None
    met: bool | None
    previous: float | None = Field(description="The month before")
    numerator: float | None
    denominator: float | None
    records_url: str


class MonthlyOut(Schema):
    month: str
    start: date
    end: date = Field(description="Last day, included")
    generated_at: datetime
    kpis: list[MonthlyKpiOut]
    majors: list[dict]
    satisfaction: dict
    backlog: list[dict]


@router.get("/monthly/{month}", response={200: MonthlyOut, **ERRORS},
            summary="The monthly service report")
@reporting_view
def report_monthly_get(request, month: str, format: str = "json", lang: str = ""):
    """The report of the month (YYYY-MM) as JSON (its numbers), printable HTML or PDF, in
    `lang` (en or zh-hans; default: the request's language)."""
    if format not in ("json", "html", "pdf"):
        raise InvalidInput(errors={"format": "json, html, pdf"})
    language = lang.lower() if lang.lower() in ("en", "zh-hans") else translation.get_language()
    with translation.override(language):
        report = monthly.monthly_report(user=request.auth, month=monthly.month_parse(month))
        export_recorded(user=request.auth, what=f"api:monthly:{month}", fmt=format)
        if format == "pdf":
            response = HttpResponse(document.monthly_pdf(report, by=request.auth),
                                    content_type=document.PDF_CONTENT_TYPE)
            response["Content-Disposition"] = (
                f'attachment; filename="{document.monthly_filename(report, "pdf")}"')
            return response
        if format == "html":
            return HttpResponse(document.monthly_html(report, by=request.auth))
        return _monthly_out(report)


def _monthly_out(report) -> dict:
    return {
        "month": f"{report.month:%Y-%m}", "start": report.month, "end": report.last_day,
        "generated_at": report.generated_at,
        "kpis": [{"code": line.definition.code, "name": str(line.definition.name),
                  "unit": line.definition.unit, "value": line.value.value,
                  "target": line.value.target, "met": line.value.met,
                  "previous": line.previous.value, "numerator": line.value.numerator,
                  "denominator": line.value.denominator,
                  "records_url": line.value.records_url} for line in report.kpis],
        "majors": [{"number": m.number, "short_description": m.short_description,
                    "state": m.state, "declared_at": m.declared_at, "resolved_at": m.resolved_at,
                    "review": m.review} for m in report.majors],
        "satisfaction": {k: v for k, v in report.satisfaction.items()
                         if k in ("responses", "mean", "rate")},
        "backlog": [{"key": r.key, "label": r.label, "count": r.count,
                     "records_url": r.records_url} for r in report.backlog],
    }


# ---- scheduled reports -----------------------------------------------------------------------

class ScheduleIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    kind: str | None = Field(None, description="monthly_report, kpi_table or incident_list")
    frequency: str | None = Field(None, description="monthly, weekly or daily")
    day_of_month: int | None = Field(None, description="1-28 (monthly)")
    weekday: int | None = Field(None, description="0 Monday … 6 Sunday (weekly)")
    hour: int | None = Field(None, description="0-23, site time zone")
    language: str | None = Field(None, description="zh-hans or en")
    format: str | None = Field(None, description="pdf or html (monthly report); xlsx or csv")
    params: str | None = Field(None, description="Filters as a query string")
    recipients: list[str] | None = Field(None, description="Usernames or email addresses")
    is_active: bool | None = None


class RunOut(Schema):
    id: int
    period_key: str
    period_start: date | None
    period_end: date | None
    status: str
    error: str
    filename: str
    size: int
    rows: int | None
    recipients: str
    created_at: datetime
    triggered_by: str | None


class ScheduleOut(Schema):
    id: int
    name: str
    kind: str
    frequency: str
    day_of_month: int
    weekday: int
    hour: int
    language: str
    format: str
    params: str
    recipients: list[str]
    owner: str
    is_active: bool


def _schedule_out(schedule) -> dict:
    return {"id": schedule.pk, "name": schedule.name, "kind": schedule.kind,
            "frequency": schedule.frequency, "day_of_month": schedule.day_of_month,
            "weekday": schedule.weekday, "hour": schedule.hour, "language": schedule.language,
            "format": schedule.format, "params": schedule.params,
            "recipients": schedules.schedule_recipient_lines(schedule),
            "owner": schedule.owner.username, "is_active": schedule.is_active}


def _run_out(run) -> dict:
    return {"id": run.pk, "period_key": run.period_key, "period_start": run.period_start,
            "period_end": run.period_end, "status": run.status, "error": run.error,
            "filename": run.filename, "size": run.size, "rows": run.rows,
            "recipients": run.recipients, "created_at": run.created_at,
            "triggered_by": run.triggered_by.username if run.triggered_by else None}


@router.get("/schedules", response={200: list[ScheduleOut], **ERRORS})
def report_schedules_list(request):
    """Every scheduled report (process owners and administrators)."""
    return [_schedule_out(s) for s in schedules.schedule_list(user=request.auth)]


@router.post("/schedules", response={201: ScheduleOut, **ERRORS})
def report_schedule_create(request, payload: ScheduleIn):
    """Schedule a report; the caller owns it (it shows what the caller may see)."""
    data = payload.dict(exclude_none=True)
    schedule = schedules.schedule_create(by=request.auth, data=data)
    return Status(201, _schedule_out(schedule))


@router.get("/schedules/{schedule_id}", response={200: ScheduleOut, **ERRORS})
def report_schedule_get(request, schedule_id: int):
    return _schedule_out(schedules.schedule_get(user=request.auth, pk=schedule_id))


@router.patch("/schedules/{schedule_id}", response={200: ScheduleOut, **ERRORS})
def report_schedule_update(request, schedule_id: int, payload: ScheduleIn):
    """Change the fields sent; a new timing starts from now."""
    schedule = schedules.schedule_get(user=request.auth, pk=schedule_id)
    schedule = schedules.schedule_update(schedule=schedule, by=request.auth,
                                         data=payload.dict(exclude_none=True))
    return _schedule_out(schedule)


@router.delete("/schedules/{schedule_id}", response={204: None, **ERRORS})
def report_schedule_delete(request, schedule_id: int):
    """Delete the schedule and its history (PATCH is_active=false stops it instead)."""
    schedule = schedules.schedule_get(user=request.auth, pk=schedule_id)
    schedules.schedule_delete(schedule=schedule, by=request.auth)
    return Status(204, None)


@router.get("/schedules/{schedule_id}/runs", response={200: list[RunOut], **ERRORS})
def report_schedule_runs(request, schedule_id: int):
    """What was sent, newest first (the last 50)."""
    schedule = schedules.schedule_get(user=request.auth, pk=schedule_id)
    return [_run_out(r) for r in schedules.schedule_runs(schedule=schedule)]


@router.post("/schedules/{schedule_id}/send", response={200: RunOut, **ERRORS})
def report_schedule_send(request, schedule_id: int):
    """Send the report now; the run says whether it was sent or why not."""
    schedule = schedules.schedule_get(user=request.auth, pk=schedule_id)
    return _run_out(schedule_send_now(schedule=schedule, by=request.auth))
