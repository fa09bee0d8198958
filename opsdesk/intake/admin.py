"""Admin for mail intake: the mailboxes (secrets never shown again) and every inbound mail,
with the quarantine, a "retry" action and the original message as a download."""

from typing import ClassVar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from opsdesk.core.downloads import raw_mail_response
from opsdesk.core.admin_site import ActiveToggleMixin, AdministrationAdmin, admin_site
from opsdesk.core.exceptions import InvalidInput

from .imap import ImapSettingsError, settings_check
from .models import InboundMail, Mailbox
from .services.console import mailbox_save, sender_auth_check
from .services.mail import inbound_mail_retry


def _secret_field(label) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))


class MailboxForm(forms.ModelForm):
    """Secrets (password, OAuth2 client secret and refresh token) are write-only: typed in,
    never shown back; empty keeps the saved one."""

    SECRETS: ClassVar[dict] = {"password": _("A password is saved. Leave this empty to keep it."),
               "oauth_client_secret": _("A client secret is saved. Leave this empty to keep "
                                        "it."),
               "oauth_refresh_token": _("A refresh token is saved. Leave this empty to keep "
                                        "it; a new one the server sends replaces it by "
                                        "itself.")}
    password = _secret_field(_("password"))
    oauth_client_secret = _secret_field(_("client secret"))
    oauth_refresh_token = _secret_field(_("refresh token"))
    oauth_token_url = forms.URLField(
        label=_("token endpoint"), required=False, max_length=500, assume_scheme="https",
        help_text=Mailbox._meta.get_field("oauth_token_url").help_text)

    class Meta:
        model = Mailbox
        fields = ("name", "address", "host", "port", "security", "username", "auth_method",
                  "password", "oauth_grant", "oauth_token_url", "oauth_client_id",
                  "oauth_client_secret", "oauth_scope", "oauth_refresh_token", "folder",
                  "after_store", "move_to_folder", "poll_seconds", "is_active",
                  "create_contacts", "default_group", "default_category", "default_service",
                  "alert_integration", "sender_auth", "trusted_authserv_ids")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # a form that does not send it (an older client, a script) keeps the saved policy
        self.fields["sender_auth"].required = False
        for name, saved in self.SECRETS.items():
            if self.instance.pk and getattr(self.instance, name):
                self.fields[name].help_text = saved

    def clean(self):
        cleaned = super().clean()
        cleaned["sender_auth"] = cleaned.get("sender_auth") or self.instance.sender_auth
        for name in self.SECRETS:
            cleaned[name] = cleaned.get(name) or getattr(self.instance, name)
        probe = Mailbox(**{f: cleaned.get(f) or "" for f in (
            "host", "security", "after_store", "move_to_folder", "auth_method",
            "oauth_token_url", "oauth_client_id", "oauth_client_secret", "oauth_scope",
            "oauth_grant", "oauth_refresh_token")})
        try:
            settings_check(probe)
        except ImapSettingsError as error:
            raise ValidationError({error.field: str(error)}) from None
        probe.sender_auth = cleaned.get("sender_auth") or Mailbox.SenderAuth.OFF
        probe.trusted_authserv_ids = cleaned.get("trusted_authserv_ids") or ""
        try:
            sender_auth_check(probe)
        except InvalidInput as error:
            raise ValidationError(error.errors) from None
        return cleaned


@admin.register(Mailbox, site=admin_site)
class MailboxAdmin(ActiveToggleMixin, AdministrationAdmin):
    form = MailboxForm
    list_display = ("name", "address", "host", "security", "folder", "is_active",
                    "last_polled_at", "last_error_short")
    list_filter = ("is_active", "security")
    search_fields = ("name", "address", "host")
    readonly_fields = ("last_polled_at", "last_error")

    def save_model(self, request, obj, form, change):
        """Through the service, which also drops a kept OAuth2 token the change made stale."""
        mailbox_save(mailbox=obj, data=form.cleaned_data)

    @admin.display(description=_("last error"))
    def last_error_short(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error or "—"


@admin.register(InboundMail, site=admin_site)
class InboundMailAdmin(AdministrationAdmin):
    read_only = True
    list_display = ("received_at", "mailbox", "from_address", "subject", "state", "attempts",
                    "incident_link")
    list_filter = ("state", "mailbox")
    search_fields = ("subject", "from_address", "message_id", "incident__number")
    list_select_related = ("mailbox", "incident")
    fields = ("mailbox", "received_at", "state", "note", "attempts", "processed_at",
              "from_address", "subject", "message_id", "size", "incident_link", "comment",
              "raw_link", "dedup_key", "sender_verdict", "released_by", "released_at")
    readonly_fields = fields
    actions = ["retry"]

    def has_retry_permission(self, request) -> bool:
        return self._role_ok(request)

    @admin.action(description=_("Process the selected quarantined mails again"),
                  permissions=["retry"])
    def retry(self, request, queryset):
        states = [inbound_mail_retry(mail=m).state
                  for m in queryset.filter(state=InboundMail.State.QUARANTINED)]
        done = states.count(InboundMail.State.PROCESSED) + states.count(
            InboundMail.State.IGNORED)
        self.message_user(request, ngettext(
            "%(done)d of %(count)d mail processed; see the note of any still quarantined.",
            "%(done)d of %(count)d mails processed; see the note of any still quarantined.",
            len(states)) % {"done": done, "count": len(states)},
            messages.SUCCESS if done == len(states) else messages.WARNING)

    @admin.display(description=_("incident"))
    def incident_link(self, obj):
        return obj.incident.number if obj.incident else "—"

    @admin.display(description=_("original message"))
    def raw_link(self, obj):
        url = reverse("admin:intake_inboundmail_raw", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download (.eml)"))

    def get_urls(self):
        raw = path("<int:pk>/raw/", self.admin_site.admin_view(self.raw_view),
                   name="intake_inboundmail_raw")
        return [raw, *super().get_urls()]

    def raw_view(self, request, pk: int):
        """The mail exactly as received, always as a download."""
        if not self.has_view_permission(request):
            raise Http404
        return raw_mail_response(get_object_or_404(InboundMail, pk=pk))
