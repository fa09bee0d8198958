"""Reports: exports of lists and KPI tables (CSV, xlsx), the monthly service report (printable
HTML, PDF) and the scheduled reports kept by process owners.

- /reports/: the monthly report's month and language, the KPI table export, the schedules.
- /reports/export/incidents.<csv|xlsx>?queue=<slug>&<the queue's filters and sort>: the
  workspace list as the person sees it (the queue page's Export links).
- /reports/export/kpis.<fmt>?<KPI filters>, /reports/export/kpis/<code>/trend.<fmt>?months=12,
  /reports/export/kpis/<code>/breakdown.<fmt>?by=group (every breakdown without `by`): the KPI
  pages' tables, with the KPI pages' permissions (a group's lead: their groups only).
- /reports/export/analysis.<fmt>?<the analysis page's filters>: the process analysis's tables.
- /reports/monthly/<YYYY-MM>/ (printable) and /reports/monthly/<YYYY-MM>.pdf, ?lang=en|zh-hans.
- /reports/schedules/…: list, new, edit with history, send now, delete.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from opsdesk.accounts.models import SupportGroup
from opsdesk.core.dbrouter import reporting_view
from opsdesk.core.exceptions import InvalidInput, NotFound, NotPermitted
from opsdesk.incidents.choices import STATUS_BY_KEY, Status
from opsdesk.incidents.filters import PARAM_NAMES, STATUS_GROUPS
from opsdesk.measures import kpis
from opsdesk.measures.params import filters_as_params, kpi_filters_from_params
from opsdesk.measures.selectors import measures_groups
from opsdesk.reporting import document, monthly, schedules
from opsdesk.reporting.analysis_export import analysis_export
from opsdesk.reporting.audit import export_recorded
from opsdesk.reporting.incident_export import incident_export
from opsdesk.reporting.kpi_export import kpi_about, kpi_breakdown_table, kpi_table, kpi_trend_table
from opsdesk.reporting.models import Frequency, ReportFormat, ReportKind, Weekday
from opsdesk.reporting.runs import schedule_send_now
from opsdesk.reporting.tables import About

from .. import services as web
from ..exports import table_response

LANGUAGES = ("zh-hans", "en")


# ---- the index -------------------------------------------------------------------------------

@login_required
def index(request):
    """The monthly report's month, the KPI table export and (process owners) the schedules."""
    may_monthly = monthly.may_read_monthly(user=request.user)
    may_schedule = schedules.may_keep_schedules(user=request.user)
    groups = measures_groups(user=request.user)
    if not (may_monthly or may_schedule or groups):
        raise PermissionDenied
    try:
        month = monthly.month_parse(request.GET.get("month"))
    except InvalidInput:
        month = monthly.month_parse("")
    months = [monthly.month_parse("")]
    while len(months) < 24:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return TemplateResponse(request, "web/reports/index.html", {
        "nav": "reports", "may_monthly": may_monthly, "may_schedule": may_schedule,
        "may_kpis": groups != [], "month": f"{month:%Y-%m}",
        "months": [(f"{m:%Y-%m}", document.month_name(m)) for m in months],
        "language": "en" if (translation.get_language() or "").startswith("en") else "zh-hans",
        "schedules": schedules.schedule_list(user=request.user) if may_schedule else []})


# ---- exports ---------------------------------------------------------------------------------

@login_required
@reporting_view
def export_incidents(request, fmt: str):
    """A workspace queue with its filters and sort, as the person sees it."""
    available = web.queues_for(request.user)
    if not available:
        raise PermissionDenied
    slug = request.GET.get("queue") or available[0].slug
    queue = next((q for q in available if q.slug == slug), None)
    if queue is None:
        raise Http404
    try:
        filters, sort = web.queue_filters(user=request.user, queue=queue, params=request.GET)
        export = incident_export(user=request.user, filters=filters, sort=sort,
                                 title=str(queue.label))
    except InvalidInput as error:
        return _refused(request, error)
    query = web.query_normalize(request.GET)
    export_recorded(user=request.user, what=f"incidents:{queue.slug}", fmt=fmt, params=query,
                    rows=export.total - export.omitted)
    about = About(title=_("About"), lines=[
        (_("List"), str(queue.label)), (_("Filters"), query or "—"),
        (_("Incidents"), export.total), (_("Exported by"), request.user.label),
        (_("Exported at"), timezone.now())])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return table_response([export.table], fmt=fmt, about=about, omitted=export.omitted,
                          filename=f"opsdesk-{queue.slug}-{stamp}")


def _kpi_filters(request):
    """The KPI pages' filters for this person: 403 for no KPI at all, 404 for a group they do
    not lead; InvalidInput is the caller's."""
    try:
        return kpi_filters_from_params(params=request.GET, user=request.user)
    except NotPermitted:
        raise PermissionDenied from None
    except NotFound:
        raise Http404 from None


@login_required
@reporting_view
def export_kpis(request, fmt: str):
    """Every KPI for the period and filters: value, target, met, counts, formula, link."""
    try:
        filters = _kpi_filters(request)
        table = kpi_table(filters=filters)
    except InvalidInput as error:
        return _refused(request, error)
    return _kpi_response(request, [table], filters, fmt, _("KPIs"), "kpis")


@login_required
@reporting_view
def export_kpi_trend(request, code: str, fmt: str):
    """One KPI month by month (`months`, 12 by default)."""
    try:
        filters = _kpi_filters(request)
        months = _months(request.GET.get("months"))
        table = kpi_trend_table(code=code, filters=filters, months=months)
    except InvalidInput as error:
        return _refused(request, error)
    return _kpi_response(request, [table], filters, fmt, table.title, f"kpi-{code}-trend")


@login_required
@reporting_view
def export_kpi_breakdown(request, code: str, fmt: str):
    """One KPI per group, category, service, priority or channel (`by`; all without it)."""
    by = request.GET.get("by") or ""
    try:
        filters = _kpi_filters(request)
        if by and by not in kpis.BREAKDOWNS:
            raise InvalidInput(errors={"by": _("Break down by one of: %(choices)s.") % {
                "choices": ", ".join(kpis.BREAKDOWNS)}})
        found = [kpi_breakdown_table(code=code, filters=filters, by=b)
                 for b in ([by] if by else kpis.BREAKDOWNS)]
    except InvalidInput as error:
        return _refused(request, error)
    return _kpi_response(request, found, filters, fmt, found[0].title,
                         f"kpi-{code}-{by or 'breakdowns'}")


@login_required
@reporting_view
def export_analysis(request, fmt: str):
    """The process analysis page's tables for its filters (one sheet each)."""
    try:
        found, period = analysis_export(user=request.user, params=request.GET)
    except NotFound:
        raise Http404 from None
    except InvalidInput as error:
        return _refused(request, error)
    export_recorded(user=request.user, what="analysis", fmt=fmt,
                    params=request.GET.urlencode(), rows=sum(len(t.rows) for t in found))
    return table_response(found, fmt=fmt, filename=f"opsdesk-analysis-{period}")


def _months(raw) -> int:
    if not raw:
        return 12
    if not str(raw).isdigit() or not 1 <= int(raw) <= 60:
        raise InvalidInput(errors={"months": _("Give between 1 and 60 months.")})
    return int(raw)


def _kpi_response(request, found, filters, fmt, title, stem):
    params = filters_as_params(filters)
    export_recorded(user=request.user, what=stem, fmt=fmt,
                    params="&".join(f"{k}={v}" for k, v in params.items()),
                    rows=sum(len(t.rows) for t in found))
    return table_response(found, fmt=fmt, about=kpi_about(filters=filters, user=request.user,
                                                          title=str(title)),
                          filename=f"opsdesk-{stem}-{params['start']}-{params['end']}")


def _refused(request, error: InvalidInput):
    """A download that cannot be made: the page says why (422), nothing is downloaded."""
    problems = [f"{k}: {v}" if k else str(v) for k, v in error.errors.items()] or [
        str(error.message)]
    return TemplateResponse(request, "web/reports/refused.html",
                            {"nav": "reports", "problems": problems}, status=422)


# ---- the monthly service report --------------------------------------------------------------

def _monthly_report(request, month: str):
    """The report in the asked language (?lang=), or 403 for someone who may not read it."""
    try:
        first = monthly.month_parse(month)
        return monthly.monthly_report(user=request.user, month=first)
    except NotPermitted:
        raise PermissionDenied from None
    except InvalidInput:
        raise Http404 from None


def _language(request) -> str:
    asked = (request.GET.get("lang") or "").lower()
    return asked if asked in LANGUAGES else translation.get_language()


@login_required
@reporting_view
def monthly_print(request, month: str):
    """The printable report (print it with the browser), with links to the PDF."""
    with translation.override(_language(request)):
        report = _monthly_report(request, month)
        html = document.monthly_html(report, screen=True, by=request.user)
    export_recorded(user=request.user, what=f"monthly:{month}", fmt="html")
    return HttpResponse(html)


@login_required
@reporting_view
def monthly_pdf(request, month: str):
    """The report as a PDF file."""
    with translation.override(_language(request)):
        report = _monthly_report(request, month)
        pdf = document.monthly_pdf(report, by=request.user)
    export_recorded(user=request.user, what=f"monthly:{month}", fmt="pdf")
    response = HttpResponse(pdf, content_type=document.PDF_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="{document.monthly_filename(report, "pdf")}"')
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---- scheduled reports -----------------------------------------------------------------------

class ScheduleForm(forms.Form):
    """A schedule as the process owner fills it in; the service checks it whole."""

    name = forms.CharField(label=_lazy("Name"), max_length=120)
    kind = forms.ChoiceField(label=_lazy("Report"), choices=ReportKind.choices)
    format = forms.ChoiceField(label=_lazy("Format"), choices=ReportFormat.choices)
    frequency = forms.ChoiceField(label=_lazy("Frequency"), choices=Frequency.choices)
    day_of_month = forms.IntegerField(label=_lazy("Day of the month (1–28)"), min_value=1,
                                      max_value=28, initial=1)
    weekday = forms.TypedChoiceField(label=_lazy("Weekday"), choices=Weekday.choices,
                                     coerce=int, initial=0)
    hour = forms.IntegerField(label=_lazy("Hour (0–23, site time)"), min_value=0, max_value=23,
                              initial=8)
    language = forms.ChoiceField(label=_lazy("Language"),
                                 choices=[("zh-hans", "简体中文"), ("en", "English")])
    recipients = forms.CharField(
        label=_lazy("Recipients"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_lazy("Usernames or email addresses, one per line."))
    params = forms.CharField(label=_lazy("Filters"), required=False, max_length=1000,
                             help_text=_lazy("KPI table: group=…&service=…; incident list: the "
                                             "list's parameters, e.g. status=open&priority=1."))
    is_active = forms.BooleanField(label=_lazy("Active"), required=False, initial=True)


def _schedules_allowed(request) -> None:
    if not schedules.may_keep_schedules(user=request.user):
        raise PermissionDenied


def _apply_errors(form, error: InvalidInput) -> None:
    for name, message in error.errors.items():
        form.add_error(name if name in form.fields else None, message)
    if not error.errors:
        form.add_error(None, str(error.message))


@login_required
def schedule_list(request):
    _schedules_allowed(request)
    return redirect("web:reports")


@login_required
def schedule_new(request):
    """A new schedule; from the queue or KPI pages it arrives with its report and filters."""
    _schedules_allowed(request)
    form = ScheduleForm(request.POST or None, initial=_initial(request))
    if request.method == "POST" and form.is_valid():
        try:
            schedule = schedules.schedule_create(by=request.user, data=form.cleaned_data)
        except InvalidInput as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The scheduled report “%(name)s” was saved.") % {
                "name": schedule.name})
            return redirect("web:report_schedule", pk=schedule.pk)
    return TemplateResponse(request, "web/reports/schedule.html",
                            {"nav": "reports", "form": form, "schedule": None},
                            status=422 if form.errors else 200)


def _initial(request) -> dict:
    kind = request.GET.get("kind") or ReportKind.MONTHLY
    initial = {"kind": kind, "language": translation.get_language(),
               "recipients": request.user.username if request.user.email else "",
               "format": ReportFormat.PDF if kind == ReportKind.MONTHLY else ReportFormat.XLSX}
    if kind == ReportKind.INCIDENTS:
        initial["params"] = list_params_of_queue(request.user, request.GET)
        initial["frequency"] = Frequency.WEEKLY
    elif kind == ReportKind.KPIS:
        initial["params"] = QueryDict(mutable=True)
        for name in schedules.KPI_PARAMS:
            if request.GET.get(name):
                initial["params"][name] = request.GET[name]
        initial["params"] = initial["params"].urlencode()
    return initial


# The fixed filters of each workspace queue, as list parameters (web/services.py QUEUE_FILTERS).
QUEUE_PARAMS = {
    "unassigned": {"status": ["open"], "assignee": ["none"]},
    "owned": {"status": ["active"], "owner": ["me"]},
    "to-confirm": {"status": ["resolved"], "owner": ["me"]},
    "pending": {"status": ["pending"]},
    "open": {"status": ["open"]},
    "group": {"status": ["active"], "group": ["<mine>"]},
    "assigned": {"status": ["active"], "assignee": ["me"]},
    "all": {},
    "group-all": {"group": ["<mine>"]},
}


def list_params_of_queue(user, params) -> str:
    """A queue with its filters as the list parameters that select the same incidents for
    the schedule's owner ("me" is the owner; "my groups" are the owner's groups today)."""
    result = QueryDict(mutable=True)
    base = QUEUE_PARAMS.get(params.get("queue") or "all", {})
    mine = sorted(g.code for g in SupportGroup.objects.filter(pk__in=user.support_group_ids))
    for name in (*PARAM_NAMES, "sort"):
        given = [v.strip() for v in params.getlist(name) if v.strip()]
        fixed = [code for v in base.get(name, []) for code in (mine if v == "<mine>" else [v])]
        values = given or fixed
        if name == "status" and given and fixed:
            allowed = _status_set(fixed)
            # Both the queue and the filter name statuses: those in both (none in common: the
            # filter's own, as a list parameter cannot say "nothing").
            values = [s.key for s in Status if s in allowed and s in _status_set(given)] or given
        for value in values:
            result.appendlist(name, value)
    return result.urlencode()


def _status_set(keys) -> set:
    found = set()
    for key in keys:
        found |= set(STATUS_GROUPS.get(key, ())) | ({STATUS_BY_KEY[key]} if key in STATUS_BY_KEY
                                                  else set())
    return found


@login_required
def schedule_detail(request, pk: int):
    """A schedule: change it, send it now, see what was sent."""
    try:
        schedule = schedules.schedule_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    initial = {name: getattr(schedule, name) for name in schedules.FIELDS}
    initial["recipients"] = "\n".join(schedules.schedule_recipient_lines(schedule))
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            schedules.schedule_update(schedule=schedule, by=request.user,
                                      data=form.cleaned_data)
        except InvalidInput as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The scheduled report was saved."))
            return redirect("web:report_schedule", pk=schedule.pk)
    return TemplateResponse(request, "web/reports/schedule.html", {
        "nav": "reports", "form": form, "schedule": schedule,
        "runs": schedules.schedule_runs(schedule=schedule)},
        status=422 if form.errors else 200)


@login_required
@require_POST
def schedule_send(request, pk: int):
    """Send the report now (recorded as sent by hand)."""
    try:
        schedule = schedules.schedule_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    run = schedule_send_now(schedule=schedule, by=request.user)
    if run is not None and run.status == "sent":
        messages.success(request, _("Sent to %(recipients)s.") % {"recipients": run.recipients})
    else:
        messages.error(request, _("The report was not sent: %(reason)s") % {
            "reason": run.error if run is not None else "—"})
    return redirect("web:report_schedule", pk=schedule.pk)


@login_required
@require_POST
def schedule_delete(request, pk: int):
    """Delete the schedule and its history."""
    try:
        schedule = schedules.schedule_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    name = schedule.name
    schedules.schedule_delete(schedule=schedule, by=request.user)
    messages.success(request, _("The scheduled report “%(name)s” was deleted.") % {"name": name})
    return redirect("web:reports")

