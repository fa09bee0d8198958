"""Settings: mailboxes and the mail quarantine (process owners and administrators)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from opsdesk.core.downloads import raw_mail_response
from opsdesk.core.exceptions import DomainError, InvalidInput
from opsdesk.intake import selectors
from opsdesk.intake.models import InboundMail, Mailbox
from opsdesk.intake.services import console as services
from opsdesk.intake.services.mail import (
    inbound_mail_discard,
    inbound_mail_release,
    inbound_mail_retry,
    mailbox_connection_test,
    mailbox_poll,
)

from ..intake_forms import MailboxForm
from .incidents import _add_errors
from .settings_pages import configurator_required, render

MAIL_TABS = (InboundMail.State.QUARANTINED, InboundMail.State.IGNORED,
             InboundMail.State.DISCARDED)


@configurator_required
def mailboxes(request):
    """Every mailbox with its server, when it was last polled and its last error."""
    rows = Mailbox.objects.select_related("default_group").order_by("-is_active", "name")
    return render(request, "web/settings/intake/mailboxes.html", {"mailboxes": rows})


@configurator_required
def mailbox_edit(request, pk: int | None = None):
    """Add a mailbox, or change one; its secrets are never shown, and blank keeps them."""
    mailbox = get_object_or_404(Mailbox, pk=pk) if pk is not None else None
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.mailbox_save(mailbox=mailbox, data=form.cleaned_data)
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The mailbox %(name)s is saved.") % {"name": saved.name})
            return redirect("web:settings-mailboxes")
    return render(request, "web/settings/intake/mailbox_edit.html",
                  {"form": form, "mailbox": mailbox}, status=422 if form.is_bound else 200)


@configurator_required
@require_POST
def mailbox_poll_view(request, pk: int):
    """Poll the mailbox now instead of waiting for its interval."""
    mailbox = get_object_or_404(Mailbox, pk=pk)
    new = mailbox_poll(mailbox=mailbox)
    if mailbox.last_error:
        messages.error(request, _("Polling %(name)s failed: %(error)s") % {
            "name": mailbox.name, "error": mailbox.last_error})
    else:
        messages.success(request, ngettext("%(name)s: %(count)d new mail.",
                                           "%(name)s: %(count)d new mails.", new) % {
            "name": mailbox.name, "count": new})
    return redirect("web:settings-mailboxes")


@configurator_required
@require_POST
def mailbox_test_view(request, pk: int):
    """Sign in and open the folder now, fetching nothing: do the settings work?"""
    mailbox = get_object_or_404(Mailbox, pk=pk)
    unseen, error = mailbox_connection_test(mailbox=mailbox)
    if error:
        messages.error(request, _("The connection to %(name)s failed: %(error)s") % {
            "name": mailbox.name, "error": error})
    else:
        messages.success(request, ngettext(
            "The connection to %(name)s works: signed in as %(user)s with %(method)s; "
            "%(folder)s has %(count)d unread mail.",
            "The connection to %(name)s works: signed in as %(user)s with %(method)s; "
            "%(folder)s has %(count)d unread mails.", unseen) % {
            "name": mailbox.name, "user": mailbox.username, "count": unseen,
            "method": mailbox.get_auth_method_display(), "folder": mailbox.folder})
    return redirect("web:settings-mailbox-edit", pk=mailbox.pk)


@configurator_required
def quarantine(request):
    """Mails that could not be processed (retry them), or those ignored as automatic."""
    state = request.GET.get("state") or InboundMail.State.QUARANTINED
    if state not in MAIL_TABS:
        raise Http404
    return render(request, "web/settings/intake/quarantine.html", {
        "mails": selectors.inbound_mails(state=state), "state": state,
        "tabs": [(tab, InboundMail.State(tab).label) for tab in MAIL_TABS]})


@configurator_required
@require_POST
def mail_retry(request, pk: int):
    """Process a quarantined mail again, once its cause is fixed."""
    return _quarantine_act(request, pk, lambda mail: _processed_message(
        request, inbound_mail_retry(mail=mail)))


@configurator_required
@require_POST
def mail_release(request, pk: int):
    """Process a mail held for an unauthenticated sender as from its From address: the
    person releasing it vouches for the sender."""
    return _quarantine_act(request, pk, lambda mail: _processed_message(
        request, inbound_mail_release(mail=mail, by=request.user)))


@configurator_required
@require_POST
def mail_discard(request, pk: int):
    """Set a quarantined mail aside: nothing is created; the original stays downloadable."""
    def discard(mail):
        inbound_mail_discard(mail=mail, by=request.user)
        messages.success(request, _("The mail is discarded."))

    return _quarantine_act(request, pk, discard)


def _quarantine_act(request, pk: int, act):
    """Do `act(mail)` to one quarantined mail; a refusal becomes the page's error message."""
    mail = get_object_or_404(InboundMail, pk=pk)
    try:
        act(mail)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("web:settings-mail-quarantine"))


def _processed_message(request, done: InboundMail) -> None:
    if done.state == InboundMail.State.QUARANTINED:
        messages.error(request, _("The mail is still quarantined: %(note)s") % {
            "note": done.note})
    else:
        messages.success(request, _("The mail is processed: %(state)s.") % {
            "state": done.get_state_display()})


@configurator_required
def mail_original(request, pk: int):
    """The mail exactly as received, always as a download that cannot run anything."""
    return raw_mail_response(get_object_or_404(InboundMail, pk=pk))
