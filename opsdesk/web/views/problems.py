"""Problem pages: the list (/problems/), raising from incidents (/problems/new/), a problem's
page with its incidents, actions and history, the candidates (/problems/candidates/), and the
candidate rule under /settings/problems/. Support staff only: anyone else gets the 404 page."""

import re
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from opsdesk.accounts.models import SupportGroup, User
from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.problems import selectors, services
from opsdesk.problems.choices import CandidateState, ProblemAction, ProblemStatus
from opsdesk.problems.models import CandidateRule, Problem
from opsdesk.problems.permissions import (may_link_incidents, may_manage_problems,
                                          may_raise_problem, may_view_problems, may_work_problem)
from opsdesk.reference.models import Priority

from .incidents import _add_errors
from .settings_pages import configurator_required
from .settings_pages import render as settings_render

PAGE_SIZE = 25
MAX_INCIDENTS = 200
NUMBER_SPLIT = re.compile(r"[\s,;]+")


# ---- forms --------------------------------------------------------------------------------

class ProblemForm(forms.Form):
    short_description = forms.CharField(label=_lazy("Problem statement"), max_length=200)
    description = forms.CharField(label=_lazy("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    owner_group = forms.ModelChoiceField(label=_lazy("Owner group"), required=False,
                                         queryset=SupportGroup.objects.filter(is_active=True))
    assignee = forms.ModelChoiceField(label=_lazy("Assignee"), required=False,
                                      queryset=User.objects.filter(is_active=True,
                                                                   is_engineer=True))
    priority = forms.ModelChoiceField(label=_lazy("Priority"), required=False,
                                      queryset=Priority.objects.all())
    root_cause = forms.CharField(label=_lazy("Root cause"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    workaround = forms.CharField(label=_lazy("Workaround"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))

    @classmethod
    def for_problem(cls, problem):
        return cls(initial={f: getattr(problem, f) for f in (
            "short_description", "description", "owner_group", "assignee", "priority",
            "root_cause", "workaround")}, prefix="edit")


class NewProblemForm(ProblemForm):
    incidents = forms.CharField(label=_lazy("Incidents"), required=False,
                                help_text=_lazy("Incident numbers, separated by spaces or commas."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["short_description"].required = False
        self.fields["short_description"].help_text = _lazy(
            "Leave empty to use the first incident's short description.")
        del self.fields["root_cause"], self.fields["workaround"]


class ActionForm(forms.Form):
    """The fields one lifecycle action asks for."""

    FIELDS = {
        ProblemAction.KNOWN_ERROR: ("workaround", "root_cause"),
        ProblemAction.RESOLVE: ("resolution", "root_cause"),
        ProblemAction.REOPEN: ("reason",),
        ProblemAction.CLOSE: ("reason",),
    }
    LABELS = {"workaround": _lazy("Workaround"), "root_cause": _lazy("Root cause"),
              "resolution": _lazy("Resolution"), "reason": _lazy("Reason")}

    def __init__(self, *args, action: ProblemAction, problem=None, **kwargs):
        super().__init__(*args, prefix=str(action), **kwargs)
        self.action = action
        self.label = action.label
        # The service says what is missing, in its own words: no field is required here.
        for name in self.FIELDS.get(action, ()):
            initial = getattr(problem, name, "") if name != "reason" else ""
            self.fields[name] = forms.CharField(
                label=self.LABELS[name], required=False, initial=initial,
                widget=forms.Textarea(attrs={"rows": 3}))


class LinkForm(forms.Form):
    incidents = forms.CharField(label=_lazy("Incident numbers"), max_length=4000,
                                help_text=_lazy("Separated by spaces or commas."))


class DismissForm(forms.Form):
    reason = forms.CharField(label=_lazy("Why is this not a problem?"), max_length=500)


class CandidateRuleForm(forms.ModelForm):
    class Meta:
        model = CandidateRule
        fields = ("is_active", "threshold", "window_days", "by_category", "by_service", "by_ci",
                  "by_text", "by_workaround")


# ---- helpers ------------------------------------------------------------------------------

def staff_required(view):
    """Signed in and support staff; anyone else gets the 404 page (problems do not leak)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_view_problems(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _render(request, template, context, status=200):
    return TemplateResponse(request, f"web/problems/{template}", {"nav": "problems", **context},
                            status=status)


def _problem_or_404(request, number):
    try:
        return selectors.problem_get(user=request.user, number=number)
    except NotFound:
        raise Http404 from None


def _numbers(text: str) -> list[str]:
    return [n.upper() for n in NUMBER_SPLIT.split(text or "") if n][:MAX_INCIDENTS]


def _incidents(request, numbers: list[str]) -> list:
    """The incidents by number as the person sees them; InvalidInput names the unknown ones."""
    found, missing = [], []
    for number in numbers:
        try:
            found.append(incident_selectors.incident_get(user=request.user, number=number))
        except NotFound:
            missing.append(number)
    if missing:
        raise InvalidInput(errors={"incidents": _("No incident %(numbers)s that you may see.") % {
            "numbers": ", ".join(missing)}})
    return found


def _offset(request) -> int:
    try:
        return max(0, min(int(request.GET.get("offset", 0)), 100_000))
    except ValueError:
        return 0


# ---- list and raise -----------------------------------------------------------------------

@staff_required
def problem_list(request):
    """Problems with filters: status (open by default), owner group, mine, words or numbers."""
    status = request.GET.get("status", "open")
    group = request.GET.get("group", "")
    filters = selectors.ProblemFilters(
        q=request.GET.get("q", "").strip()[:200], status=status,
        owner_group_id=int(group) if group.isdigit() else None,
        assignee_id=request.user.pk if request.GET.get("mine") else None)
    offset = _offset(request)
    try:
        rows, total = selectors.problem_list(user=request.user, filters=filters, offset=offset,
                                             limit=PAGE_SIZE)
    except InvalidInput:
        raise Http404 from None
    return _render(request, "list.html", {
        "rows": rows, "total": total, "filters": filters, "mine": bool(request.GET.get("mine")),
        "statuses": ProblemStatus.choices, "groups": SupportGroup.objects.filter(is_active=True),
        "next_offset": offset + PAGE_SIZE if offset + PAGE_SIZE < total else None,
        "may_raise": may_raise_problem(request.user),
        "may_triage": may_manage_problems(request.user)})


@staff_required
def problem_new(request):
    """Raise a problem from incidents: /problems/new/?incidents=INC…,INC… (or repeated)."""
    if not may_raise_problem(request.user):
        raise PermissionDenied
    given = " ".join(request.GET.getlist("incidents"))
    form = NewProblemForm(request.POST or None, initial={"incidents": given})
    preview = []
    if request.method == "POST" and form.is_valid():
        try:
            problem = _raise(request, form.cleaned_data)
        except InvalidInput as error:
            _add_errors(form, error, fallback="incidents")
        else:
            messages.success(request, _("Problem %(number)s is raised.") % {
                "number": problem.number})
            return redirect("web:problem", number=problem.number)
    elif request.method != "POST":
        preview = _preview(request, given)
    return _render(request, "new.html", {"form": form, "preview": preview},
                   status=422 if form.is_bound else 200)


def _raise(request, data: dict):
    incidents = _incidents(request, _numbers(data.pop("incidents", "")))
    if not incidents and not data.get("short_description"):
        raise InvalidInput(errors={"short_description": _(
            "State the problem, or name the incidents it comes from.")})
    data = {k: v for k, v in data.items() if v not in (None, "")}
    return services.problem_raise(by=request.user, incidents=incidents, data=data)


def _preview(request, given: str) -> list:
    """The incidents named in the address that the person may see (shown above the form)."""
    found = []
    for number in _numbers(given):
        try:
            found.append(incident_selectors.incident_get(user=request.user, number=number))
        except NotFound:
            pass  # the form names it when it is sent
    return found


# ---- one problem --------------------------------------------------------------------------

@staff_required
def problem_detail(request, number):
    """The problem, its linked incidents, the actions the person may take, and its history."""
    return _page(request, _problem_or_404(request, number))


def _page(request, problem, *, edit_form=None, action_form=None, link_form=None, status=200):
    user = request.user
    may_work = may_work_problem(user, problem)
    actions = services.allowed_problem_actions(user=user, problem=problem)
    action_forms = [action_form if action_form is not None and action_form.action == a
                    else ActionForm(action=a, problem=problem) for a in actions]
    return _render(request, "detail.html", {
        "problem": problem, "links": selectors.problem_incidents(problem=problem),
        "history": _history(problem),
        "configuration_items": list(problem.configuration_items.all()),
        "may_work": may_work and not problem.is_final,
        "may_link": may_link_incidents(user, problem) and not problem.is_final,
        "edit_form": edit_form or ProblemForm.for_problem(problem),
        "action_forms": action_forms, "link_form": link_form or LinkForm(prefix="link"),
        "edit_open": edit_form is not None}, status=status)


def _history(problem) -> list:
    """The history with statuses and fields named in the reader's language (stored as keys)."""
    rows = selectors.problem_history(problem=problem)
    for event in rows:
        event.from_label, event.to_label = (_status_label(event.from_status),
                                            _status_label(event.to_status))
        event.field_label = _field_label(event.field)
    return rows


def _status_label(value: str) -> str:
    return ProblemStatus(value).label if value in ProblemStatus.values else value


def _field_label(name: str) -> str:
    try:
        return capfirst(Problem._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


@staff_required
@require_POST
def problem_edit(request, number):
    problem = _problem_or_404(request, number)
    form = ProblemForm(request.POST, prefix="edit")
    if form.is_valid():
        data = form.cleaned_data
        if _apply(request, form, lambda: services.problem_update(problem=problem,
                                                                  by=request.user, data=data)):
            messages.success(request, _("The problem is saved."))
            return redirect("web:problem", number=number)
    return _page(request, problem, edit_form=form, status=422)


@staff_required
@require_POST
def problem_action(request, number, action):
    """Take one lifecycle action; errors show next to the action's fields."""
    problem = _problem_or_404(request, number)
    try:
        action = ProblemAction(action)
    except ValueError:
        raise Http404 from None
    form = ActionForm(request.POST, action=action, problem=problem)
    if form.is_valid():
        params = form.cleaned_data
        if _apply(request, form, lambda: services.problem_transition(
                problem=problem, action=action, by=request.user, **params)):
            return redirect("web:problem", number=number)
    return _page(request, problem, action_form=form, status=422)


@staff_required
@require_POST
def problem_link(request, number):
    problem = _problem_or_404(request, number)
    form = LinkForm(request.POST, prefix="link")
    if form.is_valid():
        numbers = _numbers(form.cleaned_data["incidents"])
        if _apply(request, form, lambda: services.problem_incidents_link(
                problem=problem, by=request.user, incidents=_incidents(request, numbers)),
                fallback="incidents"):
            return redirect("web:problem", number=number)
    return _page(request, problem, link_form=form, status=422)


@staff_required
@require_POST
def problem_unlink(request, number, incident_number):
    problem = _problem_or_404(request, number)
    try:
        incident = incident_selectors.incident_get(user=request.user, number=incident_number)
        services.problem_incident_unlink(problem=problem, by=request.user, incident=incident)
    except NotFound:
        raise Http404 from None
    except NotPermitted:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, error.message)
    return redirect("web:problem", number=number)


def _apply(request, form, apply, *, fallback=None) -> bool:
    """Run apply(); True when the person should go back to the problem's page."""
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


# ---- candidates ---------------------------------------------------------------------------

def _triage_or_404(request):
    if not may_manage_problems(request.user):
        raise Http404


@staff_required
def candidates(request):
    """Recurring incidents flagged by the scan: raise a problem from each, or dismiss it."""
    _triage_or_404(request)
    state = request.GET.get("state", CandidateState.OPEN)
    if state not in CandidateState.values:
        state = CandidateState.OPEN
    offset = _offset(request)
    rows, total = selectors.candidate_list(user=request.user, state=state, offset=offset,
                                           limit=PAGE_SIZE)
    incidents = selectors.candidate_incidents(rows)
    for row in rows:
        row.incident_rows = [incidents[pk] for pk in row.incident_ids if pk in incidents]
    return _render(request, "candidates.html", {
        "rows": rows, "total": total, "state": state, "states": CandidateState.choices,
        "rule": services.candidate_rule_get(), "dismiss_form": DismissForm(),
        "next_offset": offset + PAGE_SIZE if offset + PAGE_SIZE < total else None})


def _candidate_or_404(request, pk):
    try:
        return selectors.candidate_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


@staff_required
@require_POST
def candidate_raise(request, pk):
    candidate = _candidate_or_404(request, pk)
    try:
        problem = services.candidate_raise(candidate=candidate, by=request.user)
    except NotPermitted:
        raise PermissionDenied from None
    except (Conflict, InvalidInput) as error:
        messages.error(request, error.message)
        return redirect("web:problem_candidates")
    messages.success(request, _("Problem %(number)s is raised.") % {"number": problem.number})
    return redirect("web:problem", number=problem.number)


@staff_required
@require_POST
def candidate_dismiss(request, pk):
    candidate = _candidate_or_404(request, pk)
    form = DismissForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(errors={"reason": _("Say why this is not a problem.")})
        services.candidate_dismiss(candidate=candidate, by=request.user,
                                   reason=form.cleaned_data["reason"])
    except NotPermitted:
        raise PermissionDenied from None
    except (Conflict, InvalidInput) as error:
        messages.error(request, " ".join(str(m) for m in error.errors.values())
                       or error.message)
        return redirect("web:problem_candidates")
    messages.success(request, _("The candidate is dismissed."))
    return redirect("web:problem_candidates")


# ---- settings -----------------------------------------------------------------------------

@configurator_required
def settings_rule(request):
    """The candidate rule: threshold, window and which kinds of recurrence are flagged."""
    rule = services.candidate_rule_get()
    form = CandidateRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            services.candidate_rule_update(by=request.user, data=form.cleaned_data)
        except InvalidInput as error:
            _add_errors(form, error)
        except NotPermitted:
            raise PermissionDenied from None
        else:
            messages.success(request, _("The problem candidate rule is saved."))
            return redirect("web:settings-problems")
    return settings_render(request, "web/problems/settings.html", {"form": form, "rule": rule},
                           status=422 if form.is_bound else 200)
