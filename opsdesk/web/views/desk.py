"""The service desk's fast logging form and its live helpers (priority, similar, requester)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from opsdesk.accounts.selectors import user_get_active
from opsdesk.core import lookups
from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.incidents import selectors, services
from opsdesk.incidents.choices import OPEN_STATUSES, Action, Channel, Status
from opsdesk.incidents.selectors import IncidentFilters
from opsdesk.knowledge.selectors import article_get
from opsdesk.knowledge.services import incident_article_link
from opsdesk.reference.models import Impact, Priority, Urgency
from opsdesk.reference.selectors import priority_from_matrix

from ..desk_forms import DeskLogForm
from . import suggest
from .lookups import _is_id

TEMPLATE = "web/desk/log.html"
SIMILAR_LIMIT, REQUESTER_OPEN_LIMIT = 5, 5
# Service errors about fields the form shows under another name.
ERROR_FIELDS = {"requester": "requester_query", "file": "attachments"}


def _require_desk(user) -> None:
    """Logging for others is the desk's job; incident managers may stand in."""
    if not (user.is_service_desk or user.is_incident_manager or user.is_superuser):
        raise PermissionDenied


def _can_override(user) -> bool:
    return bool(user.is_service_desk or user.is_incident_manager or user.is_superuser)


@login_required
def log(request):
    """Log a phone or walk-in report; assign it or resolve it at first contact in the same step."""
    _require_desk(request.user)
    bound = request.method == "POST"
    form = DeskLogForm(request.POST if bound else None, request.FILES if bound else None,
                       can_override=_can_override(request.user))
    if bound and form.is_valid():
        try:
            incident = _log(request.user, form, articles=suggest.chosen_articles(request.POST))
        except InvalidInput as error:
            _add_errors(form, error)
        except NotPermitted:
            raise PermissionDenied from None
        except Conflict as error:
            form.add_error(None, error.message)
        else:
            return _after_log(request, incident, another="another" in request.POST)
    return TemplateResponse(request, TEMPLATE, _context(request, form),
                            status=422 if bound else 200)


def _log(user, form: DeskLogForm, *, articles: list[str] = ()):
    """Create, attach, link the chosen articles, and assign or resolve: one transaction, so
    nothing is half-written. An article linked to an incident resolved at first contact is
    counted as the one that solved it.

    Files are written to disk before the commit; if anything fails they are removed again.
    """
    record = form.record()
    if form.cleaned_data.get("parent"):
        record["parent"] = _parent(user, form.cleaned_data["parent"])
    written = []
    try:
        with transaction.atomic():
            resolution = form.resolution_params()
            incident, _created = services.incident_create(
                by=user, data=record, channel=Channel.WEB, assign=form.assignment(),
                route=resolution is None)  # resolved at first contact: not routed away
            for upload in form.cleaned_data["attachments"]:
                written.append(services.attachment_create(incident=incident, by=user,
                                                          upload=upload))
            if resolution is not None:
                incident = services.incident_transition(
                    incident=incident, action=Action.RESOLVE, by=user, channel=Channel.WEB,
                    **resolution)
            for number in articles:
                incident_article_link(incident=incident, article=_article(user, number), by=user,
                                      resolved_by=resolution is not None)
    except Exception:
        for attachment in written:
            attachment.file.delete(save=False)
        raise
    return incident


def _article(user, number: str):
    try:
        return article_get(user=user, number=number)
    except NotFound:
        raise InvalidInput(errors={"articles": _("Article %(number)s was not found.") % {
            "number": number}}) from None


def _parent(user, number: str):
    try:
        return selectors.incident_get(user=user, number=number.strip().upper())
    except NotFound:
        raise InvalidInput(errors={"parent": _("Incident %(number)s was not found.") % {
            "number": number}}) from None


def _after_log(request, incident, *, another: bool):
    if incident.status == Status.RESOLVED:
        text = _("%(number)s is logged and resolved at first contact.")
    elif incident.assignment_group_id:
        text = _("%(number)s is logged and assigned to %(group)s.")
    else:
        text = _("%(number)s is logged.")
    link = format_html('<a href="{}">{}</a>', reverse("web:incident", args=[incident.number]),
                       incident.number)
    group = incident.assignment_group.name if incident.assignment_group_id else ""
    # The message links to the new incident, which matters after "log another".
    messages.success(request, mark_safe(conditional_escape(text) % {
        "number": link, "group": conditional_escape(group)}))
    if another:
        return redirect("web:desk_log")
    return redirect("web:incident", number=incident.number)


def _add_errors(form, error: InvalidInput) -> None:
    """Each service error next to its field; errors of fields not on the form go on top."""
    if not error.errors:
        form.add_error(None, error.message)
    for field, message in error.errors.items():
        field = ERROR_FIELDS.get(field, field)
        form.add_error(field if field in form.fields else None, message)


def _context(request, form) -> dict:
    requester = _requester_of(form)
    return {
        "form": form, "nav": "desk_log", "can_override": "priority" in form.fields,
        "matrix_priority": _matrix_priority(form["impact"].value(), form["urgency"].value()),
        "similar": _similar(request.user, form.data) if form.is_bound else [],
        "chosen_parent": form["parent"].value() or "",
        "person": requester,
        "person_open": _open_of(request.user, requester),
        **_suggestions(request.user, form),
    }


def _suggestions(user, form) -> dict:
    """The knowledge panel as it was when the form comes back with errors (empty at first)."""
    if not form.is_bound:
        return {"articles": [], "resolved": [], "chosen_articles": set(), "kept_articles": []}
    return suggest.desk_suggestions(user, form.data)


def _requester_of(form):
    if form.is_bound and getattr(form, "cleaned_data", {}).get("requester"):
        return form.cleaned_data["requester"]
    value = str(form["requester"].value() or "")
    return user_get_active(user_id=int(value)) if _is_id(value) else None


def _open_of(user, person) -> list:
    if person is None:
        return []
    rows, _cursor = selectors.incident_list(
        user=user, filters=IncidentFilters(requester_id=person.pk, statuses=list(OPEN_STATUSES)),
        limit=REQUESTER_OPEN_LIMIT)
    return rows


def _matrix_priority(impact, urgency) -> Priority | None:
    """The matrix's priority for the chosen levels, or None while they are not valid levels."""
    impact, urgency = str(impact or ""), str(urgency or "")
    if not (impact.isdigit() and urgency.isdigit() and len(impact + urgency) <= 6):
        return None
    if lookups.lookup(Impact, int(impact)) is None or lookups.lookup(Urgency, int(urgency)) is None:
        return None
    level = priority_from_matrix(impact_id=int(impact), urgency_id=int(urgency))
    return lookups.lookup(Priority, level)


def _ids(values) -> list[int]:
    return [int(v) for v in values if _is_id(str(v))]


def _similar(user, data) -> list:
    """Similar open incidents for what is typed so far; the one chosen as parent stays listed."""
    single = {name: _ids([data.get(name, "")]) for name in ("service", "category")}
    found = selectors.incident_similar(
        user=user, text=data.get("short_description", "")[:200],
        service_id=(single["service"] or [None])[0], category_id=(single["category"] or [None])[0],
        ci_ids=_ids(data.getlist("configuration_items"))[:20], limit=SIMILAR_LIMIT)
    chosen = (data.get("parent") or "").strip().upper()
    if chosen and all(row.number != chosen for row in found):
        try:
            found.insert(0, selectors.incident_get(user=user, number=chosen))
        except NotFound:
            pass
    return found


@login_required
@require_GET
def priority(request):
    """The matrix's priority for ?impact=&urgency= (a fragment of the form)."""
    _require_desk(request.user)
    level = _matrix_priority(request.GET.get("impact"), request.GET.get("urgency"))
    return TemplateResponse(request, f"{TEMPLATE}#priority", {"matrix_priority": level})


@login_required
@require_GET
def similar(request):
    """Open incidents like the one being typed, each with a choice to link to it."""
    _require_desk(request.user)
    return TemplateResponse(request, f"{TEMPLATE}#similar", {
        "similar": _similar(request.user, request.GET),
        "chosen_parent": request.GET.get("parent", "").strip().upper()})


@login_required
@require_GET
def requester(request):
    """The chosen requester's department, phone and open incidents (?requester=<id>)."""
    _require_desk(request.user)
    value = request.GET.get("requester", "")
    person = user_get_active(user_id=int(value)) if _is_id(value) else None
    return TemplateResponse(request, f"{TEMPLATE}#requester_card", {
        "person": person, "person_open": _open_of(request.user, person)})
