"""Admin for notification endpoints (secrets never shown again) and the delivery log (read-only)."""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from opsdesk.core.admin_site import ActiveToggleMixin, AdministrationAdmin, admin_site
from opsdesk.core.exceptions import Conflict
from opsdesk.core.netguard import outbound_url_error

from .choices import EndpointKind
from .models import Delivery, Endpoint
from .services import delivery_retry


def url_hint(url: str) -> str:
    """Scheme and host only: robot URLs carry their access token in the path or query."""
    parts = urlsplit(url)
    rest = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{rest}"


class EndpointForm(forms.ModelForm):
    """The secret is write-only: typed in, never shown back; empty keeps the saved one."""

    url = forms.URLField(label=_("URL"), max_length=1000, assume_scheme="https")
    secret = forms.CharField(
        label=_("secret"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("HMAC key of a webhook, or the signing secret of a DingTalk (SEC…) or "
                    "Feishu robot. WeCom robots need none."))
    clear_secret = forms.BooleanField(label=_("remove the saved secret"), required=False)

    class Meta:
        model = Endpoint
        fields = ("kind", "name_zh", "name_en", "url", "secret", "clear_secret", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.secret:
            self.fields["secret"].help_text = _(
                "A secret is saved (%(hint)s). Leave this empty to keep it.") % {
                "hint": self.instance.secret_hint}

    def clean_url(self):
        """Not an internal address, unless OPSDESK_OUTBOUND_ALLOW allows it (SSRF)."""
        url = self.cleaned_data["url"]
        if error := outbound_url_error(url):
            raise forms.ValidationError(error)
        return url

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_secret"):
            cleaned["secret"] = ""
        elif not cleaned.get("secret"):
            cleaned["secret"] = self.instance.secret
        if cleaned.get("kind") == EndpointKind.WEBHOOK and not cleaned["secret"]:
            self.add_error("secret", _("A webhook needs a secret to sign its posts with."))
        return cleaned


@admin.register(Endpoint, site=admin_site)
class EndpointAdmin(ActiveToggleMixin, AdministrationAdmin):
    form = EndpointForm
    list_display = ("name_zh", "name_en", "kind", "masked_url", "masked_secret", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name_zh", "name_en")
    ordering = ("kind", "name_en")

    @admin.display(description=_("URL"))
    def masked_url(self, obj):
        return url_hint(obj.url)

    @admin.display(description=_("secret"))
    def masked_secret(self, obj):
        return obj.secret_hint or "—"


@admin.register(Delivery, site=admin_site)
class DeliveryAdmin(AdministrationAdmin):
    read_only = True
    list_display = ("created_at", "channel", "recipient", "subject", "status", "attempts",
                    "next_attempt_at", "sent_at")
    list_filter = ("status", "channel")
    search_fields = ("idempotency_key", "email", "subject", "thread_key")
    list_select_related = ("endpoint",)
    actions = ["send_again"]

    def has_retry_permission(self, request) -> bool:
        return self._role_ok(request)

    @admin.action(description=_("Send the selected deliveries again now"),
                  permissions=["retry"])
    def send_again(self, request, queryset):
        done = 0
        for delivery in queryset:
            try:
                delivery_retry(delivery=delivery)
                done += 1
            except Conflict:
                continue
        self.message_user(request, ngettext("%(count)d delivery queued again.",
                                           "%(count)d deliveries queued again.", done)
                          % {"count": done}, messages.SUCCESS)
