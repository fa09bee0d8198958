"""The service catalogue in the browser: the portal's catalogue and order pages, the desk's
phone order, and the approver's list of requests awaiting them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opsdesk.catalog import selectors, services
from opsdesk.catalog.answers import person_from_text
from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.services.relations import user_is_staff

from ..catalog_forms import RequestOrderForm
from .incidents import _add_errors


def _require_desk(user) -> None:
    if not (user.is_service_desk or user.is_incident_manager or user.is_superuser):
        raise PermissionDenied


@login_required
def index(request):
    """The types this person may order, grouped by category, with a search box."""
    text = request.GET.get("q", "").strip()[:100]
    groups: dict = {}
    for request_type in selectors.request_type_list(user=request.user, text=text):
        category = request_type.category
        groups.setdefault(category.pk if category else None, (category, []))[1].append(
            request_type)
    ordered = sorted(groups.values(), key=lambda item: (item[0] is None,
                                                        item[0].path if item[0] else ""))
    return TemplateResponse(request, "web/catalog/index.html",
                            {"groups": ordered, "q": text, "nav": "catalog"})


@login_required
def order(request, code):
    """Order one type: its own form; on success, the new request's page."""
    request_type = _type_or_404(request.user, code)
    return _order_page(request, request_type, for_desk=False,
                       template="web/catalog/order.html")


@login_required
def desk_order(request):
    """The desk logs a request from a phone call: choose the type, the caller, the answers."""
    _require_desk(request.user)
    code = request.POST.get("type") or request.GET.get("type", "")
    types = selectors.request_type_list(user=request.user)
    request_type = None
    if code:
        request_type = next((t for t in types if t.code == code), None) or \
            _type_or_404(request.user, code)
    if request_type is None:
        return TemplateResponse(request, "web/catalog/desk_order.html",
                                {"types": types, "nav": "desk_request"})
    return _order_page(request, request_type, for_desk=True,
                       template="web/catalog/desk_order.html", extra={"types": types})


def _type_or_404(user, code):
    try:
        return selectors.request_type_get(user=user, code=code)
    except NotFound:
        raise Http404 from None


def _order_page(request, request_type, *, for_desk: bool, template: str, extra=None):
    bound = request.method == "POST"
    form = RequestOrderForm(request.POST if bound else None, request.FILES if bound else None,
                            request_fields=request_type.active_fields(), for_desk=for_desk,
                            lookup=user_is_staff(request.user))
    if bound and form.is_valid():
        try:
            incident = _place(request, form, request_type, for_desk=for_desk)
        except InvalidInput as error:
            _add_errors(form, error)
        except NotPermitted:
            raise PermissionDenied from None
        else:
            messages.success(request, _("Your request %(number)s is logged.") % {
                "number": incident.number})
            return redirect("web:incident", number=incident.number)
    context = {"form": form, "request_type": request_type,
               "nav": "desk_request" if for_desk else "catalog", **(extra or {})}
    return TemplateResponse(request, template, context, status=422 if bound else 200)


def _place(request, form, request_type, *, for_desk: bool):
    requester = None
    if for_desk:
        requester = person_from_text(form.person_text("requester"))
        if requester is None:
            raise InvalidInput(errors={"requester": _(
                "Nobody with this username or email was found.")})
    incident, _created = services.request_order(
        by=request.user, request_type=request_type, answers=form.answers(),
        files=form.files_by_key(), requester=requester,
        channel=Channel.PHONE if for_desk else Channel.WEB,
        contact_phone=form.cleaned_data.get("contact_phone", "") if for_desk else "")
    return incident


@login_required
def approvals(request):
    """The requests awaiting my decision, oldest first."""
    rows = selectors.approvals_pending(user=request.user)
    return TemplateResponse(request, "web/catalog/approvals.html",
                            {"rows": rows, "nav": "approvals"})


@login_required
@require_POST
def decide(request, number, decision):
    """Approve or reject one request (only its approver may)."""
    if decision not in ("approve", "reject"):
        raise Http404
    try:
        incident = incident_selectors.incident_get(user=request.user, number=number)
    except NotFound:
        raise Http404 from None
    comment = request.POST.get("comment", "")[:2000]
    try:
        if decision == "approve":
            services.request_approve(incident=incident, by=request.user, comment=comment)
            messages.success(request, _("%(number)s is approved and goes to its group.") % {
                "number": number})
        else:
            services.request_reject(incident=incident, by=request.user, comment=comment)
            messages.success(request, _("%(number)s is rejected.") % {"number": number})
    except NotPermitted:
        raise PermissionDenied from None
    except (InvalidInput, Conflict) as error:
        message = " ".join(map(str, error.errors.values())) or error.message
        messages.error(request, f"{number}: {message}")
        return TemplateResponse(request, "web/catalog/approvals.html", {
            "rows": selectors.approvals_pending(user=request.user), "nav": "approvals",
            "error_number": number, "comment": comment}, status=422)
    return redirect("web:approvals")
