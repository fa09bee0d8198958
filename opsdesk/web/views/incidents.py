"""The incident page: the record, one timeline, and only the actions this person may take now."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from opsdesk.core.downloads import attachment_response
from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.incidents import selectors, services
from opsdesk.incidents.choices import Action, Channel, Visibility
from opsdesk.incidents.refs import resolve_refs
from opsdesk.incidents.services.relations import user_is_staff

from ..forms import ActionForm, CommentForm, EditForm
from ..timeline import timeline_entries

def _incident_or_404(request, number):
    try:
        return selectors.incident_get(user=request.user, number=number)
    except NotFound:
        raise Http404 from None


def _page(request, incident, *, forms=None, comment_form=None, edit_form=None, status=200):
    allowed = services.allowed_actions(user=request.user, incident=incident)
    forms = forms or {}
    action_forms = [forms.get(a) or ActionForm(action=a) for a in allowed]
    staff = user_is_staff(request.user)
    context = {
        "incident": incident, "action_forms": action_forms, "staff": staff,
        "timeline": timeline_entries(user=request.user, incident=incident),
        "attachments": selectors.incident_attachments(user=request.user, incident=incident),
        "comment_form": comment_form or CommentForm(),
        "edit_form": (edit_form or EditForm.for_incident(incident))
        if services.can_edit(user=request.user, incident=incident) and incident.status < 50
        else None,
        "configuration_items": list(incident.configuration_items.all()),
        "collaborators": list(incident.collaborators.all()),
        "nav": "work" if staff else "portal",
        "is_requester": incident.requester_id == request.user.pk,
    }
    return TemplateResponse(request, "web/incidents/detail.html", context, status=status)


@login_required
def detail(request, number):
    """The complete record and its timeline."""
    return _page(request, _incident_or_404(request, number))


def _submit(request, incident, form, apply, *, fallback=None):
    """Run apply() for a valid form; True when the person should go back to the incident.

    Service errors go next to their fields (InvalidInput: False, the form is shown again), to
    the 403 page (NotPermitted), or to a message on the incident page (Conflict: someone else
    changed it first).
    """
    if not form.is_valid():
        return False
    try:
        apply()
    except InvalidInput as error:
        _add_errors(form, error, fallback=fallback)
        return False
    except NotPermitted:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, error.message)
    return True


@login_required
def action(request, number, action):
    """Take one lifecycle action from the incident page; errors show next to the fields."""
    if request.method != "POST":  # a reload of the address after an error: back to the page
        return redirect("web:incident", number=number)
    incident = _incident_or_404(request, number)
    try:
        action = Action(action)
    except ValueError:
        raise Http404 from None
    form = ActionForm(request.POST, action=action)

    def apply():
        services.incident_transition(incident=incident, action=action, by=request.user,
                                     channel=Channel.WEB, **resolve_refs(form.params()))
        messages.success(request, _("%(action)s: done.") % {"action": action.label})

    if _submit(request, incident, form, apply):
        return _after_change(request, number)
    return _page(request, incident, forms={action: form}, status=422)


@login_required
def comment(request, number):
    """Add a reply or a work note, with files."""
    if request.method != "POST":
        return redirect("web:incident", number=number)
    incident = _incident_or_404(request, number)
    form = CommentForm(request.POST, request.FILES)

    @transaction.atomic  # the message and its files are kept together or not at all
    def apply():
        visibility = form.cleaned_data["visibility"] or Visibility.PUBLIC
        added = services.comment_create(incident=incident, by=request.user,
                                        body=form.cleaned_data["body"],
                                        visibility=visibility, channel=Channel.WEB)
        for upload in form.cleaned_data["attachments"]:
            services.attachment_create(incident=incident, by=request.user, upload=upload,
                                       visibility=visibility, comment=added)

    if _submit(request, incident, form, apply, fallback="attachments"):
        return redirect("web:incident", number=number)
    return _page(request, incident, comment_form=form, status=422)


@login_required
def edit(request, number):
    """Change the record's fields; each change goes to the history."""
    if request.method != "POST":
        return redirect("web:incident", number=number)
    incident = _incident_or_404(request, number)
    form = EditForm.for_incident(incident, request.POST)

    def apply():
        if form.changes():
            services.incident_update(incident=incident, by=request.user, data=form.changes(),
                                     channel=Channel.WEB)

    if _submit(request, incident, form, apply):
        return redirect("web:incident", number=number)
    return _page(request, incident, edit_form=form, status=422)


@login_required
def download(request, number, attachment_id):
    """An attachment, after the same visibility check as the incident."""
    incident = _incident_or_404(request, number)
    try:
        attachment = selectors.incident_attachment_get(user=request.user, incident=incident,
                                                       attachment_id=attachment_id)
    except NotFound:
        raise Http404 from None
    return attachment_response(attachment)


def _after_change(request, number):
    """Back to the incident if the person still sees it, else to their start page."""
    if selectors.incident_visible(user=request.user, number=number):
        return redirect("web:incident", number=number)
    return redirect("web:home")


def _add_errors(form, error: InvalidInput, fallback: str | None = None) -> None:
    """Put each service error next to its field (or on the form if there is no such field)."""
    if not error.errors:
        form.add_error(None, error.message)
    for field, message in error.errors.items():
        target = field if field in form.fields else fallback
        form.add_error(target if target in form.fields else None, message)
