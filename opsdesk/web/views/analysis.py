"""Process analysis pages: /analysis/ ("where do our P2s lose time?"), the incidents behind any
number, and one incident's timeline. Process owners, incident managers and administrators
only; for anyone else the pages do not exist (404)."""

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy

from opsdesk.accounts.models import SupportGroup
from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.core.dbrouter import reporting_view
from opsdesk.core.exceptions import InvalidInput, NotFound
from opsdesk.measures import analysis as an
from opsdesk.measures.analysis import labels
from opsdesk.reference.models import Category, Priority, Source

from .. import charts

FILTER_FIELDS = ("start", "end", "priority", "group", "category", "service", "channel")


class AnalysisForm(forms.Form):
    """The filters at the top of the page (the codes the API takes)."""

    # A date input takes ISO dates whatever the language (zh-Hans would write 2026/03/01).
    start = forms.DateField(label=pgettext_lazy("period", "From"), required=False,
                            widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    end = forms.DateField(label=pgettext_lazy("period", "To (included)"), required=False,
                          widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    priority = forms.ChoiceField(label=_lazy("Priority"), required=False)
    group = forms.ChoiceField(label=_lazy("Group (held it at some point)"), required=False)
    category = forms.ChoiceField(label=_lazy("Category"), required=False)
    service = forms.ChoiceField(label=_lazy("Service"), required=False)
    channel = forms.ChoiceField(label=_lazy("Channel"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _("All"))]
        self.fields["priority"].choices = every + [
            (str(p.level), _priority_label(p)) for p in _rows(Priority, "level")]
        self.fields["group"].choices = every + [
            (g.code, f"{g.code} {g.name}") for g in _rows(SupportGroup, "code")]
        self.fields["category"].choices = every + [
            (c.path, _category_label(c)) for c in _rows(Category, "path")]
        self.fields["service"].choices = every + [
            (s.code, f"{s.code} {s.name}") for s in _rows(Service, "code")]
        self.fields["channel"].choices = every + [
            (s.code, f"{s.code} {s.name}") for s in _rows(Source, "code")]


@login_required
@reporting_view
def page(request):
    """The analysis for the filters: findings first, then where the time goes, then details."""
    _check(request.user)
    form, filters = _form_and_filters(request)
    context = {"form": form, "nav": "analysis", "filters": filters, "analysis": None}
    if filters is None:
        return TemplateResponse(request, "web/analysis/page.html", context, status=422)
    try:
        result = an.analysis_build(user=request.user, filters=filters)
    except InvalidInput as error:  # too many incidents: the message says what to narrow
        for field, message in error.errors.items():
            form.add_error(field if field in form.fields else None, str(message))
        return TemplateResponse(request, "web/analysis/page.html", context, status=422)
    links = Links(filters)
    context.update(analysis=result, links=links, findings=_findings(result, links),
                   subject=labels.subject(filters.priority_level),
                   tables=_tables(result, links), charts=_charts(result, links),
                   chips=_priority_chips(filters, links),
                   urls={figure: links.records(figure) for figure in
                         ("open", "handoffs", "pingpong")},
                   exports={fmt: links.export(fmt) for fmt in ("csv", "xlsx")})
    return TemplateResponse(request, "web/analysis/page.html", context)


@login_required
@reporting_view
def records(request):
    """The incidents behind one number of the analysis, largest value first."""
    _check(request.user)
    form, filters = _form_and_filters(request)
    figure, key = request.GET.get("figure", ""), request.GET.get("key", "")
    context = {"form": form, "nav": "analysis", "filters": filters, "records": None,
               "figure": figure, "key": key}
    if filters is None:
        return TemplateResponse(request, "web/analysis/records.html", context, status=422)
    try:
        found = an.analysis_records(user=request.user, filters=filters, figure=figure, key=key)
    except InvalidInput as error:
        context["error"] = " ".join(str(m) for m in error.errors.values()) or error.message
        return TemplateResponse(request, "web/analysis/records.html", context, status=422)
    links = Links(filters)
    context.update(records=found, links=links, title=labels.figure_label(figure, key),
                   back=links.page())
    return TemplateResponse(request, "web/analysis/records.html", context)


@login_required
@reporting_view
def incident(request, number: str):
    """One incident's timeline: each spell, who held it, wall and business time, the clock."""
    _check(request.user)
    try:
        flow = an.flow_of(user=request.user, number=number, now=timezone.now())
    except NotFound:
        raise Http404 from None
    spells = [{"spell": s, "holder": labels.holder_label(s.holder) if s.holder else "",
               "group": labels.group_label(s.group), "status": labels.status_label(s.status)}
              for s in flow.spells if s.end > s.start]  # an assignment's instant is no spell
    return TemplateResponse(request, "web/analysis/incident.html", {
        "flow": flow, "spells": spells, "nav": "analysis",
        "status_path": labels.path_label("status", flow.status_path),
        "group_path": labels.path_label("group", flow.group_path),
        "bounces": [f"{a} → {b} → {a}" for a, b in flow.bounces]})


class Links:
    """URLs of the records behind the numbers, for one set of filters."""

    def __init__(self, filters):
        self.filters = filters

    def page(self, **changes) -> str:
        params = {**self.filters.as_params(), **changes}
        return f"{reverse('web:analysis')}?{urlencode({k: v for k, v in params.items() if v})}"

    def records(self, figure: str, key="") -> str:
        params = {**self.filters.as_params(), "figure": figure, "key": str(key)}
        return f"{reverse('web:analysis_records')}?{urlencode(params)}"

    def workspace(self, **extra) -> str:
        """The workspace list of the analysed incidents (Contract 3 parameters)."""
        f = self.filters
        params = {"created_after": f.start.isoformat(), "created_before": f.end.isoformat(),
                  "priority": f.priority_level, "category": f.category_path,
                  "service": f.service_code, "source": f.channel, "handled_by": f.group_code}
        params.update(extra)
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return f"{reverse('web:queue', args=['all'])}?{query}"

    def export(self, fmt: str) -> str:
        """The same analysis as a spreadsheet (the reports app's export)."""
        url = reverse("web:export_analysis", kwargs={"fmt": fmt})
        return f"{url}?{urlencode(self.filters.as_params())}"

    @staticmethod
    def incident(number: str) -> str:
        return reverse("web:analysis_incident", args=[number])


def _check(user) -> None:
    if not an.may_analyse(user=user):
        raise Http404


def _priority_chips(filters, links: Links) -> list[dict]:
    """All, P1 … P4: the same analysis for one priority in one click."""
    chips = [{"label": _("All"), "url": links.page(priority=""),
              "current": filters.priority_level is None}]
    for p in _rows(Priority, "level"):
        chips.append({"label": f"P{p.level}", "url": links.page(priority=p.level),
                      "current": filters.priority_level == p.level})
    return chips


def _form_and_filters(request):
    """The bound form and the filters, or None with the errors on the form's fields."""
    data = {name: request.GET.get(name, "") for name in FILTER_FIELDS}
    form = AnalysisForm(data)
    if not form.is_valid():
        return form, None
    try:
        filters = an.analysis_filters(**{k: form.cleaned_data.get(k) for k in FILTER_FIELDS})
    except InvalidInput as error:
        for field, message in error.errors.items():
            form.add_error(field if field in form.fields else None, str(message))
        return form, None
    form = AnalysisForm({**data, "start": filters.first_day, "end": filters.last_day})
    form.is_valid()
    return form, filters


def _findings(result, links: Links) -> list:
    """Each finding's sentence with its number as a link to the incidents behind it."""
    sentences = []
    for finding in an.findings(result):
        number = format_html('<a href="{}">{}</a>', links.records(finding.figure, finding.key),
                             finding.number)
        params = {k: escape(v) for k, v in finding.params.items()}
        sentences.append(mark_safe(escape(finding.template) % {**params, "number": number}))
    return sentences


def _tables(result, links: Links) -> dict:
    """Rows of the detail tables, with their labels and links."""
    def time_rows(rows, figure, label):
        return [{"row": row, "label": label(row.key), "url": links.records(figure, row.key),
                 "share": labels.percent_text(row.share) if row.share is not None else "—"}
                for row in rows]

    return {
        "holders": time_rows(result.holders, "holder",
                             lambda k: labels.holder_label(labels.holder_from_key(k))),
        "lines": time_rows(result.lines, "line", labels.line_label),
        "groups": [{**item, "line": an.line_of(item["row"].key),
                    "workspace": links.workspace(handled_by=item["row"].key)
                    if item["row"].key != an.NO_GROUP else ""}
                   for item in time_rows(result.groups, "group", labels.group_label)],
        "statuses": time_rows(result.statuses, "status", labels.status_label),
        "handoffs": [{"bucket": bucket, "count": n, "share": labels.percent_text(pct),
                      "url": links.records("handoffs", bucket)}
                     for bucket, n, pct in result.handoff_buckets],
        "pairs": [{"pair": pair, "url": links.records("pingpong", pair.key)}
                  for pair in result.pingpong_pairs],
        "pingpong": [{"flow": flow, "path": labels.path_label("group", flow.group_path),
                      "url": links.incident(flow.number)} for flow in result.pingpong_list],
        "status_paths": _paths(result.status_paths, "status", links),
        "slow_status_paths": _paths(result.slow_status_paths, "status", links, done=True),
        "group_paths": _paths(result.group_paths, "group", links),
        "slow_group_paths": _paths(result.slow_group_paths, "group", links, done=True),
    }


def _paths(rows, kind: str, links: Links, done: bool = False) -> list:
    figure = f"{kind}_path_done" if done else f"{kind}_path"
    return [{"row": row, "label": labels.path_label(kind, row.steps),
             "share": labels.percent_text(row.share),
             "url": links.records(figure, row.key)} for row in rows]


def _charts(result, links: Links) -> dict:
    hours = _("h")
    holders = result.holders
    return {
        "holders": charts.bar_chart(
            title=_("Where the time to resolution goes (business hours)"), horizontal=True,
            labels=[labels.holder_label(labels.holder_from_key(r.key)) for r in holders],
            series=[{"name": _("Business hours"),
                     "values": [round(r.business.total / 3600, 1) for r in holders],
                     "links": [links.records("holder", r.key) for r in holders]}],
            unit=hours, chart_id="analysis-holders"),
        "handoffs": charts.bar_chart(
            title=_("Hand-offs per incident"), x_title=_("Hand-offs"),
            labels=[bucket for bucket, _n, _pct in result.handoff_buckets],
            series=[{"name": _("Incidents"),
                     "values": [n for _bucket, n, _pct in result.handoff_buckets],
                     "links": [links.records("handoffs", b) for b, _n, _p in
                               result.handoff_buckets]}],
            chart_id="analysis-handoffs"),
        "status_flow": _sankey(result.status_flow, "status", links,
                               _("How incidents move through the statuses")),
        "group_flow": _sankey(result.group_flow, "group", links,
                              _("How incidents move between groups")),
    }


def _sankey(flow_links, kind: str, links: Links, title: str) -> dict:
    """Nodes are (step, status or group), so a path that comes back draws no loop."""
    label = labels.status_label if kind == "status" else labels.group_short
    nodes: dict[tuple, int] = {}

    def node(step, key):
        return nodes.setdefault((step, str(key)), len(nodes))

    drawn = []
    for link in flow_links:
        source, target = node(link.step, link.source), node(link.step + 1, link.target)
        drawn.append({
            "source": source, "target": target, "value": link.business.count,
            "label": _("mean %(time)s in %(step)s") % {
                "time": labels.duration_text(link.business.mean), "step": label(link.source)},
            "url": links.records(f"{kind}_flow", link.key)})
    names = [f"{step + 1}. {label(key)}" for (step, key) in sorted(nodes, key=nodes.get)]
    return charts.sankey_chart(title=title, nodes=names, links=drawn,
                               chart_id=f"analysis-{kind}-flow")


def _rows(model, order: str) -> list:
    return sorted((row for row in lookups.rows_by_pk(model).values()
                   if getattr(row, "is_active", True)), key=lambda row: getattr(row, order))


def _priority_label(priority) -> str:
    """P2 二级, P2 High: the level first, once."""
    name = priority.name
    return name if name.startswith(f"P{priority.level}") else f"P{priority.level} {name}"


def _category_label(category) -> str:
    names, node = [], category
    while node is not None:
        names.append(node.name)
        node = node.parent if node.parent_id else None
    return " / ".join(reversed(names))
