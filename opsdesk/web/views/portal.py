"""The self-service portal: report an incident, follow my incidents."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput
from opsdesk.incidents import selectors, services
from opsdesk.incidents.choices import STATUS_BY_KEY, Channel
from opsdesk.incidents.selectors import IncidentFilters

from ..forms import ReportForm
from . import suggest
from .incidents import _add_errors

PAGE_SIZE = 25


@login_required
def my_incidents(request):
    """The incidents I reported, newest first, searchable and filterable by status."""
    status = request.GET.get("status", "")
    filters = IncidentFilters(requester_id=request.user.pk, text=request.GET.get("q", "").strip(),
                              statuses=[STATUS_BY_KEY[status]] if status in STATUS_BY_KEY else [])
    try:
        rows, cursor = selectors.incident_list(user=request.user, filters=filters,
                                               cursor=request.GET.get("cursor", ""),
                                               limit=PAGE_SIZE)
    except InvalidInput:
        rows, cursor = [], ""
    context = {"rows": rows, "next_cursor": cursor, "q": filters.text, "status": status,
               "statuses": STATUS_BY_KEY, "nav": "portal"}
    return TemplateResponse(request, "web/portal/list.html", context)


@login_required
def report(request):
    """The short report form; files are attached in the same step."""
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = _report(request, form)
        except InvalidInput as error:
            _add_errors(form, error, fallback="attachments")
        else:
            messages.success(request, _("Thank you. Your incident %(number)s is logged; the "
                                        "service desk will contact you.") % {
                                 "number": incident.number})
            return redirect("web:incident", number=incident.number)
    status = 422 if form.is_bound else 200
    text = suggest.suggestion_text(form.data) if form.is_bound else ""
    return TemplateResponse(request, "web/portal/report.html", {
        "form": form, "nav": "report", "text": text,
        "articles": suggest.articles_suggested(user=request.user, text=text),
        "own_open": suggest.incidents_own_open_like(user=request.user, text=text)},
        status=status)


def _report(request, form):
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments" and v not in ("", None)}
    with transaction.atomic():  # the incident and its files are kept together or not at all
        incident, _created = services.incident_create(by=request.user, data=data,
                                                      channel=Channel.WEB)
        for upload in form.cleaned_data["attachments"]:
            services.attachment_create(incident=incident, by=request.user, upload=upload)
    return incident
