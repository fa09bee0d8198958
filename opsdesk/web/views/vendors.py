"""Vendor pages: the list, a vendor's page, the performance report (with CSV), and the incident
page's "contact vendor" and "record response / resolution" forms. Support staff only; plain
users get the 404 page, as for anything they may not see.

Process owners, incident managers and administrators also keep the vendors here: a new vendor,
the vendor's own details (a form on its page), its contacts (added and changed in place with
htmx, or by a plain post without JavaScript) and its contracts (a page each). The services in
opsdesk.vendors.editing decide; their errors show next to the fields."""

import csv
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.forms.models import model_to_dict
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from opsdesk.cmdb.models import ConfigurationItem, Service
from opsdesk.core import lookups
from opsdesk.core.exceptions import InvalidInput, NotFound, NotPermitted
from opsdesk.incidents.choices import Channel
from opsdesk.reporting.tables import formula_safe
from opsdesk.sla.models import BusinessCalendar
from opsdesk.sla.selectors import calendar_snapshot
from opsdesk.sla.targets import target_parse, target_text
from opsdesk.vendors import editing, selectors, services
from opsdesk.vendors.models import EngagementChannel, Vendor, VendorContact, VendorContract

from ..forms import DATETIME_LOCAL
from ..settings_forms import NamedChoiceField
from .incidents import _add_errors, _incident_or_404, _page, _submit

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
        self.fields["vendor"].choices = [("", _("Choose the vendor"))] + [
            (v.pk, v.name) for v in vendors]
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
    return _detail(request, _vendor_or_404(request, pk))


def _vendor_or_404(request, pk: int) -> Vendor:
    try:
        return selectors.vendor_get(user=request.user, vendor_id=pk)
    except NotFound:
        raise Http404 from None


def _detail(request, vendor: Vendor, *, status: int = 200, vendor_form=None,
            contact_forms=None, partial: str = ""):
    """The vendor's page (or one part of it for htmx); bound forms keep their input and errors."""
    may_edit = selectors.may_edit_vendors(user=request.user)
    contacts = list(vendor.contacts.all())
    context = {"vendor": vendor, "nav": "vendors", "contacts": contacts, "may_edit": may_edit}
    if may_edit:
        bound = contact_forms or {}
        context["vendor_form"] = vendor_form or VendorForm(initial=model_to_dict(
            vendor, VendorForm.base_fields))
        context["contact_rows"] = [(c, bound.get(c.pk) or ContactForm.for_contact(c))
                                   for c in contacts]
        context["new_contact_form"] = bound.get("new") or ContactForm(prefix="new-contact")
    else:
        context["contact_rows"] = [(c, None) for c in contacts]
    if partial:
        return TemplateResponse(request, f"web/vendors/detail.html#{partial}", context,
                                status=status)
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
        **context, "contracts": [(c, promise_text(c)) for c in vendor.contracts.all()],
        "engagements": engagements, "performance": performance, "start": start, "end": end,
        "vendor_open": vendor_form is not None}, status=status)


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
    """A cell a spreadsheet will not run as a formula (full-width ＝＋－＠ too: reporting/tables)."""
    return formula_safe(str(text or ""))


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


# ---- keeping vendors (process owners, incident managers, administrators) --------------------

class VendorForm(forms.Form):
    """The vendor itself and its main support contact (the address escalations fall back to)."""

    name = forms.CharField(label=_lazy("Name"), max_length=200)
    contact_name = forms.CharField(label=_lazy("Support contact"), max_length=100,
                                   required=False)
    phone = forms.CharField(label=_lazy("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_lazy("Email"), required=False, help_text=_lazy(
        "Escalations go to the escalation contacts, else to this address."))
    notes = forms.CharField(label=_lazy("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_lazy("Active"), required=False, initial=True)


class ContactForm(forms.Form):
    """A person at the vendor; escalation contacts are mailed, level 1 first."""

    name = forms.CharField(label=_lazy("Name"), max_length=100)
    role = forms.CharField(label=_lazy("Role"), max_length=100, required=False)
    phone = forms.CharField(label=_lazy("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_lazy("Email"), required=False)
    is_escalation = forms.BooleanField(label=_lazy("Escalation contact"), required=False)
    escalation_level = forms.IntegerField(
        label=_lazy("Escalation level"), min_value=1, max_value=editing.MAX_ESCALATION_LEVEL,
        required=False, initial=1, help_text=_lazy("1 is called first, then 2 …"))
    sort_order = forms.IntegerField(label=_lazy("Order"), min_value=0, max_value=32767,
                                    initial=0)
    is_active = forms.BooleanField(label=_lazy("Active"), required=False, initial=True)

    @classmethod
    def for_contact(cls, contact: VendorContact, data=None):
        initial = model_to_dict(contact, cls.base_fields)
        initial["escalation_level"] = contact.escalation_level or 1
        return cls(data, initial=initial, prefix=f"contact-{contact.pk}")

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        if not data["is_escalation"]:
            data["escalation_level"] = 0
        elif data["escalation_level"] is None:
            data["escalation_level"] = 0  # the service names what is missing
        return data


class ContractForm(forms.Form):
    """An underpinning contract: period, what it supports, support hours and its promise."""

    number = forms.CharField(label=_lazy("Contract number"), max_length=64)
    title = forms.CharField(label=_lazy("Title"), max_length=200)
    starts_on = forms.DateField(label=_lazy("Starts on"),
                                widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_lazy("Ends on"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_lazy("Empty: until further notice."))
    services = forms.ModelMultipleChoiceField(
        label=_lazy("Services supported"), required=False, queryset=Service.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 6}))
    configuration_items = forms.ModelMultipleChoiceField(
        label=_lazy("Configuration items supported"), required=False,
        queryset=ConfigurationItem.objects.none(), widget=forms.SelectMultiple(attrs={"size": 8}))
    calendar = NamedChoiceField(
        label=_lazy("Support hours"), required=False, queryset=BusinessCalendar.objects.none(),
        empty_label=_lazy("Around the clock"),
        help_text=_lazy("The calendar the promised times count on."))
    response = forms.CharField(label=_lazy("Promised response"), max_length=40, required=False,
                               help_text=_lazy("E.g. “30 min”, “2 h”, “1 working day”; empty: "
                                               "nothing promised."))
    resolution = forms.CharField(label=_lazy("Promised resolution"), max_length=40,
                                 required=False)
    notes = forms.CharField(label=_lazy("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, contract: VendorContract | None = None, **kwargs):
        if contract is not None:
            kwargs.setdefault("initial", contract_initial(contract))
        super().__init__(*args, **kwargs)
        kept = {"services": [], "configuration_items": [], "calendar": []}
        if contract is not None:
            kept = {"services": [s.pk for s in contract.services.all()],
                    "configuration_items": [c.pk for c in contract.configuration_items.all()],
                    "calendar": [contract.calendar_id] if contract.calendar_id else []}
        for name, model in (("services", Service), ("configuration_items", ConfigurationItem),
                            ("calendar", BusinessCalendar)):
            self.fields[name].queryset = model.objects.filter(
                Q(is_active=True) | Q(pk__in=kept[name]))

    def clean(self):
        data = super().clean()
        calendar = data.get("calendar")
        workday = calendar_snapshot(code=calendar.pk).workday_seconds if calendar else 86400
        for field in ("response", "resolution"):
            text = (data.get(field) or "").strip()
            data[f"{field}_seconds"] = None
            if text:
                try:
                    data[f"{field}_seconds"] = target_parse(text, workday_seconds=workday)
                except ValueError as error:
                    self.add_error(field, str(error))
        return data

    def values(self) -> tuple[dict, dict]:
        """The contract's fields, and the services and CIs it supports."""
        data = self.cleaned_data
        fields = {name: data[name] for name in ("number", "title", "starts_on", "ends_on",
                                                "calendar", "notes", "is_active")}
        fields.update(response_seconds=data["response_seconds"],
                      resolution_seconds=data["resolution_seconds"])
        return fields, {"services": list(data["services"]),
                        "configuration_items": list(data["configuration_items"])}


def contract_initial(contract: VendorContract) -> dict:
    response, resolution = promise_text(contract)
    return {**model_to_dict(contract, ("number", "title", "starts_on", "ends_on", "notes",
                                       "is_active")),
            "calendar": contract.calendar_id, "services": list(contract.services.all()),
            "configuration_items": list(contract.configuration_items.all()),
            "response": "" if contract.response_seconds is None else response,
            "resolution": "" if contract.resolution_seconds is None else resolution}


# Service fields named by the edit services, to the form fields that show them.
CONTRACT_ERROR_FIELDS = {"response_seconds": "response", "resolution_seconds": "resolution"}


def _editor(request) -> None:
    """Support staff who may not keep vendors get the 403 page; others the 404 page."""
    _viewer(request)
    if not selectors.may_edit_vendors(user=request.user):
        raise PermissionDenied


def _save(form, apply, *, renamed=None) -> bool:
    """Run apply() for a valid form; service errors go next to their fields."""
    if not form.is_valid():
        return False
    try:
        apply()
    except InvalidInput as error:
        renamed = renamed or {}
        _add_errors(form, InvalidInput(error.message, errors={
            renamed.get(k, k): v for k, v in error.errors.items()}))
        return False
    except NotPermitted:
        raise PermissionDenied from None
    return True


@login_required
def vendor_new(request):
    """A new vendor; then its page, to add contacts and contracts."""
    _editor(request)
    form = VendorForm(request.POST or None)
    created = {}

    def apply():
        created["vendor"] = editing.vendor_create(by=request.user, data=form.cleaned_data)

    if request.method == "POST" and _save(form, apply):
        messages.success(request, _("The vendor %(name)s is added. Add its contacts and "
                                    "contracts below.") % {"name": created["vendor"].name})
        return redirect("web:vendor", pk=created["vendor"].pk)
    return TemplateResponse(request, "web/vendors/new.html", {"form": form, "nav": "vendors"},
                            status=422 if form.is_bound else 200)


@login_required
def vendor_edit(request, pk: int):
    """Change the vendor's details; errors show in the form on its page."""
    if request.method != "POST":
        return redirect("web:vendor", pk=pk)
    _editor(request)
    vendor = _vendor_or_404(request, pk)
    form = VendorForm(request.POST)
    if _save(form, lambda: editing.vendor_update(vendor=vendor, by=request.user,
                                                 data=form.cleaned_data)):
        messages.success(request, _("The vendor is saved."))
        return redirect("web:vendor", pk=pk)
    return _detail(request, vendor, vendor_form=form, status=422)


@login_required
def contact_save(request, pk: int, contact_pk: int | None = None):
    """Add a contact, or change one; htmx gets the contacts part of the page back."""
    if request.method != "POST":
        return redirect("web:vendor", pk=pk)
    _editor(request)
    vendor = _vendor_or_404(request, pk)
    if contact_pk is None:
        contact, key = None, "new"
        form = ContactForm(request.POST, prefix="new-contact")
    else:
        contact = next((c for c in vendor.contacts.all() if c.pk == contact_pk), None)
        if contact is None:
            raise Http404
        key, form = contact.pk, ContactForm.for_contact(contact, request.POST)

    def apply():
        if contact is None:
            editing.vendor_contact_create(vendor=vendor, by=request.user, data=form.values())
        else:
            editing.vendor_contact_update(contact=contact, by=request.user, data=form.values())

    if _save(form, apply):
        messages.success(request, _("The contact %(name)s is saved.") % {
            "name": form.cleaned_data["name"]})
        if not request.htmx:
            return redirect("web:vendor", pk=pk)
        return _detail(request, _vendor_or_404(request, pk), partial="contacts")
    return _detail(request, vendor, contact_forms={key: form}, status=422,
                   partial="contacts" if request.htmx else "")


@login_required
def contract_edit(request, pk: int, contract_pk: int | None = None):
    """Add an underpinning contract to the vendor, or change one (a page of its own)."""
    _editor(request)
    vendor = _vendor_or_404(request, pk)
    contract = None
    if contract_pk is not None:
        contract = next((c for c in vendor.contracts.all() if c.pk == contract_pk), None)
        if contract is None:
            raise Http404
    form = ContractForm(request.POST or None, contract=contract)

    def apply():
        fields, supported = form.values()
        if contract is None:
            editing.vendor_contract_create(vendor=vendor, by=request.user, data=fields,
                                           **supported)
        else:
            editing.vendor_contract_update(contract=contract, by=request.user, data=fields,
                                           **supported)

    if request.method == "POST" and _save(form, apply, renamed=CONTRACT_ERROR_FIELDS):
        messages.success(request, _("The contract %(number)s is saved.") % {
            "number": form.cleaned_data["number"]})
        return redirect("web:vendor", pk=pk)
    return TemplateResponse(request, "web/vendors/contract.html", {
        "vendor": vendor, "contract": contract, "form": form, "nav": "vendors"},
        status=422 if form.is_bound else 200)
