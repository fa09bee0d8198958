"""The process owner's catalogue: request types with their form fields (inline)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from opsdesk.core.admin_site import (ActiveToggleMixin, KeyReadOnlyAfterCreationMixin,
                                     ReferenceAdmin, RoleAccessMixin, admin_site)

from .models import RequestField, RequestType


class RequestFieldInline(RoleAccessMixin, admin.StackedInline):
    """The questions of a type, in order; old requests keep the labels they were ordered with.
    A field requests answered is deactivated, not deleted (the settings page enforces it)."""

    model = RequestField
    extra = 0
    fields = (("key", "kind", "sort_order", "required", "in_summary"), ("label_zh", "label_en"),
              ("help_zh", "help_en"), ("max_length", "regex"),
              ("regex_message_zh", "regex_message_en"), "options", ("min_date", "max_date"),
              "is_active")

    def has_delete_permission(self, request, obj=None):
        return self._role_ok(request)


@admin.register(RequestType, site=admin_site)
class RequestTypeAdmin(ActiveToggleMixin, KeyReadOnlyAfterCreationMixin, ReferenceAdmin):
    """Catalogue items: what may be ordered, who fulfils it, approval, SLA and instructions."""

    list_display = ("code", "icon", "name_zh", "name_en", "category", "fulfilment_group",
                    "needs_approval", "sla_policy", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    list_filter = ("is_active", "needs_approval", "fulfilment_group")
    list_select_related = ("category", "fulfilment_group", "sla_policy")
    search_fields = ("code", "name_zh", "name_en", "description_zh", "description_en")
    ordering = ("sort_order", "code")
    filter_horizontal = ("audience",)
    inlines = [RequestFieldInline]
    fieldsets = (
        (None, {"fields": ("code", ("name_zh", "name_en"), "icon",
                           ("description_zh", "description_en"), ("sort_order", "is_active"))}),
        (_("Fulfilment"), {"fields": ("category", "service", "fulfilment_group", "needs_approval",
                         "sla_policy", ("impact", "urgency"), "audience")}),
        (_("Fulfilment instructions"), {"fields": ("instructions_zh", "instructions_en")}),
    )
