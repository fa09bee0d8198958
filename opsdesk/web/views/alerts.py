"""The alert console of the service desk: incoming alerts, their state and the incident each went
to; acknowledge, silence, link or open an incident by hand; end or extend a silence; retry
payloads that failed.

Who may do what (intake.selectors): the desk, incident managers, engineers, process owners and
administrators look. Acknowledging, linking and opening incidents is the desk's and the
managers' work. Silences (create, end, extend) are also open to process owners and
administrators, who keep them under Settings anyway, and so is retrying a failed payload, which
follows a fix of the integration's settings. Engineers only look.
"""

from functools import wraps
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from opsdesk.core.exceptions import DomainError, InvalidInput, NotFound
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.intake import selectors
from opsdesk.intake.models import Alert, AlertPayload, Silence
from opsdesk.intake.services.alerts import (
    alert_acknowledge,
    alert_incident_create,
    alert_link,
    alert_silence_create,
)
from opsdesk.intake.services.console import silence_end, silence_extend
from opsdesk.intake.services.payloads import payload_retry

from ..intake_forms import AlertLinkForm, AlertSilenceForm, SilenceExtendForm
from .incidents import _add_errors

CONSOLE = "web/alerts/console.html"
DETAIL = "web/alerts/detail.html"


def _role_required(allowed):
    """Signed in and allowed by `allowed(user=…)`; anyone else gets the 403 page."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not allowed(user=request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


console_required = _role_required(selectors.alert_console_allowed)
act_required = _role_required(selectors.alert_act_allowed)
silence_required = _role_required(selectors.alert_silence_allowed)


@console_required
def console(request):
    """The live list (it refreshes itself every 10 s with the same filters) and failed payloads."""
    filters = selectors.AlertFilters.from_params(request.GET)
    silences = selectors.silences_active()
    rows, cursor = selectors.alert_list(filters=filters, cursor=request.GET.get("cursor", ""),
                                        silences=silences)
    failed, failed_count = selectors.payloads_failed()
    context = {
        "rows": rows, "filters": filters, "nav": "alerts", **_page_urls(request.GET, cursor),
        "filtered": filters != selectors.AlertFilters(),
        "integrations": selectors.integration_choices(),
        "statuses": Alert.Status.choices, "handlings": Alert.Handling.choices,
        "failed": failed, "failed_count": failed_count, "silences": silences,
        "extend_form": SilenceExtendForm(),
        "may_act": selectors.alert_act_allowed(user=request.user),
        "may_silence": selectors.alert_silence_allowed(user=request.user),
        "may_retry": selectors.payload_retry_allowed(user=request.user),
    }
    template = f"{CONSOLE}#live" if _partial(request) else CONSOLE
    return TemplateResponse(request, template, context)


def _partial(request) -> bool:
    """An htmx swap gets the page's live part; a history restore needs the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _page_urls(params, cursor: str) -> dict:
    """Links to the newest page (when paging) and the next one, with the same filters."""
    query = params.copy()
    paging = bool(query.pop("cursor", None))
    first = f"?{query.urlencode()}" if paging else ""
    query["cursor"] = cursor
    return {"first_url": first, "next_url": f"?{query.urlencode()}" if cursor else ""}


def _alert_or_404(pk: int) -> Alert:
    alert = selectors.alert_get(alert_id=pk)
    if alert is None:
        raise Http404
    return alert


def source_link(url: str) -> str:
    """The alert's source URL if it is a web address a browser may open, else ''."""
    parts = urlsplit(url or "")
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


def _detail_page(request, alert: Alert, *, status: int = 200, **forms):
    """The alert page; with htmx only its main part, carrying the messages with it."""
    context = {
        "alert": alert, "events": selectors.alert_events(alert=alert), "nav": "alerts",
        "source_url": source_link(alert.generator_url),
        "may_act": selectors.alert_act_allowed(user=request.user),
        "may_silence": selectors.alert_silence_allowed(user=request.user),
        "silence_form": forms.get("silence_form") or AlertSilenceForm(),
        "extend_form": forms.get("extend_form") or SilenceExtendForm(),
        "link_form": forms.get("link_form") or AlertLinkForm(),
    }
    template = f"{DETAIL}#detail" if _partial(request) else DETAIL
    return TemplateResponse(request, template, context, status=status)


@console_required
def detail(request, pk: int):
    """One alert: labels, annotations, source link, deliveries and (for the desk) actions."""
    return _detail_page(request, _alert_or_404(pk))


def _after(request, pk: int):
    """After an action: the alert's main part for htmx, else back where the person came from."""
    if request.htmx:
        return _detail_page(request, _alert_or_404(pk))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("web:alert", pk=pk)


def _refused(request, pk: int, error: DomainError):
    """A refusal the form cannot show (the alert changed meanwhile): a message, no 500."""
    messages.error(request, error.message)
    if request.htmx:
        return _detail_page(request, _alert_or_404(pk), status=422)
    return _after(request, pk)


def _submit(form, apply) -> bool:
    """Run apply() for a valid form; service errors go next to the form's fields."""
    if not form.is_valid():
        return False
    try:
        apply()
    except InvalidInput as error:
        _add_errors(form, error)
        return False
    except DomainError as error:  # the role was checked first: a refusal about this record
        form.add_error(None, error.message)
        return False
    return True


@act_required
@require_POST
def acknowledge(request, pk: int):
    """The desk has seen this alert; the console stops highlighting it."""
    alert = _alert_or_404(pk)
    alert_acknowledge(alert=alert, by=request.user)
    messages.success(request, _("Alert acknowledged: %(summary)s") % {"summary": alert.summary})
    return _after(request, pk)


@silence_required
@require_POST
def silence(request, pk: int):
    """Silence alerts with this alert's labels for some hours, with a comment."""
    alert = _alert_or_404(pk)
    form = AlertSilenceForm(request.POST)

    def apply():
        made = alert_silence_create(alert=alert, by=request.user, hours=form.cleaned_data["hours"],
                                    comment=form.cleaned_data["comment"])
        messages.success(request, _("Silenced until %(end)s: alerts with these labels open no "
                                    "incident meanwhile.") % {"end": _local(made.ends_at)})

    if _submit(form, apply):
        return _after(request, pk)
    return _detail_page(request, alert, status=422, silence_form=form)


@act_required
@require_POST
def link(request, pk: int):
    """Put the alert on an existing incident, typed by its number."""
    alert = _alert_or_404(pk)
    form = AlertLinkForm(request.POST)

    def apply():
        incident = _visible_incident(request.user, form.cleaned_data["number"])
        alert_link(alert=alert, incident=incident, by=request.user)
        messages.success(request, _incident_message(_("The alert is now on %(number)s."),
                                                    incident))

    if _submit(form, apply):
        return _after(request, pk)
    return _detail_page(request, alert, status=422, link_form=form)


@act_required
@require_POST
def incident_create(request, pk: int):
    """Open an incident for this alert by hand (one a rule dropped or a silence held)."""
    alert = _alert_or_404(pk)
    try:
        incident = alert_incident_create(alert=alert, by=request.user)
    except DomainError as error:
        return _refused(request, pk, error)
    messages.success(request, _incident_message(_("%(number)s is opened for this alert."),
                                                incident))
    return _after(request, pk)


# ---- silences in force: end or extend them -------------------------------------------------

@silence_required
@require_POST
def silence_end_view(request, pk: int):
    """End a one-off silence now: alerts it held open incidents again at their next delivery."""
    silence = get_object_or_404(Silence, pk=pk)
    try:
        ended = silence_end(silence=silence)
    except DomainError as error:
        messages.error(request, error.message)
        return _after_silence(request, status=422)
    if ended:
        messages.success(request, _silence_ended_message(silence))
    else:
        messages.info(request, _("This silence had already ended."))
    return _after_silence(request)


def _silence_ended_message(silence: Silence) -> str:
    held = selectors.alerts_held_firing(silence=silence)
    text = _("The silence has ended.")
    if held:
        text += " " + ngettext(
            "%(count)d alert it held is still firing: it opens an incident at its next "
            "delivery, or open one by hand.",
            "%(count)d alerts it held are still firing: they open incidents at their next "
            "delivery, or open one by hand.", held) % {"count": held}
    return text


@silence_required
@require_POST
def silence_extend_view(request, pk: int):
    """Let a one-off silence in force last some hours longer."""
    silence = get_object_or_404(Silence, pk=pk)
    form = SilenceExtendForm(request.POST)

    def apply():
        made = silence_extend(silence=silence, hours=form.cleaned_data["hours"])
        messages.success(request, _("The silence now lasts until %(end)s.")
                         % {"end": _local(made.ends_at)})

    if _submit(form, apply):
        return _after_silence(request)
    if alert := _alert_of(request):
        return _detail_page(request, alert, status=422, extend_form=form)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return _after_silence(request, status=422)


def _alert_of(request) -> Alert | None:
    """The alert whose page the silence form was on, if any."""
    pk = request.POST.get("alert", "")
    return selectors.alert_get(alert_id=int(pk)) if pk.isdigit() else None


def _after_silence(request, *, status: int = 200):
    """The alert's main part for htmx from its page; else back where the person came from."""
    alert = _alert_of(request)
    if request.htmx and alert is not None:
        return _detail_page(request, alert, status=status)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    if alert is not None:
        return redirect("web:alert", pk=alert.pk)
    return redirect(reverse("web:alerts") + "#silences")


@login_required
@require_POST
def payload_retry_view(request, pk: int):
    """Process a failed payload again, after its integration's mapping or the parser was fixed."""
    if not selectors.payload_retry_allowed(user=request.user):
        raise PermissionDenied
    payload = get_object_or_404(AlertPayload, pk=pk)
    if payload.state != AlertPayload.State.FAILED:
        messages.info(request, _("Payload %(id)s is no longer waiting for a retry.") % {
            "id": payload.pk})
    else:
        _retry(request, payload)
    return redirect(reverse("web:alerts") + "#payloads")


def _retry(request, payload: AlertPayload) -> None:
    try:
        done = payload_retry(payload=payload)
    except DomainError as error:
        messages.error(request, error.message)
        return
    values = {"id": payload.pk, "count": done.alert_count, "error": done.error}
    if done.state == AlertPayload.State.PROCESSED:
        messages.success(request, _("Payload %(id)s is processed: %(count)d alerts.") % values)
    elif done.state == AlertPayload.State.FAILED:
        messages.error(request, _("Payload %(id)s failed again: %(error)s") % values)
    else:
        messages.info(request, _("Payload %(id)s is queued again.") % values)


def _visible_incident(user, number: str):
    try:
        return incident_selectors.incident_get(user=user, number=number)
    except NotFound as error:
        raise InvalidInput(errors={"number": error.message}) from None


def _incident_message(text: str, incident) -> str:
    """The message with the incident's number as a link to its page."""
    link = format_html('<a href="{}">{}</a>', reverse("web:incident", args=[incident.number]),
                       incident.number)
    return mark_safe(conditional_escape(text) % {"number": link})


def _local(when) -> str:
    return formats.date_format(timezone.localtime(when), "Y-m-d H:i")

