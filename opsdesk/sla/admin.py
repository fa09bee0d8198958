"""Admin for business calendars and SLA policies (the owner's pages are under /settings/)."""

from django.contrib import admin

from opsdesk.core.admin_site import CodeTableAdmin, RoleAccessMixin, admin_site

from .models import BusinessCalendar, CalendarDay, SlaPolicy, WorkingPeriod


class _EditableInline(RoleAccessMixin, admin.TabularInline):
    """Rows of a calendar: nothing refers to them, so they may be deleted."""

    extra = 0

    def has_delete_permission(self, request, obj=None):
        return self._role_ok(request)


class WorkingPeriodInline(_EditableInline):
    model = WorkingPeriod
    fields = ("weekday", "start_time", "end_time")


class CalendarDayInline(_EditableInline):
    model = CalendarDay
    fields = ("date", "kind", "works_like", "name_zh", "name_en")


@admin.register(BusinessCalendar, site=admin_site)
class BusinessCalendarAdmin(CodeTableAdmin):
    """A calendar with its weekly hours and its dated days."""

    list_display = ("code", "name_zh", "name_en", "time_zone", "is_24x7", "sort_order",
                    "is_active")
    fields = ("code", "name_zh", "name_en", "time_zone", "is_24x7", "sort_order", "is_active")
    inlines = [WorkingPeriodInline, CalendarDayInline]


@admin.register(SlaPolicy, site=admin_site)
class SlaPolicyAdmin(CodeTableAdmin):
    """An SLA policy; targets in business seconds (the settings pages speak hours and days)."""

    list_display = ("code", "name_zh", "name_en", "priority", "service", "organisation",
                    "response_seconds", "resolution_seconds", "sort_order", "is_active")
    list_filter = ("is_active", "priority")
    list_select_related = ("priority", "service", "organisation")
    filter_horizontal = ("resolution_pause_reasons",)
    fields = ("code", "name_zh", "name_en", "priority", "service", "organisation",
              "response_calendar", "response_seconds", "resolution_calendar",
              "resolution_seconds", "response_pause_statuses", "resolution_pause_statuses",
              "resolution_pause_reasons", "warn_first_percent",
              "warn_second_percent", "notify_manager_at_creation",
              "notify_managers_at_second_warning", "escalate_on_breach",
              "escalate_to_vendor_on_breach",
              "escalate_after_reassignments", "auto_close_calendar", "auto_close_working_days",
              "sort_order", "is_active")
