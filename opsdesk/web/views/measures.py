"""KPI pages: /measures/ (every KPI for a period and filters, against its target, with a trend
arrow against the period before) and /measures/<code>/ (definition, formula, 12-month trend,
breakdowns, the target and who changed it). Every number links to the incidents it counts.

Process owners, incident managers and administrators see every KPI; the lead of a support
group sees their own group's; anyone else gets the 403 page. Only process owners and
administrators change targets.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from opsdesk.accounts.models import SupportGroup
from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.core.dbrouter import reporting_view
from opsdesk.core.exceptions import InvalidInput, NotFound, NotPermitted
from opsdesk.measures import kpis
from opsdesk.measures.definitions import BACKLOG, DEFLECTION, PERCENT, SCORE
from opsdesk.measures.params import filters_as_params, kpi_filters_from_params
from opsdesk.measures.selectors import (may_edit_targets, measures_groups, target_history,
                                        target_rows)
from opsdesk.measures.services import target_set
from opsdesk.reference.models import Category, Priority, Source

from .. import charts

BREAKDOWN_TITLES = {"group": _lazy("By group"), "category": _lazy("By category"),
                    "service": _lazy("By service"), "priority": _lazy("By priority"),
                    "channel": _lazy("By channel")}


class KpiFilterForm(forms.Form):
    """The period and dimensions at the top of both pages (the API's parameter names)."""

    start = forms.DateField(label=pgettext_lazy("period", "From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=pgettext_lazy("period", "To (included)"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    group = forms.ChoiceField(label=_lazy("Group"), required=False)
    category = forms.ChoiceField(label=_lazy("Category"), required=False)
    service = forms.ChoiceField(label=_lazy("Service"), required=False)
    priority = forms.ChoiceField(label=_lazy("Priority"), required=False)
    channel = forms.ChoiceField(label=_lazy("Channel"), required=False)

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _("All"))]
        rows = sorted(lookups.rows_by_pk(SupportGroup).values(), key=lambda g: g.code)
        self.fields["group"].choices = ([] if groups is not None else every) + [
            (g.code, f"{g.code} {g.name}") for g in rows
            if g.is_active and (groups is None or g.pk in groups)]
        self.fields["category"].choices = every + [
            (c.path, f"{'— ' * c.path.count('.')}{c.name}") for c in
            sorted(lookups.rows_by_pk(Category).values(), key=lambda c: c.path)]
        self.fields["service"].choices = every + [
            (s.code, f"{s.code} {s.name}") for s in
            sorted(lookups.rows_by_pk(Service).values(), key=lambda s: s.code)]
        self.fields["priority"].choices = every + [
            (str(p.pk), f"P{p.pk} {p.name}") for p in
            sorted(lookups.rows_by_pk(Priority).values(), key=lambda p: p.pk)]
        self.fields["channel"].choices = every + [
            (s.code, f"{s.code} {s.name}") for s in
            sorted(lookups.rows_by_pk(Source).values(), key=lambda s: s.code)]


def _filters(request):
    """(form, filters or None, errors); NotPermitted and NotFound become 403 and 404."""
    try:
        groups = measures_groups(user=request.user)
        if groups == []:
            raise NotPermitted(_("Only process owners, incident managers, administrators and "
                                 "the leads of support groups may see the KPIs."))
        filters = kpi_filters_from_params(params=request.GET, user=request.user)
    except NotPermitted:
        raise PermissionDenied from None
    except NotFound:
        raise Http404 from None
    except InvalidInput as error:
        form = KpiFilterForm(request.GET, groups=groups)
        form.is_valid()
        for name, message in error.errors.items():
            form.add_error(name if name in form.fields else None, message)
        return form, None
    form = KpiFilterForm(initial=filters_as_params(filters), groups=groups)
    return form, filters


@login_required
@reporting_view
def index(request):
    """Every KPI for the period and filters: value, target, met, trend against the period
    before, each number linked to its incidents."""
    form, filters = _filters(request)
    context = {"form": form, "nav": "measures", "rows": []}
    if filters is None:
        return TemplateResponse(request, "web/measures/index.html", context, status=422)
    now = kpis.kpi_values(filters=filters)
    before = kpis.kpi_values(filters=filters.previous())
    query = urlencode(filters_as_params(filters))
    context.update(filters=filters, query=query, rows=[
        _row(d, now[d.code], before[d.code], query) for d in kpis.kpi_definitions()],
        previous=filters.previous())
    return TemplateResponse(request, "web/measures/index.html", context)


def _row(d, value, previous, query) -> dict:
    return {"definition": d, "value": value, "display": kpi_display(value.value, d.unit),
            "target": kpi_display(value.target, d.unit),
            "trend": _trend(d, value.value, previous.value),
            "previous": kpi_display(previous.value, d.unit),
            "url": f"{d.code}/?{query}"}


def _trend(d, now, before) -> dict | None:
    """The arrow against the period before, and whether the change is for the better."""
    if now is None or before is None or d.kind == BACKLOG:
        return None
    if abs(now - before) < 1e-9:
        return {"arrow": "→", "text": _("unchanged"), "tone": "neutral"}
    up = now > before
    better = None if d.higher_is_better is None else up == d.higher_is_better
    tone = "neutral" if better is None else ("ok" if better else "bad")
    text = (_("up, better") if better else _("up, worse")) if up and better is not None else (
        (_("down, better") if better else _("down, worse")) if better is not None else
        (_("up") if up else _("down")))
    return {"arrow": "↑" if up else "↓", "text": text, "tone": tone}


def kpi_display(value, unit: str) -> str:
    """A KPI's value as people read it: 92.5 %, 3.25 h, 1,204, 4.30; — for nothing."""
    if value is None:
        return "—"
    if unit == PERCENT:
        return _("%(value).1f %%") % {"value": value}
    if unit == SCORE:
        return f"{value:.2f}"
    if unit == "hours":
        return _("%(value).2f h") % {"value": value}
    return f"{int(value):,}"


@login_required
@reporting_view
def detail(request, code: str):
    """One KPI: definition and formula, value against target, 12-month trend, breakdowns."""
    form, filters = _filters(request)
    try:
        definition = kpis.kpi_definition(code=code)
    except InvalidInput:
        raise Http404 from None
    context = {"form": form, "nav": "measures", "definition": definition,
               "may_edit": may_edit_targets(user=request.user),
               "target_row": target_rows().get(code), "history": target_history(code=code)}
    if filters is None:
        return TemplateResponse(request, "web/measures/detail.html", context, status=422)
    value = kpis.kpi_values(filters=filters, codes=[code])[code]
    context.update(filters=filters, value=value, query=urlencode(filters_as_params(filters)),
                   display=kpi_display(value.value, definition.unit),
                   target=kpi_display(value.target, definition.unit),
                   trend_chart=_trend_chart(definition, filters),
                   breakdowns=_breakdowns(definition, filters),
                   ages=_ages_chart(filters) if definition.kind == BACKLOG else None)
    return TemplateResponse(request, "web/measures/detail.html", context)


def _trend_chart(d, filters) -> dict | None:
    if d.kind == BACKLOG:
        return None
    points = kpis.kpi_trend(code=d.code, filters=filters, months=12)
    return charts.line_chart(
        title=_("%(name)s, last 12 months") % {"name": d.name},
        labels=[p.month.strftime("%Y-%m") for p in points],
        series=[{"name": d.name, "values": [_round(p.value) for p in points],
                 "links": [p.records_url for p in points]}],
        unit=d.unit, target=d.target, target_label=_("Target"))


def _breakdowns(d, filters) -> list[dict]:
    if d.kind == DEFLECTION:
        return []
    result = []
    for by in kpis.BREAKDOWNS:
        rows = kpis.kpi_breakdown(code=d.code, filters=filters, by=by)[:20]
        result.append(charts.bar_chart(
            title=BREAKDOWN_TITLES[by], labels=[r.label for r in rows], horizontal=True,
            series=[{"name": d.name, "values": [_round(r.value) for r in rows],
                     "links": [r.records_url for r in rows]}], unit=d.unit,
            chart_id=f"kpi-{by}"))
    return result


def _ages_chart(filters) -> dict:
    rows = kpis.kpi_backlog_ages(filters=filters)
    return charts.bar_chart(
        title=_("Open incidents by age"), labels=[r.label for r in rows],
        series=[{"name": _("Open incidents"), "values": [r.count for r in rows],
                 "links": [r.records_url for r in rows], "colors": charts.AGE_COLOURS}],
        chart_id="kpi-ages")


def _round(value):
    return None if value is None else round(value, 2)


@login_required
@require_POST
def target(request, code: str):
    """The process owner sets the KPI's target; the page shows who changed it and when."""
    if not may_edit_targets(user=request.user):
        raise PermissionDenied
    try:
        target_set(code=code, target=request.POST.get("target", ""), by=request.user)
    except InvalidInput as error:
        for message in error.errors.values() or [error.message]:
            messages.error(request, message)
    else:
        messages.success(request, _("The target was saved."))
    page = reverse("web:measure", args=[code])
    back = QueryDict(request.POST.get("query", "")).urlencode()  # the page's own filters
    return redirect(f"{page}?{back}" if back else page)


# The list parameters a KPI's link may carry that the queue's filter form has no field for:
# the queue shows them (and keeps them when the form is applied again).
MORE_FILTERS = {
    "owner": _lazy("Owner"), "requester": _lazy("Requester"),
    "responded_after": _lazy("First response from"),
    "responded_before": _lazy("First response before"),
    "resolved_after": _lazy("Resolved from"), "resolved_before": _lazy("Resolved before"),
    "closed_after": _lazy("Closed from"), "closed_before": _lazy("Closed before"),
    "responded": _lazy("Responded"), "resolved": _lazy("Resolved"),
    "ever_resolved": _lazy("Resolved at least once"),
    "response_breached": _lazy("Response breached"),
    "resolution_breached": _lazy("Resolution breached"),
    "response_sla": _lazy("Response clock"), "resolution_sla": _lazy("Resolution clock"),
    "first_contact": _lazy("Resolved at first contact"), "assigned": _lazy("Assigned"),
    "handed_back": _lazy("Handed back"), "reassigned": _lazy("Reassigned"),
    "escalated": _lazy("Escalated"), "major": _lazy("Major incident"),
    "complete": _lazy("Record complete"), "repeat": _lazy("Repeat incident"),
    "age_min_hours": _lazy("At least this many hours old"),
    "age_max_hours": _lazy("Less than this many hours old"),
}


QUEUE_FORM_FIELDS = frozenset({
    "status", "priority", "group", "assignee", "category", "service", "source", "nature",
    "created_after", "created_before", "updated_after", "updated_before", "stale_hours",
    "reopened", "q"})


def queue_more_filters(params) -> list[tuple[str, str, str]]:
    """(name, label, value) of the request's parameters the queue's form does not show."""
    from opsdesk.incidents.filters import PARAM_NAMES

    return [(name, str(MORE_FILTERS.get(name, name)), value)
            for name in PARAM_NAMES if name not in QUEUE_FORM_FIELDS
            for value in params.getlist(name) if value.strip()]
