"""Admin for business calendars, until the process owner's calendar pages exist (issue 4)."""

from django.contrib import admin

from opsdesk.core.admin_site import CodeTableAdmin, RoleAccessMixin, admin_site

from .models import BusinessCalendar, CalendarDay, WorkingPeriod


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
