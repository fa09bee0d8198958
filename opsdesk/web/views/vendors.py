"""Vendor pages: the list, a vendor's page, the performance report (with CSV), and the incident
page's "contact vendor" and "record response / resolution" forms. Support staff only; plain
users get the 404 page, as for anything they may not see."""

import csv
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from opsdesk.core import lookups
from opsdesk.core.exceptions import NotFound, NotPermitted
from opsdesk.incidents.choices import Channel
from opsdesk.sla.selectors import calendar_snapshot
from opsdesk.sla.targets import target_text
from opsdesk.vendors import selectors, services
from opsdesk.vendors.models import EngagementChannel, Vendor, VendorContact, VendorContract

from ..forms import DATETIME_LOCAL
from .incidents import _incident_or_404, _page, _submit

RECORD_KINDS = ("respond", "resolve")


# ---- forms -----------------------------------------------------------------------------------

def _moment_field(label, **kwargs):
    return forms.DateTimeField(label=label, required=False, widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format=DATETIME_LOCAL), **kwargs)


class ContactVendorForm(forms.Form):
    """Contact vendor: who, how, their ticket number, and optionally pend on the vendor.

    Built for the incident page's panel in one query (the contacts); vendors come from the
    in-process lookups. The contract is the one covering the incident (the API can name one).
    """

    vendor = forms.TypedChoiceField(label=_lazy("Vendor"), coerce=int)
    contacted_via = forms.ChoiceField(label=_lazy("Contacted through"),
                                      choices=EngagementChannel.choices)
    reference = forms.CharField(label=_lazy("Vendor's ticket number"), max_length=100,
                                required=False)
    contact = forms.TypedChoiceField(label=_lazy("Contact"), coerce=int, required=False,
                                     empty_value=None)
    contacted_at = _moment_field(_lazy("Contacted at"), help_text=_lazy("Empty: now."))
    notes = forms.CharField(label=_lazy("Notes"), required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 2}))
    pend = forms.BooleanField(label=_lazy("Pend the incident, awaiting the vendor"),
                              required=False,
                              help_text=_lazy("Pauses our resolution clock where the SLA says so."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="vendor", **kwargs)
        vendors = sorted((v for v in lookups.rows_by_pk(Vendor).values() if v.is_active),
                         key=lambda v: v.name)
        self.fields["vendor"].choices = [("", _("Choose the vendor"))] + [(v.pk, v.name) for v in vendors]
        contacts = VendorContact.objects.filter(is_active=True, vendor__is_active=True
                                                ).select_related("vendor")
        self.fields["contact"].choices = [("", _("Not recorded"))] + [
            (c.pk, f"{c.vendor.name}: {c}") for c in contacts]

    def clean_vendor(self):
        return lookups.lookup(Vendor, self.cleaned_data["vendor"])

    def clean_contact(self):
        pk = self.cleaned_data.get("contact")
        return None if pk is None else VendorContact.objects.filter(pk=pk).first()

    def data_for_service(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items()
                if k not in ("vendor", "pend", "contacted_at")}
        if self.cleaned_data.get("contacted_at") is not None:
            data["contacted_at"] = self.cleaned_data["contacted_at"]
        return data


class RecordForm(forms.Form):
    """The vendor responded, or says it is fixed: when (default now)."""

    at = _moment_field(_lazy("When"), help_text=_lazy("Empty: now."))
    resume = forms.BooleanField(label=_lazy("Resume the incident"), required=False, initial=True)


# ---- pages -----------------------------------------------------------------------------------

def _viewer(request) -> None:
    if not selectors.may_view_vendors(user=request.user):
        raise Http404


@login_required
def vendor_list(request):
    """Every vendor with its contact and its number of contacts and contracts."""
    _viewer(request)
    return TemplateResponse(request, "web/vendors/list.html", {
        "vendors": selectors.vendor_list(user=request.user), "nav": "vendors",
        "may_edit": selectors.may_edit_vendors(user=request.user),
        "may_report": selectors.may_read_report(user=request.user)})


@login_required
def vendor_detail(request, pk: int):
    """Contacts (escalation first), contracts, current engagements and the last 90 days."""
    _viewer(request)
    try:
        vendor = selectors.vendor_get(user=request.user, vendor_id=pk)
    except NotFound:
        raise Http404 from None
    start, end = selectors.report_period(None, None)
    performance = None
    if selectors.may_read_report(user=request.user):
        rows = selectors.vendor_performance(user=request.user, start=start, end=end,
                                            vendor_id=vendor.pk)
        performance = rows[0] if rows else None
    now = timezone.now()
    engagements = selectors.vendor_engagements_recent(user=request.user, vendor=vendor)
    for engagement in engagements:
        engagement.met = (engagement.response_met(now), engagement.resolution_met(now))
    return TemplateResponse(request, "web/vendors/detail.html", {
        "vendor": vendor, "nav": "vendors", "contacts": list(vendor.contacts.all()),
        "contracts": [(c, promise_text(c)) for c in vendor.contracts.all()],
        "engagements": engagements, "performance": performance, "start": start, "end": end,
        "may_edit": selectors.may_edit_vendors(user=request.user)})


def promise_text(contract: VendorContract) -> tuple[str, str]:
    """The contract's promised response and resolution as people read them."""
    snapshot = calendar_snapshot(code=contract.calendar_id) if contract.calendar_id else None
    workday = snapshot.workday_seconds if snapshot else 0
    round_the_clock = snapshot is None or snapshot.is_24x7

    def text(seconds):
        if seconds is None:
            return "—"
        return target_text(seconds, workday_seconds=workday, round_the_clock=round_the_clock)

    return text(contract.response_seconds), text(contract.resolution_seconds)


class ReportFilter(forms.Form):
    start = forms.DateField(label=_lazy("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_lazy("To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("start", _("The period starts after it ends."))
        return cleaned


@login_required
def vendor_report(request):
    """Vendor performance per vendor for a period; ?format=csv downloads it."""
    if not selectors.may_read_report(user=request.user):
        raise PermissionDenied
    form = ReportFilter(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    given = form.cleaned_data if form.is_bound and valid else {}
    start, end = selectors.report_period(given.get("start"), given.get("end"))
    rows = selectors.vendor_performance(user=request.user, start=start, end=end) if valid else []
    if valid and request.GET.get("format") == "csv":
        return _report_csv(rows, start, end)
    if not form.is_bound:
        form = ReportFilter(initial={"start": start, "end": end})
    return TemplateResponse(request, "web/vendors/report.html", {
        "form": form, "rows": rows, "start": start, "end": end, "nav": "vendors"},
        status=200 if valid else 422)


def _report_csv(rows, start: date, end: date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="vendor-performance-{start}-'
                                       f'{end}.csv"')
    response.write("\ufeff")  # Excel reads UTF-8 (Chinese names) only with the BOM
    writer = csv.writer(response)
    writer.writerow([_("Vendor"), _("Engagements"), _("Open"), _("Response measured"),
                     _("Response met"), _("Response met %"), _("Resolution measured"),
                     _("Resolution met"), _("Resolution met %"), _("Mean response (s)"),
                     _("Median response (s)"), _("Mean resolution (s)"),
                     _("Median resolution (s)")])
    for r in rows:
        writer.writerow([_csv_safe(r.vendor_name), r.engagements, r.open_engagements,
                         r.response_measured, r.response_met, _blank(r.response_met_percent),
                         r.resolution_measured, r.resolution_met,
                         _blank(r.resolution_met_percent), _blank(r.response.mean_seconds),
                         _blank(r.response.median_seconds), _blank(r.resolution.mean_seconds),
                         _blank(r.resolution.median_seconds)])
    return response


def _blank(value):
    return "" if value is None else value


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ---- the incident page's vendor panel --------------------------------------------------------

@login_required
def contact(request, number):
    """Contact a vendor about the incident (and pend on it); errors show in the panel."""
    if request.method != "POST":
        return redirect("web:incident", number=number)
    incident = _incident_or_404(request, number)
    _viewer(request)
    form = ContactVendorForm(request.POST)

    def apply():
        services.vendor_engagement_create(
            incident=incident, by=request.user, vendor=form.cleaned_data["vendor"],
            data=form.data_for_service(), pend=form.cleaned_data["pend"], channel=Channel.WEB)
        messages.success(request, _("The vendor contact is recorded."))

    if _submit(request, incident, form, apply, fallback="vendor"):
        return redirect("web:incident", number=number)
    request.vendor_forms = {"contact": form}
    return _page(request, incident, status=422)


@login_required
def record(request, number, pk: int, kind: str):
    """The vendor responded (respond) or says it is fixed (resolve)."""
    if request.method != "POST":
        return redirect("web:incident", number=number)
    if kind not in RECORD_KINDS:
        raise Http404
    incident = _incident_or_404(request, number)
    _viewer(request)
    try:
        engagement = selectors.engagement_get(user=request.user, incident=incident,
                                              engagement_id=pk)
    except (NotFound, NotPermitted):
        raise Http404 from None
    form = RecordForm(request.POST, prefix=f"{kind}-{pk}")

    def apply():
        at = form.cleaned_data["at"]
        if kind == "respond":
            services.vendor_response_record(engagement=engagement, by=request.user, at=at)
            messages.success(request, _("The vendor's response is recorded."))
        else:
            services.vendor_resolution_record(engagement=engagement, by=request.user, at=at,
                                              resume=form.cleaned_data["resume"])
            messages.success(request, _("The vendor's resolution is recorded."))

    if _submit(request, incident, form, apply, fallback="at"):
        return redirect("web:incident", number=number)
    request.vendor_forms = {f"{kind}-{pk}": form}
    return _page(request, incident, status=422)
