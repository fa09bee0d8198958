"""Admin for mail intake: the mailboxes (password never shown again) and every inbound mail,
with the quarantine, a "retry" action and the original message as a download."""

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

from .imap import ImapSettingsError, settings_check
from .models import InboundMail, Mailbox
from .services.mail import inbound_mail_retry


class MailboxForm(forms.ModelForm):
    """The password is write-only: typed in, never shown back; empty keeps the saved one."""

    password = forms.CharField(
        label=_("password"), required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))

    class Meta:
        model = Mailbox
        fields = ("name", "address", "host", "port", "security", "username", "password",
                  "folder", "after_store", "move_to_folder", "poll_seconds", "is_active",
                  "create_contacts", "default_group", "default_category", "default_service",
                  "alert_integration")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.password:
            self.fields["password"].help_text = _("A password is saved. Leave this empty to "
                                                  "keep it.")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("password"):
            cleaned["password"] = self.instance.password
        probe = Mailbox(**{f: cleaned.get(f) or "" for f in (
            "host", "security", "after_store", "move_to_folder")})
        try:
            settings_check(probe)
        except ImapSettingsError as error:
            raise ValidationError(str(error)) from None
        return cleaned


@admin.register(Mailbox, site=admin_site)
class MailboxAdmin(ActiveToggleMixin, AdministrationAdmin):
    form = MailboxForm
    list_display = ("name", "address", "host", "security", "folder", "is_active",
                    "last_polled_at", "last_error_short")
    list_filter = ("is_active", "security")
    search_fields = ("name", "address", "host")
    readonly_fields = ("last_polled_at", "last_error")

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
              "raw_link", "dedup_key")
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
