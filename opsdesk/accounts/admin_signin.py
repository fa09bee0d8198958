"""Admin for failed sign-ins: the administrator sees who is locked out and unlocks them."""

from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from opsdesk.core.admin_site import AdministrationAdmin, admin_site


@admin.register(AccessAttempt, site=admin_site)
class AccessAttemptAdmin(AdministrationAdmin):
    """Failed sign-ins by user name and address (django-axes); unlocking deletes the rows."""

    read_only = True
    list_display = ("attempt_time", "username", "ip_address", "failures_since_start",
                    "path_info")
    list_filter = ("attempt_time",)
    search_fields = ("username", "ip_address")
    fields = ("attempt_time", "username", "ip_address", "user_agent", "path_info",
              "failures_since_start")
    readonly_fields = fields
    ordering = ("-attempt_time",)
    actions = ["unlock_selected"]

    def has_unlock_permission(self, request):
        return self._role_ok(request)

    @admin.action(description=_("Unlock: forget the selected failed attempts"),
                  permissions=["unlock"])
    def unlock_selected(self, request, queryset):
        count = queryset.count()
        queryset.delete()
        self.message_user(request, ngettext(
            "%(count)d record of failed attempts removed.",
            "%(count)d records of failed attempts removed.", count) % {"count": count},
            messages.SUCCESS)
