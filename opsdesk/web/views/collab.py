"""Collaboration pages: "My tasks" (/work/tasks/), a task, the incident panel's task actions,
and the shift handover log (/handovers/). Every change goes through opsdesk.collab.services."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from opsdesk.accounts.models import SupportGroup, User
from opsdesk.collab import rules, selectors, services
from opsdesk.collab.models import IncidentTask
from opsdesk.core.exceptions import Conflict, DomainError, InvalidInput, NotFound, NotPermitted
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.choices import Channel

from .incidents import _add_errors

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
HANDOVERS_PER_PAGE = 30
ACTION_DONE = {
    "start": _lazy("The task is started."), "complete": _lazy("The task is done."),
    "cancel": _lazy("The task is cancelled."), "reopen": _lazy("The task is open again."),
}


def staff_only(view):
    """Signed in and support staff; anyone else gets the 403 page."""
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not rules.user_is_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return wrapped


# ---- forms --------------------------------------------------------------------------------

class PersonField(forms.CharField):
    """A person named by username (the people type-ahead fills it in)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        user = User.objects.filter(username=value.strip(), is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("Nobody active has the username “%(name)s”.") % {
                "name": value})
        return user


class TaskForm(forms.Form):
    title = forms.CharField(label=_lazy("Task"), max_length=200)
    group = forms.ModelChoiceField(label=_lazy("Group"), queryset=SupportGroup.objects.none(),
                                   empty_label=_lazy("Choose the group"))
    assignee = PersonField(label=_lazy("Assignee (username)"), required=False, max_length=150)
    due_at = forms.DateTimeField(
        label=_lazy("Due"), required=False, input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL))
    mandatory = forms.BooleanField(
        label=_lazy("Mandatory: the incident cannot be resolved until it is done"),
        required=False)
    description = forms.CharField(label=_lazy("Details"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "task_%s")
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = SupportGroup.objects.filter(is_active=True)

    def data_for_service(self) -> dict:
        return dict(self.cleaned_data)


class NoteForm(forms.Form):
    note = forms.CharField(label=_lazy("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class HandoverForm(forms.Form):
    shift_date = forms.DateField(label=_lazy("Shift date"),
                                 widget=forms.DateInput(attrs={"type": "date"}))
    shift_label = forms.CharField(label=_lazy("Shift"), max_length=60,
                                  help_text=_lazy("For example: day shift, night shift, 白班, 夜班."))
    from_group = forms.ModelChoiceField(label=_lazy("From group"),
                                        queryset=SupportGroup.objects.none(),
                                        empty_label=_lazy("Choose the group"))
    to_group = forms.ModelChoiceField(label=_lazy("To group"),
                                      queryset=SupportGroup.objects.none(),
                                      empty_label=_lazy("Choose the group"))
    to_label = forms.CharField(label=_lazy("Next shift"), max_length=60, required=False)
    summary = forms.CharField(label=_lazy("Summary"),
                              widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        active = SupportGroup.objects.filter(is_active=True)
        mine = active if rules.is_manager(user) else active.filter(
            pk__in=user.support_group_ids)
        self.fields["from_group"].queryset = mine
        self.fields["to_group"].queryset = active
        first = mine.first()
        if first is not None and not self.is_bound:
            self.initial.setdefault("from_group", first.pk)
            self.initial.setdefault("to_group", first.pk)
        self.initial.setdefault("shift_date", timezone.localdate())


# ---- tasks --------------------------------------------------------------------------------

@staff_only
def my_tasks(request):
    """Open tasks given to me or my groups, overdue first."""
    tasks = selectors.my_tasks(user=request.user)
    return TemplateResponse(request, "web/collab/my_tasks.html",
                            {"tasks": tasks, "now": timezone.now(), "nav": "tasks"})


@login_required
def task_detail(request, pk: int, *, form=None, note_form=None, status=200):
    """One task: what, for whom, its state, and what this person may do with it."""
    task = _task_or_404(request, pk)
    user = request.user
    manages = rules.may_manage_task(user=user, task=task)
    context = {
        "task": task, "now": timezone.now(), "nav": "tasks",
        "incident_visible": selectors.incident_visible_to(user=user, incident=task.incident),
        "actions": _task_actions(user=user, task=task),
        "form": form or (_task_form_initial(task) if manages and task.is_open else None),
        "note_form": note_form or NoteForm(),
        "may_assign": task.is_open and (manages or rules.may_work_task(user=user, task=task)),
    }
    return TemplateResponse(request, "web/collab/task.html", context, status=status)


@staff_only
@require_POST
def task_create(request, number: str):
    """Add a task from the incident page; errors show on a page of their own (422)."""
    incident = _incident_or_404(request, number)
    form = TaskForm(request.POST)
    if form.is_valid():
        try:
            services.task_create(incident=incident, by=request.user,
                                 data=form.data_for_service(), channel=Channel.WEB)
        except InvalidInput as error:
            _add_errors(form, error)
        except NotPermitted:
            raise PermissionDenied from None
        except Conflict as error:
            messages.error(request, error.message)
            return _back_to_incident(incident)
        else:
            messages.success(request, _("The task is added."))
            return _back_to_incident(incident)
    return TemplateResponse(request, "web/collab/task_new.html",
                            {"incident": incident, "form": form, "nav": "work"}, status=422)


@login_required
@require_POST
def task_edit(request, pk: int):
    """Change a task (those who asked for it), or pick its assignee (its group)."""
    task = _task_or_404(request, pk)
    if "title" in request.POST:
        form = TaskForm(request.POST)
        valid = form.is_valid()
        data = form.data_for_service() if valid else {}
    else:  # the assignee-only form of the task's group
        form = forms.Form(request.POST)
        form.fields["assignee"] = PersonField(required=False)
        valid = form.is_valid()
        data = {"assignee": form.cleaned_data.get("assignee")} if valid else {}
    if valid:
        try:
            services.task_update(task=task, by=request.user, data=data, channel=Channel.WEB)
        except InvalidInput as error:
            _add_errors(form, error)
        except NotPermitted:
            raise PermissionDenied from None
        except Conflict as error:
            messages.error(request, error.message)
            return redirect("web:task", pk=pk)
        else:
            messages.success(request, _("The task is saved."))
            return redirect("web:task", pk=pk)
    if "title" not in request.POST:  # the short form has no place for messages of its own
        for field_errors in form.errors.values():
            messages.error(request, " ".join(field_errors))
    return task_detail(request, pk, form=form if "title" in request.POST else None, status=422)


@login_required
@require_POST
def task_action(request, pk: int, action: str):
    """start, complete, cancel or reopen; back to where the button was."""
    if action not in services.TASK_TRANSITIONS:
        raise Http404
    task = _task_or_404(request, pk)
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        services.task_transition(task=task, action=action, by=request.user,
                                 note=form.cleaned_data.get("note", ""), channel=Channel.WEB)
    except InvalidInput as error:
        _add_errors(form, error)
        return task_detail(request, pk, note_form=form, status=422)
    except NotPermitted:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, ACTION_DONE[action])
    return _back(request, reverse("web:task", args=[pk]))


def _task_actions(*, user, task) -> list[str]:
    """The task actions this person may take now (the page offers only these)."""
    found = []
    if task.is_open and rules.may_work_task(user=user, task=task):
        found += ["start"] if task.status == "open" else []
        found.append("complete")
    if task.is_open and rules.may_manage_task(user=user, task=task):
        found.append("cancel")
    if not task.is_open and task.incident.status < 50 and (
            rules.may_manage_task(user=user, task=task) or rules.may_work_task(user=user,
                                                                               task=task)):
        found.append("reopen")
    return found


def _task_form_initial(task) -> TaskForm:
    return TaskForm(initial={
        "title": task.title, "group": task.group_id,
        "assignee": getattr(task.assignee, "username", ""), "mandatory": task.mandatory,
        "description": task.description,
        "due_at": timezone.localtime(task.due_at) if task.due_at else None})


def _task_or_404(request, pk) -> IncidentTask:
    try:
        return selectors.task_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


def _incident_or_404(request, number):
    try:
        return incident_selectors.incident_get(user=request.user, number=number)
    except NotFound:
        raise Http404 from None


def _back_to_incident(incident):
    return redirect(reverse("web:incident", args=[incident.number]) + "#tasks-h")


def _back(request, default: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


# ---- handovers ----------------------------------------------------------------------------

@staff_only
def handovers(request):
    """The handover log, newest first."""
    page = Paginator(selectors.handovers_visible(request.user).select_related(
        "from_group", "to_group", "written_by", "acknowledged_by").order_by("-created_at", "-id"),
        HANDOVERS_PER_PAGE).get_page(request.GET.get("page"))
    return TemplateResponse(request, "web/collab/handovers.html", {
        "page": page, "may_write": selectors.may_write_handover(request.user),
        "nav": "handovers"})


@staff_only
def handover_new(request):
    """Write a handover; the open incidents of my groups are listed, ticked, with a note each."""
    user = request.user
    if not selectors.may_write_handover(user):
        raise PermissionDenied
    form = HandoverForm(request.POST or None, user=user)
    open_incidents = selectors.handover_open_incidents(user=user)
    if request.method == "POST" and form.is_valid():
        try:
            handover = services.handover_create(by=user, data={
                **form.cleaned_data, "items": _posted_items(request, user)})
        except InvalidInput as error:
            _add_errors(form, error)
        except NotPermitted:
            raise PermissionDenied from None
        else:
            messages.success(request, _("The handover is written."))
            return redirect("web:handover", pk=handover.pk)
    chosen = set(request.POST.getlist("incident")) if form.is_bound else {
        i.number for i in open_incidents}
    return TemplateResponse(request, "web/collab/handover_new.html", {
        "form": form, "open_incidents": open_incidents, "chosen": chosen,
        "notes": {k[5:]: v for k, v in request.POST.items() if k.startswith("note-")},
        "nav": "handovers"}, status=422 if form.is_bound else 200)


def _posted_items(request, user) -> list[dict]:
    """The ticked incidents (by number) with their notes; unknown numbers are named."""
    numbers = [n.strip() for n in request.POST.getlist("incident") if n.strip()][:200]
    found = selectors.incidents_by_number(user=user, numbers=numbers)
    missing = [n for n in numbers if n not in found]
    if missing:
        raise InvalidInput(errors={"items": _("Incident %(numbers)s was not found.") % {
            "numbers": ", ".join(missing)}})
    return [{"incident": found[n], "note": request.POST.get(f"note-{n}", "")} for n in numbers]


@staff_only
def handover_detail(request, pk: int):
    try:
        handover = selectors.handover_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    return TemplateResponse(request, "web/collab/handover.html", {
        "handover": handover, "nav": "handovers",
        "may_acknowledge": selectors.may_acknowledge(user=request.user, handover=handover)})


@staff_only
@require_POST
def handover_acknowledge(request, pk: int):
    try:
        handover = selectors.handover_get(user=request.user, pk=pk)
        services.handover_acknowledge(handover=handover, by=request.user)
    except NotFound:
        raise Http404 from None
    except NotPermitted:
        raise PermissionDenied from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The handover is acknowledged."))
    return redirect("web:handover", pk=pk)
