"""Major-incident pages: the list, the major-incident page and its actions, the portal's
"affects me too", and the process owner's rules. Views are thin: forms collect, services decide."""

import re
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from opsdesk.accounts.models import User
from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.models import Incident
from opsdesk.major import selectors, services
from opsdesk.major.affected import affected_attach, affected_summary
from opsdesk.major.criteria import criteria_list, criteria_replace, rule_describe
from opsdesk.major.models import MajorState, RuleAction, RuleKind
from opsdesk.major.permissions import (
    may_decide, may_edit_criteria, may_propose, may_run, may_view_majors)
from opsdesk.reference.models import Impact, Priority

from ..timeline import timeline_entries

STATE_FILTERS = {"open": (MajorState.CANDIDATE, MajorState.DECLARED),
                 "candidate": (MajorState.CANDIDATE,), "declared": (MajorState.DECLARED,),
                 "all": None}


def staff_required(view):
    """Signed in and support staff; anyone else gets the 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_view_majors(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class UpdateForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Update"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=5000)
    is_public = forms.BooleanField(label=gettext_lazy("Public (copied to every child as a reply)"),
                                   required=False, initial=True)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class DeclareForm(forms.Form):
    manager = forms.ModelChoiceField(
        label=gettext_lazy("Major-incident manager"), required=False,
        queryset=User.objects.filter(is_incident_manager=True, is_active=True).order_by(
            "username"))
    cadence_minutes = forms.IntegerField(label=gettext_lazy("Update every (minutes)"),
                                         required=False, min_value=5, max_value=24 * 60)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, required=False)


class ChildrenForm(forms.Form):
    numbers = forms.CharField(label=gettext_lazy("Incident numbers"), max_length=2000,
                              help_text=gettext_lazy("Separated by spaces or commas."))


def _major_or_404(request, number):
    try:
        return selectors.major_get(user=request.user, number=number)
    except NotFound:
        raise Http404 from None


def _add_errors(form, error: InvalidInput) -> None:
    if not error.errors:
        form.add_error(None, error.message)
    for field, message in error.errors.items():
        form.add_error(field if field in form.fields else None, message)


@staff_required
def major_list(request):
    """Major incidents and candidates, newest first; ?state=open|candidate|declared|all."""
    state = request.GET.get("state", "open")
    if state not in STATE_FILTERS:
        state = "open"
    rows = selectors.major_list(user=request.user, states=STATE_FILTERS[state])
    return TemplateResponse(request, "web/major/list.html", {
        "majors": rows, "state": state, "states": list(STATE_FILTERS), "nav": "major"})


def _page_context(request, major, forms_=None) -> dict:
    user, forms_ = request.user, forms_ or {}
    incident = incident_selectors.incident_get(user=user, number=major.incident.number)
    children = selectors.major_children(major=major)
    updates = selectors.major_updates(major=major)
    return {
        "major": major, "incident": incident, "children": children,
        "children_open": sum(1 for c in children if c.status < 40),
        "updates": updates, "alerts": selectors.major_alerts(major=major),
        "timeline": timeline_entries(user=user, incident=incident),
        "affected": affected_summary(incident=incident),
        "stakeholders": list(major.stakeholders.all()),
        "services": list(major.services.all()),
        "missed": selectors.update_is_missed(major),
        "may_decide": may_decide(user), "may_run": may_run(user, major),
        "update_form": forms_.get("update") or UpdateForm(),
        "declare_form": forms_.get("declare") or DeclareForm(initial={"manager": user.pk}
                                                             if may_decide(user) else None),
        "reject_form": forms_.get("reject") or ReasonForm(),
        "children_form": forms_.get("children") or ChildrenForm(),
        "nav": "major",
    }


@staff_required
def major_detail(request, number):
    """The major-incident page; htmx asks for its live part every 30 s."""
    major = _major_or_404(request, number)
    context = _page_context(request, major)
    template = "web/major/_live.html" if request.htmx else "web/major/detail.html"
    return TemplateResponse(request, template, context)


def _run(request, number, form, apply, key):
    """Validate, call the service, and answer like the incident page does."""
    major = _major_or_404(request, number)
    if form.is_valid():
        try:
            apply(major, form.cleaned_data)
        except InvalidInput as error:
            _add_errors(form, error)
        except NotPermitted:
            raise PermissionDenied from None
        except Conflict as error:
            messages.error(request, error.message)
            return redirect("web:major_detail", number=number)
        else:
            return redirect("web:major_detail", number=number)
    major = _major_or_404(request, number)
    return TemplateResponse(request, "web/major/detail.html",
                            _page_context(request, major, {key: form}), status=422)


@staff_required
@require_POST
def major_update(request, number):
    """Post a status update."""
    def apply(major, data):
        services.major_update_post(major=major, by=request.user, text=data["text"],
                                   is_public=data["is_public"])
        messages.success(request, _("The update is posted."))
    return _run(request, number, UpdateForm(request.POST), apply, "update")


@staff_required
@require_POST
def major_promote(request, number):
    """Promote a candidate (or declare again after a rejection)."""
    def apply(major, data):
        services.major_declare(incident=major.incident, by=request.user,
                               manager=data["manager"], reason=data["reason"] or "",
                               cadence_minutes=data["cadence_minutes"])
        messages.success(request, _("The major incident is declared."))
    return _run(request, number, DeclareForm(request.POST), apply, "declare")


@staff_required
@require_POST
def major_reject(request, number):
    """Reject a candidate, with a reason."""
    def apply(major, data):
        services.major_reject(major=major, by=request.user, reason=data["reason"])
        messages.success(request, _("The candidate is rejected."))
    return _run(request, number, ReasonForm(request.POST), apply, "reject")


def _numbers(text: str) -> list[str]:
    return [n for n in re.split(r"[\s,;]+", text.upper()) if n]


@staff_required
@require_POST
def major_children(request, number):
    """Link incidents by number as children of the master."""
    def apply(major, data):
        numbers = _numbers(data["numbers"])
        found = {i.number: i for i in Incident.objects.restrict(request.user)
                 .filter(number__in=numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise InvalidInput(errors={"numbers": _("Not found: %(numbers)s.") % {
                "numbers": ", ".join(missing)}})
        services.major_children_link(major=major, by=request.user,
                                     children=[found[n] for n in numbers])
        messages.success(request, _("%(n)s incidents are linked.") % {"n": len(numbers)})
    return _run(request, number, ChildrenForm(request.POST), apply, "children")


@staff_required
@require_POST
def major_unlink(request, number, child):
    """Unlink one child."""
    major = _major_or_404(request, number)
    try:
        incident = incident_selectors.incident_get(user=request.user, number=child)
        services.major_child_unlink(major=major, by=request.user, child=incident)
    except NotFound:
        raise Http404 from None
    except NotPermitted:
        raise PermissionDenied from None
    except (InvalidInput, Conflict) as error:
        messages.error(request, error.message if not error.errors
                       else " ".join(str(m) for m in error.errors.values()))
    return redirect("web:major_detail", number=number)


@login_required
@require_POST
def major_propose(request, number):
    """Propose the incident as a major incident (from its page), or declare it at once."""
    if not may_propose(request.user):
        raise PermissionDenied
    try:
        incident = incident_selectors.incident_get(user=request.user, number=number)
    except NotFound:
        raise Http404 from None
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("declare") and may_decide(request.user):
            services.major_declare(incident=incident, by=request.user, reason=reason)
            messages.success(request, _("The major incident is declared."))
            return redirect("web:major_detail", number=number)
        services.major_propose(incident=incident, by=request.user, reason=reason)
        messages.success(request, _("The major incident is proposed to the incident managers."))
    except NotPermitted:
        raise PermissionDenied from None
    except (InvalidInput, Conflict) as error:
        messages.error(request, " ".join(str(m) for m in error.errors.values())
                       if error.errors else error.message)
    return redirect("web:incident", number=number)


@login_required
@require_POST
def major_affected(request, number):
    """"Affects me too" from the portal: one click, idempotent; back to where it was clicked."""
    incident = Incident.objects.filter(number=number).first()
    if incident is None:
        raise Http404
    try:
        _row, created = affected_attach(incident=incident, user=request.user)
    except NotFound:
        raise Http404 from None
    except NotPermitted:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you: you are counted as affected, and we will tell "
                                    "you when it is resolved.") if created else
                         _("You are already counted as affected."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = ""
    return redirect(back or "web:portal")


# ---- the process owner's rules ---------------------------------------------------------

class RuleForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=[("", "—")] + RuleKind.choices,
                             required=False)
    action = forms.ChoiceField(label=gettext_lazy("Then"), choices=RuleAction.choices)
    priority = forms.ModelChoiceField(label=gettext_lazy("Priority"), required=False,
                                      queryset=Priority.objects.all())
    impact = forms.ModelChoiceField(label=gettext_lazy("Impact"), required=False,
                                    queryset=Impact.objects.all())
    service = forms.ModelChoiceField(label=gettext_lazy("Service"), required=False,
                                     queryset=None)
    count = forms.IntegerField(label=gettext_lazy("Count"), required=False, min_value=0)
    window_minutes = forms.IntegerField(label=gettext_lazy("Within (minutes)"), required=False,
                                        min_value=0)
    cadence_minutes = forms.IntegerField(label=gettext_lazy("Update every (minutes)"), initial=30,
                                         min_value=1)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        from opsdesk.cmdb.models import Service

        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.order_by("code")


RuleFormSet = forms.formset_factory(RuleForm, extra=2, max_num=50)


@login_required
def criteria_settings(request):
    """The process owner's declaration rules, edited as one set."""
    if not may_edit_criteria(request.user):
        raise PermissionDenied
    initial = [{"kind": r.kind, "action": r.action, "priority": r.priority_id,
                "impact": r.impact_id, "service": r.service_id, "count": r.count,
                "window_minutes": r.window_minutes, "cadence_minutes": r.cadence_minutes,
                "is_active": r.is_active} for r in criteria_list()]
    formset = RuleFormSet(request.POST or None, initial=initial, prefix="rules")
    status = 200
    if request.method == "POST":
        status = 422
        if formset.is_valid():
            rows = [f.cleaned_data for f in formset if f.cleaned_data.get("kind")]
            try:
                criteria_replace(by=request.user, rules=rows)
            except InvalidInput as error:
                _formset_errors(formset, error, rows)
            else:
                messages.success(request, _("The major-incident rules are saved."))
                return redirect("web:settings-major")
    return TemplateResponse(request, "web/major/settings.html", {
        "formset": formset, "rules": [(r, rule_describe(r)) for r in criteria_list()],
        "nav": "settings"}, status=status)


def _formset_errors(formset, error: InvalidInput, rows) -> None:
    forms_with_kind = [f for f in formset if f.cleaned_data.get("kind")]
    for key, message in error.errors.items():
        _rules, n, field = key.split(".", 2)
        form = forms_with_kind[int(n)]
        form.add_error(field if field in form.fields else None, message)

