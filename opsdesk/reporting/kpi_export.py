"""The KPI engine's tables as files: every KPI against its target, a KPI's trend, a breakdown.

The filters come from `measures.params.kpi_filters_from_params`, which also decides who may
see which KPIs (a support group's lead only their groups'); every number here is the engine's
own (kpis.kpi_values / kpi_trend / kpi_breakdown), rounded to two decimals, with the link to
the incidents it counts.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.measures import kpis
from opsdesk.measures.params import filters_as_params

from .incident_export import absolute_url
from .tables import About, Table

UNIT_LABELS = {"%": "%", "hours": gettext_lazy("hours"), "count": gettext_lazy("count"),
               "score": gettext_lazy("score (1–5)")}
BREAKDOWN_LABELS = {"group": gettext_lazy("Group"), "category": gettext_lazy("Category"),
                    "service": gettext_lazy("Service"), "priority": gettext_lazy("Priority"),
                    "channel": gettext_lazy("Channel")}
FILTER_LABELS = {"group": gettext_lazy("Group"), "category": gettext_lazy("Category"),
                 "service": gettext_lazy("Service"), "priority": gettext_lazy("Priority"),
                 "channel": gettext_lazy("Channel")}


def rounded(value):
    """Two decimals, as the pages show them; None stays None (nothing to count)."""
    return None if value is None else round(float(value), 2)


def unit_label(unit: str) -> str:
    return str(UNIT_LABELS.get(unit, unit))


def kpi_table(*, filters: kpis.KpiFilters) -> Table:
    """Every KPI for the filters: value, unit, target, met, numerator, denominator, formula."""
    values = kpis.kpi_values(filters=filters)
    rows = []
    for d in kpis.kpi_definitions():
        v = values[d.code]
        rows.append([d.code, str(d.name), rounded(v.value), unit_label(d.unit),
                     rounded(v.target), v.met, rounded(v.numerator), rounded(v.denominator),
                     str(d.formula), absolute_url(v.records_url)])
    return Table(title=_("KPIs"), rows=rows, widths=[24, 34, 10, 10, 10, 8, 12, 12, 80, 50],
                 columns=[_("Code"), _("KPI"), _("Value"), _("Unit"), _("Target"), _("Met"),
                          _("Numerator"), _("Denominator"), _("Formula"),
                          _("Incidents counted")])


def kpi_trend_table(*, code: str, filters: kpis.KpiFilters, months: int = 12) -> Table:
    """One KPI month by month (the `months` calendar months up to the period's end)."""
    definition = kpis.kpi_definition(code=code)
    points = kpis.kpi_trend(code=code, filters=filters, months=months)
    rows = [[p.month.strftime("%Y-%m"), rounded(p.value), unit_label(definition.unit),
             rounded(definition.target), p.count, absolute_url(p.records_url)] for p in points]
    return Table(title=str(definition.name), rows=rows, widths=[10, 10, 10, 10, 10, 50],
                 columns=[_("Month"), _("Value"), _("Unit"), _("Target"), _("Counted"),
                          _("Incidents counted")])


def kpi_breakdown_table(*, code: str, filters: kpis.KpiFilters, by: str) -> Table:
    """One KPI per group, category, service, priority or channel."""
    definition = kpis.kpi_definition(code=code)
    rows = [[r.label, r.key, rounded(r.value), unit_label(definition.unit), r.count,
             absolute_url(r.records_url)]
            for r in kpis.kpi_breakdown(code=code, filters=filters, by=by)]
    return Table(title=f"{definition.name} · {BREAKDOWN_LABELS[by]}", rows=rows,
                 widths=[30, 16, 10, 10, 10, 50],
                 columns=[str(BREAKDOWN_LABELS[by]), _("Code"), _("Value"), _("Unit"),
                          _("Counted"), _("Incidents counted")])


def kpi_about(*, filters: kpis.KpiFilters, user, title: str) -> About:
    """The period, the filters, who exported it and when (the xlsx "About" sheet)."""
    params = filters_as_params(filters)
    lines = [(_("Report"), title),
             (_("Period"), period_text(filters.start, filters.end - timedelta(days=1)))]
    lines += [(str(FILTER_LABELS[name]), params[name]) for name in FILTER_LABELS
              if name in params]
    lines += [(_("Exported by"), user.label if user is not None else "opsdesk"),
              (_("Exported at"), timezone.now())]
    return About(title=_("About"), lines=lines)


def period_text(first, last) -> str:
    """"2026-03-01 – 2026-03-31" (both days included)."""
    return f"{first.isoformat()} – {last.isoformat()}"
