"""Admin for third-party suppliers, their contacts and contracts (process owner).

Engagements are written only through the services (from the incident page or the API), so the
admin shows them read-only.
"""

from django.contrib import admin

from opsdesk.core.admin_site import ActiveToggleMixin, ReferenceAdmin, RoleAccessMixin, admin_site

from .models import Vendor, VendorContact, VendorContract, VendorEngagement


class VendorContactInline(RoleAccessMixin, admin.TabularInline):
    model = VendorContact
    extra = 0
    fields = ("name", "role", "phone", "email", "is_escalation", "escalation_level",
              "sort_order", "is_active")


@admin.register(Vendor, site=admin_site)
class VendorAdmin(ActiveToggleMixin, ReferenceAdmin):
    list_display = ("name", "contact_name", "phone", "email", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "contact_name", "phone", "email")
    fields = ("name", "contact_name", "phone", "email", "notes", "is_active")
    ordering = ("name",)
    inlines = [VendorContactInline]


@admin.register(VendorContract, site=admin_site)
class VendorContractAdmin(ActiveToggleMixin, ReferenceAdmin):
    list_display = ("number", "title", "vendor", "starts_on", "ends_on", "calendar",
                    "response_seconds", "resolution_seconds", "is_active")
    list_filter = ("is_active", "vendor")
    search_fields = ("number", "title", "vendor__name")
    filter_horizontal = ("services", "configuration_items")
    fields = ("vendor", "number", "title", "starts_on", "ends_on", "services",
              "configuration_items", "calendar", "response_seconds", "resolution_seconds",
              "notes", "is_active")
    ordering = ("vendor__name", "number")


@admin.register(VendorEngagement, site=admin_site)
class VendorEngagementAdmin(ReferenceAdmin):
    list_display = ("incident", "vendor", "reference", "contacted_at", "responded_at",
                    "resolved_at")
    list_select_related = ("incident", "vendor")
    list_filter = ("vendor",)
    search_fields = ("reference", "incident__number", "vendor__name")
    date_hierarchy = "contacted_at"
    read_only = True
