"""The process owner's dashboard: the KPIs against their targets, 12-month trends and
breakdowns, for a period and filters (the KPI pages' parameters). Built on the KPI engine
(`opsdesk.measures.kpis`); every bar, point and slice opens the incidents it counts, and every
KPI's name its own page with the formula."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from opsdesk.core.dbrouter import reporting_view
from opsdesk.core.exceptions import InvalidInput, NotFound, NotPermitted
from opsdesk.measures import dashboards, kpis
from opsdesk.measures.definitions import PERCENT
from opsdesk.measures.params import filters_as_params, kpi_filters_from_params
from opsdesk.web import charts

from .measures import KpiFilterForm, kpi_display

# The rates shown against their targets, in the order a manager reads them.
RATES = ("response_on_time", "resolution_on_time", "first_contact_resolution",
         "first_assignment_success", "record_completeness", "reopen_rate",
         "escalation_functional", "escalation_hierarchical", "repeat_rate", "satisfaction_rate")
# The figures shown as cards: times, the score, the volume and the backlog.
CARDS = ("resolution_mean_business", "resolution_median_business", "response_mean_business",
         "satisfaction_mean", "volume", "backlog")
# The trends (12 months) and the breakdowns (the period): (KPI, dimension, chart kind).
TRENDS = ("resolution_on_time", "response_on_time", "satisfaction_rate", "volume")
BREAKDOWNS = (("resolution_on_time", "group"), ("resolution_mean_business", "priority"),
              ("volume", "channel"), ("resolution_on_time", "category"))
MET_COLOURS = {True: charts.TONE_COLOURS["ok"], False: charts.TONE_COLOURS["bad"],
               None: charts.TONE_COLOURS["brand"]}
TOP_ROWS = 10


@login_required
@reporting_view
def process(request):
    """KPIs against targets, trends and breakdowns; 422 with the messages for bad filters."""
    if not dashboards.process_allowed(user=request.user):
        raise Http404
    try:
        filters = kpi_filters_from_params(params=request.GET, user=request.user)
    except (NotPermitted, NotFound):
        raise Http404 from None
    except InvalidInput as error:
        form = KpiFilterForm(request.GET)
        form.is_valid()
        for name, message in error.errors.items():
            form.add_error(name if name in form.fields else None, message)
        return TemplateResponse(request, "web/dashboards/process.html",
                                {"form": form, "nav": "dashboards"}, status=422)
    query = urlencode(filters_as_params(filters))
    definitions = {d.code: d for d in kpis.kpi_definitions()}
    # Every KPI at once: the engine reads the targets once for all, but once per code asked for.
    values = kpis.kpi_values(filters=filters)
    context = {
        "form": KpiFilterForm(initial=filters_as_params(filters)), "filters": filters,
        "last_day": filters.end - timedelta(days=1), "nav": "dashboards",
        "rates": _rates_chart(definitions, values),
        "cards": [_card(definitions[c], values[c], query) for c in CARDS],
        "trends": [_trend_chart(definitions[c], filters) for c in TRENDS],
        "breakdowns": [_breakdown_chart(definitions[c], filters, by) for c, by in BREAKDOWNS],
        "kpis_url": f"{reverse('web:measures')}?{query}",
    }
    return TemplateResponse(request, "web/dashboards/process.html", context)


def _rates_chart(definitions, values) -> dict:
    rows = [(definitions[c], values[c]) for c in RATES]
    return charts.bar_chart(
        title=_("Rates against their targets (green: met, red: missed)"), horizontal=True,
        labels=[_rate_label(d) for d, _v in rows], unit="%", x_title=_("KPI"),
        y_title=_("Rate in the period"),
        series=[{"name": _("Rate"), "values": [_round(v.value) for _d, v in rows],
                 "links": [v.records_url or None for _d, v in rows],
                 "colors": [MET_COLOURS[v.met] for _d, v in rows]}])


def _rate_label(d) -> str:
    if d.target is None:
        return str(d.name)
    sign = "≥" if d.higher_is_better else "≤"
    return _("%(name)s (target %(sign)s %(target)s)") % {
        "name": d.name, "sign": sign, "target": kpi_display(d.target, d.unit)}


def _card(d, value, query) -> dict:
    return {"name": d.name, "value": kpi_display(value.value, d.unit),
            "target": kpi_display(value.target, d.unit) if value.target is not None else "",
            "met": value.met, "records_url": value.records_url,
            "kpi_url": f"{reverse('web:measure', args=[d.code])}?{query}",
            "tone": {True: "ok", False: "bad"}.get(value.met, "neutral")}


def _trend_chart(d, filters) -> dict:
    points = kpis.kpi_trend(code=d.code, filters=filters, months=12)
    labels = [p.month.strftime("%Y-%m") for p in points]
    series = [{"name": d.name, "values": [_round(p.value) for p in points],
               "links": [p.records_url or None for p in points]}]
    title = _("%(name)s, last 12 months") % {"name": d.name}
    unit = "%" if d.unit == PERCENT else ""
    if d.code == "volume":
        return charts.bar_chart(title=title, labels=labels, series=series, x_title=_("Month"),
                                y_title=_("Incidents registered"))
    return charts.line_chart(title=title, labels=labels, series=series, unit=unit,
                             target=d.target, target_label=_("Target"), x_title=_("Month"),
                             y_title=_value_title(d))


def _breakdown_chart(d, filters, by: str) -> dict:
    rows = kpis.kpi_breakdown(code=d.code, filters=filters, by=by)
    if by == "priority":
        rows = sorted(rows, key=lambda r: r.key)
    rows = rows[:TOP_ROWS]
    labels = [charts.priority_label(int(r.key), r.label) if by == "priority" else r.label
              for r in rows]
    links = [r.records_url or None for r in rows]
    title = {"group": _("%(name)s by group"), "priority": _("%(name)s by priority"),
             "channel": _("%(name)s by channel"), "category": _("%(name)s by category (top 10)")
             }[by] % {"name": d.name}
    if by == "channel":
        return charts.pie_chart(title=title, labels=labels, values=[r.count for r in rows],
                                links=links)
    colors = [charts.priority_colour(int(r.key)) for r in rows] if by == "priority" else None
    return charts.bar_chart(
        title=title, labels=labels, horizontal=by != "priority",
        unit="%" if d.unit == PERCENT else (_("h") if d.unit == "hours" else ""),
        x_title={"group": _("Group"), "priority": _("Priority"),
                 "category": _("Category")}[by], y_title=_value_title(d),
        series=[{"name": d.name, "values": [_round(r.value) for r in rows], "links": links,
                 "colors": colors or [MET_COLOURS[_met(d, r.value)] for r in rows]}])


def _value_title(d) -> str:
    """The value axis' title: what is measured, short enough for a phone."""
    return {"%": _("Rate"), "hours": _("Hours"), "score": _("Score (1–5)")}.get(
        d.unit, _("Incidents"))


def _met(d, value) -> bool | None:
    if d.target is None or value is None or d.higher_is_better is None:
        return None
    return value >= d.target if d.higher_is_better else value <= d.target


def _round(value):
    return None if value is None else round(value, 1)
