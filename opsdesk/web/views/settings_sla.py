"""Settings: SLA policies (process owners and administrators). Every change goes through
opsdesk.sla.policies, which forgets the cached policies so new incidents use the edit at once."""

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opsdesk.core.exceptions import InvalidInput
from opsdesk.reference.models import PendingReason
from opsdesk.sla import policies
from opsdesk.sla.models import PAUSE_STATUS_CHOICES, SlaPolicy
from opsdesk.sla.selectors import calendar_snapshot
from opsdesk.sla.targets import target_text

from ..sla_forms import SlaPolicyForm
from .incidents import _add_errors
from .settings_pages import configurator_required, render


@configurator_required
def sla_policies(request):
    """Every policy with what it matches, its targets on their calendars, pauses and rules."""
    rows = (SlaPolicy.objects.select_related(
        "priority", "service", "organisation", "response_calendar", "resolution_calendar",
        "auto_close_calendar")
        .prefetch_related(Prefetch("resolution_pause_reasons",
                                   queryset=PendingReason.objects.order_by("sort_order", "code")))
        .order_by("-is_active", "priority__level", "sort_order", "code"))
    for row in rows:
        row.response_text = _target(row.response_seconds, row.response_calendar_id)
        row.resolution_text = _target(row.resolution_seconds, row.resolution_calendar_id)
        row.response_pause_labels = _pause_labels(row.response_pause_statuses)
        row.resolution_pause_labels = _pause_labels(row.resolution_pause_statuses)
    return render(request, "web/settings/sla.html", {"policies": rows})


@configurator_required
def sla_policy_edit(request, code: str | None = None):
    """Create a policy, or change one; saved with its pause reasons or not at all."""
    policy = get_object_or_404(SlaPolicy, code=code) if code is not None else None
    form = SlaPolicyForm(request.POST or None, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            policy = _save(form, policy)
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The SLA policy %(code)s is saved; new incidents use "
                                        "it now, running clocks keep their targets.") % {
                "code": policy.code})
            return redirect("web:settings-sla")
    return render(request, "web/settings/sla_edit.html", {"form": form, "policy": policy},
                  status=422 if form.is_bound else 200)


@configurator_required
@require_POST
def sla_policy_active(request, code: str):
    """Deactivate a policy (running clocks keep it), or activate it again."""
    policy = get_object_or_404(SlaPolicy, code=code)
    active = request.POST.get("active") == "1"
    policies.policy_set_active(policy=policy, active=active)
    messages.success(request, (_("The SLA policy %(code)s is active again.") if active else
                               _("The SLA policy %(code)s is deactivated.")) % {"code": code})
    return redirect("web:settings-sla")


def _save(form: SlaPolicyForm, policy: SlaPolicy | None) -> SlaPolicy:
    reasons = form.cleaned_data["resolution_pause_reasons"]
    if policy is None:
        return policies.policy_create(code=form.cleaned_data["code"],
                                      data=form.policy_values(), pause_reasons=reasons)
    return policies.policy_update(policy=policy, data=form.policy_values(),
                                  pause_reasons=reasons)


def _pause_labels(statuses) -> list[str]:
    """The names of the pausing statuses, in the form's order."""
    return [str(label) for value, label in PAUSE_STATUS_CHOICES if value in (statuses or ())]


def _target(seconds: int, calendar_code: str) -> str:
    calendar = calendar_snapshot(code=calendar_code)
    return target_text(seconds, workday_seconds=calendar.workday_seconds,
                       round_the_clock=calendar.is_24x7)
