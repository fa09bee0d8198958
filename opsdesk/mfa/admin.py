"""Authenticator apps in the administration site: who has one, and a reset action for a lost
phone (the same reset as the multi-factor settings page). The secret key is never shown."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from opsdesk.core.admin_site import AdministrationAdmin, admin_site

from . import services
from .models import Authenticator

SAFE_FIELDS = ("user", "name", "confirmed", "created_at", "last_used_at")


@admin.register(Authenticator, site=admin_site)
class AuthenticatorAdmin(AdministrationAdmin):
    """Read-only list of authenticator apps; the administrator may reset them."""

    read_only = True
    list_display = SAFE_FIELDS
    list_filter = ("confirmed",)
    search_fields = ("user__username", "user__display_name", "user__email")
    list_select_related = ("user",)
    fields = SAFE_FIELDS
    readonly_fields = SAFE_FIELDS
    actions = ["reset_selected"]

    @admin.action(description=_("Reset multi-factor sign-in of the selected people (lost phone)"))
    def reset_selected(self, request, queryset):
        people = {device.user for device in queryset.select_related("user")}
        done = sum(services.mfa_reset(user=person, by=request.user, request=request)
                   for person in people)
        self.message_user(request, ngettext(
            "Multi-factor sign-in of %(n)s person is reset.",
            "Multi-factor sign-in of %(n)s people is reset.", done) % {"n": done},
            messages.SUCCESS)
