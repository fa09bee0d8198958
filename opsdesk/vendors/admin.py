"""Admin for third-party suppliers (process owner)."""

from django.contrib import admin

from opsdesk.core.admin_site import ActiveToggleMixin, ReferenceAdmin, admin_site

from .models import Vendor


@admin.register(Vendor, site=admin_site)
class VendorAdmin(ActiveToggleMixin, ReferenceAdmin):
    list_display = ("name", "contact_name", "phone", "email", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "contact_name", "phone", "email")
    fields = ("name", "contact_name", "phone", "email", "notes", "is_active")
    ordering = ("name",)
