"""The incident page: the record, one timeline, and only the actions this person may take now."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from opsdesk.accounts.models import SupportGroup
from opsdesk.core import lookups
from opsdesk.core.downloads import attachment_response
from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.incidents import selectors, services
from opsdesk.incidents.choices import Action, Channel, Visibility
from opsdesk.incidents.refs import resolve_refs
from opsdesk.incidents.services.relations import user_is_staff
from opsdesk.sla.escalation import incident_escalate_to_managers, may_escalate_by_hand

from ..forms import ActionForm, CommentForm, EditForm, PeopleForm
from ..sla_forms import EscalateForm
from ..timeline import action_label, timeline_entries

PEOPLE_FIELDS = ("collaborators", "watchers")
PEOPLE_DONE = {
    ("collaborators", False): _lazy("%(person)s now collaborates on this incident."),
    ("collaborators", True): _lazy("%(person)s no longer collaborates on this incident."),
    ("watchers", False): _lazy("%(person)s now watches this incident."),
    ("watchers", True): _lazy("%(person)s no longer watches this incident."),
}

def _incident_or_404(request, number):
    """The visible incident with the people and CIs every relation check and the page read."""
    try:
        incident = selectors.incident_get(user=request.user, number=number)
    except NotFound:
        raise Http404 from None
    prefetch_related_objects([incident], "collaborators", "watchers", "configuration_items")
    return incident


def _page(request, incident, *, forms=None, comment_form=None, edit_form=None,
          people_forms=None, escalate_form=None, status=200):
    user = request.user
    staff = user_is_staff(user)
    editable = services.can_edit(user=user, incident=incident) and incident.status < 50
    forms, people_forms = forms or {}, people_forms or {}
    context = {
        "incident": incident, "staff": staff,
        "action_forms": [forms.get(a) or _action_form(request, incident, a)
                         for a in services.allowed_actions(user=user, incident=incident)],
        "timeline": timeline_entries(user=user, incident=incident),
        "attachments": selectors.incident_attachments(user=user, incident=incident),
        "children": selectors.incident_children(user=user, incident=incident),
        "comment_form": comment_form or CommentForm(),
        "edit_form": (edit_form or EditForm.for_incident(incident)) if editable else None,
        "configuration_items": list(incident.configuration_items.all()),
        "collaborators": list(incident.collaborators.all()),
        "watchers": list(incident.watchers.all()),
        "people_forms": {f: people_forms.get(f) or PeopleForm(field=f) for f in PEOPLE_FIELDS}
        if editable else {},
        "nav": "work" if staff else "portal",
        "is_requester": incident.requester_id == user.pk,
    }
    context["escalate_to"] = _escalation_group(incident)
    context["escalate_form"] = (escalate_form or EscalateForm()) if may_escalate_by_hand(
        user=user, incident=incident) else None
    context["watching"] = any(w.pk == user.pk for w in context["watchers"])
    context["may_watch"] = staff and incident.status < 50
    return TemplateResponse(request, "web/incidents/detail.html", context, status=status)


def _escalation_group(incident):
    """The next line's group of the current assignment group, for a one-click escalation."""
    group = incident.assignment_group
    if group is None or group.escalation_group_id is None:
        return None
    target = lookups.lookup(SupportGroup, group.escalation_group_id)
    return target if target is not None and target.is_active else None


def _action_form(request, incident, action, data=None):
    """The form of one action, named as this person would say it."""
    return ActionForm(data, action=action, label=action_label_for(
        action, incident=incident, user=request.user))


def action_label_for(action, *, incident, user) -> str:
    """A requester withdraws (撤回) their own incident; staff cancel it; a second
    assignment is a reassignment or an escalation."""
    if action == Action.CANCEL:
        return action_label(action, by_requester=incident.requester_id == user.pk
                            and not user_is_staff(user))
    if action == Action.ASSIGN and incident.assignment_group_id:
        return _("Reassign or escalate")
    return action.label


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
    form = _action_form(request, incident, action, request.POST)

    def apply():
        services.incident_transition(incident=incident, action=action, by=request.user,
                                     channel=Channel.WEB, **resolve_refs(form.params()))
        messages.success(request, _("%(action)s: done.") % {"action": form.label})

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
    stale = []

    def apply():
        if form.changes():
            try:
                services.incident_update(incident=incident, by=request.user,
                                         data=form.changes(), channel=Channel.WEB,
                                         expected_version=form.cleaned_data["version"] or None)
            except services.StaleVersion as error:
                stale.append(error)

    if _submit(request, incident, form, apply) and not stale:
        return redirect("web:incident", number=number)
    if stale:  # someone saved it first: show what it is now, with the form on those values
        messages.error(request, stale[0].message)
        return _page(request, _incident_or_404(request, number), status=409)
    return _page(request, incident, edit_form=form, status=422)


@login_required
def people(request, number, field):
    """Add or remove a collaborator or a watcher (staff; anyone on the staff may watch)."""
    if request.method != "POST":
        return redirect("web:incident", number=number)
    if field not in PEOPLE_FIELDS:
        raise Http404
    incident = _incident_or_404(request, number)
    form = PeopleForm(request.POST, field=field)

    def apply():
        person, remove = form.cleaned_data["person"], form.cleaned_data["remove"]
        change = services.people_remove if remove else services.people_add
        change(incident=incident, by=request.user, field=field, users=[person],
               channel=Channel.WEB)
        done = PEOPLE_DONE[field, remove]
        messages.success(request, done % {"person": person.label})

    if _submit(request, incident, form, apply, fallback="person"):
        return _after_change(request, number)
    return _page(request, incident, people_forms={field: form}, status=422)


@login_required
def escalate(request, number):
    """Escalate by hand to the incident managers, with a reason (a hierarchical escalation)."""
    if request.method != "POST":
        return redirect("web:incident", number=number)
    incident = _incident_or_404(request, number)
    form = EscalateForm(request.POST)

    def apply():
        incident_escalate_to_managers(incident=incident, by=request.user, channel=Channel.WEB,
                                      reason=form.cleaned_data["reason"])
        messages.success(request, _("Escalated to the incident managers."))

    if _submit(request, incident, form, apply):
        return redirect("web:incident", number=number)
    return _page(request, incident, escalate_form=form, status=422)


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
