"""Settings: alert integrations, filter rules and silences (process owners and administrators).
Every change goes through opsdesk.intake.services.console."""

from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opsdesk.core.exceptions import InvalidInput
from opsdesk.intake.models import AlertIntegration, AlertRule, Silence
from opsdesk.intake.services import console as services

from ..intake_forms import AlertRuleForm, IntegrationForm, SilenceForm
from .incidents import _add_errors
from .settings_pages import configurator_required, render

TOKEN_SESSION_KEY = "intake-alert-url-%s"
SILENCES_ENDED_SHOWN = timedelta(days=7)
SILENCE_DEFAULT_LENGTH = timedelta(hours=2)


# ---- alert integrations ------------------------------------------------------------------

@configurator_required
def integrations(request):
    """Every integration with its kind, token hint, defaults and whether it is active."""
    rows = AlertIntegration.objects.select_related("default_group").order_by("-is_active", "name")
    return render(request, "web/settings/intake/integrations.html", {"integrations": rows})


@configurator_required
def integration_edit(request, pk: int | None = None):
    """Add an integration (its URL is shown once, right after) or change one's settings."""
    integration = get_object_or_404(AlertIntegration, pk=pk) if pk is not None else None
    form = IntegrationForm(request.POST or None, instance=integration)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _integration_save(request, integration, form.cleaned_data)
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The integration %(name)s is saved.") % {
                "name": saved.name})
            return redirect("web:settings-integration-edit", pk=saved.pk)
    context = {"form": form, "integration": integration,
               "alert_url": _alert_url_pop(request, integration)}
    return render(request, "web/settings/intake/integration_edit.html", context,
                  status=422 if form.is_bound else 200)


def _integration_save(request, integration, data: dict) -> AlertIntegration:
    if integration is not None:
        return services.integration_update(integration=integration, data=data)
    created, token = services.integration_create(data=data)
    _alert_url_keep(request, created, token)
    return created


@configurator_required
@require_POST
def integration_token(request, pk: int):
    """A new token: the new URL is shown once; the old one stops working at once."""
    integration = get_object_or_404(AlertIntegration, pk=pk)
    _alert_url_keep(request, integration, services.integration_token_renew(
        integration=integration))
    messages.success(request, _("The integration %(name)s has a new URL; the old one no longer "
                                "works.") % {"name": integration.name})
    return redirect("web:settings-integration-edit", pk=pk)


def _alert_url_keep(request, integration: AlertIntegration, token: str) -> None:
    """Keep the full URL until the next page shows it (once), after the redirect."""
    url = request.build_absolute_uri(reverse("api-v1:alerts_post", kwargs={"token": token}))
    request.session[TOKEN_SESSION_KEY % integration.pk] = url


def _alert_url_pop(request, integration) -> str:
    if integration is None or request.method == "POST":
        return ""
    return request.session.pop(TOKEN_SESSION_KEY % integration.pk, "")


# ---- filter rules ------------------------------------------------------------------------

@configurator_required
def rules(request):
    """Every filter rule in the order they are tried; the first that matches decides."""
    rows = AlertRule.objects.select_related("integration").order_by("position", "id")
    return render(request, "web/settings/intake/rules.html", {"rules": rows})


@configurator_required
def rule_edit(request, pk: int | None = None):
    """Add a filter rule, or change one."""
    rule = get_object_or_404(AlertRule, pk=pk) if pk is not None else None
    form = AlertRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            services.alert_rule_save(rule=rule, data=form.cleaned_data)
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The filter rule is saved."))
            return redirect("web:settings-alert-rules")
    return render(request, "web/settings/intake/rule_edit.html", {"form": form, "rule": rule},
                  status=422 if form.is_bound else 200)


@configurator_required
@require_POST
def rule_delete(request, pk: int):
    """Remove a filter rule."""
    services.alert_rule_delete(rule=get_object_or_404(AlertRule, pk=pk))
    messages.success(request, _("The filter rule is deleted."))
    return redirect("web:settings-alert-rules")


# ---- silences and maintenance windows ----------------------------------------------------

@configurator_required
def silences(request):
    """Silences and maintenance windows: in force or planned, then those ended this week."""
    now = timezone.now()
    recent = Q(ends_at__gt=now - SILENCES_ENDED_SHOWN) | (
        ~Q(repeat="") & (Q(repeat_until__isnull=True)
                         | Q(repeat_until__gt=now - SILENCES_ENDED_SHOWN)))
    rows = list(Silence.objects.select_related("integration", "created_by")
                .filter(recent).order_by("-ends_at", "-id")[:500])
    for row in rows:
        row.state = _silence_state(row, now)
    return render(request, "web/settings/intake/silences.html", {"silences": rows})


def _silence_state(row: Silence, now) -> str:
    """"active" (an occurrence is in force), "planned" (one is still to come) or "ended"."""
    if row.occurrence_end(now):
        return "active"
    if row.starts_at > now:
        return "planned"
    if row.repeat and (row.repeat_until is None or row.repeat_until > now):
        return "planned"
    return "ended"


@configurator_required
def silence_edit(request, pk: int | None = None):
    """Add a silence or maintenance window, or change one (times in the reader's zone)."""
    silence = get_object_or_404(Silence, pk=pk) if pk is not None else None
    form = SilenceForm(request.POST or None, instance=silence,
                       initial=_silence_initial() if silence is None else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.silence_save(silence=silence, data=form.cleaned_data, by=request.user)
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The silence is saved."))
            return redirect("web:settings-silences")
    return render(request, "web/settings/intake/silence_edit.html",
                  {"form": form, "silence": silence}, status=422 if form.is_bound else 200)


def _silence_initial() -> dict:
    now = timezone.now().replace(second=0, microsecond=0)
    return {"starts_at": now, "ends_at": now + SILENCE_DEFAULT_LENGTH}


@configurator_required
@require_POST
def silence_expire_view(request, pk: int):
    """End a silence now: alerts firing from now on open incidents again."""
    if services.silence_expire(silence=get_object_or_404(Silence, pk=pk)):
        messages.success(request, _("The silence has ended."))
    return redirect("web:settings-silences")


@configurator_required
@require_POST
def silence_delete_view(request, pk: int):
    """Remove a silence from the list."""
    services.silence_delete(silence=get_object_or_404(Silence, pk=pk))
    messages.success(request, _("The silence is deleted."))
    return redirect("web:settings-silences")
