"""Admin for the CMDB: services, CI types and configuration items (process owner)."""

from django.contrib import admin

from opsdesk.core.admin_site import ActiveToggleMixin, CodeTableAdmin, ReferenceAdmin, admin_site

from .models import CIType, ConfigurationItem, Service


@admin.register(Service, site=admin_site)
class ServiceAdmin(ActiveToggleMixin, ReferenceAdmin):
    list_display = ("code", "name_zh", "name_en", "owner_group", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("owner_group",)
    search_fields = ("code", "name_zh", "name_en")
    fields = ("code", "name_zh", "name_en", "description", "owner_group", "is_active")
    ordering = ("code",)


@admin.register(CIType, site=admin_site)
class CITypeAdmin(CodeTableAdmin):
    pass


@admin.register(ConfigurationItem, site=admin_site)
class ConfigurationItemAdmin(ActiveToggleMixin, ReferenceAdmin):
    list_display = ("name", "ci_type", "owner_group", "location", "serial_number", "is_active")
    list_filter = ("is_active", "ci_type")
    list_select_related = ("ci_type", "owner_group", "location")
    search_fields = ("name", "serial_number", "description")
    fields = ("name", "ci_type", "owner_group", "services", "location", "serial_number",
              "description", "is_active")
    filter_horizontal = ("services",)
    ordering = ("name",)
