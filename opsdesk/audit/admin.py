"""The audit log in the admin: read-only for everyone, the superuser included."""

from django.contrib import admin

from opsdesk.core.admin_site import ReferenceAdmin, admin_site

from .models import AuditEvent

FIELDS = ("seq", "at", "kind", "actor_username", "ip", "user_agent", "target_type",
          "target_id", "target_text", "details", "prev_hash", "hash")


@admin.register(AuditEvent, site=admin_site)
class AuditEventAdmin(ReferenceAdmin):
    """View only: nothing here adds, changes or deletes an entry (the page is /audit/)."""

    read_only = True
    actions = None
    show_full_result_count = False
    list_display = ("seq", "at", "kind", "actor_username", "ip", "target_text")
    list_filter = ("kind",)
    search_fields = ("actor_username",)
    fields = readonly_fields = FIELDS
    ordering = ("-seq",)
