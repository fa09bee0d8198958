"""Incidents in the admin: read-only, with their comments, attachments and history.

Incidents change only through the lifecycle services (which record every change), so the admin
offers no add, change or delete here for anyone, superusers included. The history
(IncidentEvent) is append-only (SPEC §2) and is shown, never edited.
"""

from django.contrib import admin
from django.contrib.admin.utils import display_for_value
from django.utils.translation import gettext_lazy as _

from opsdesk.core.admin_site import ReadOnlyInline, ReferenceAdmin, admin_site

from .models import Attachment, Comment, Incident, IncidentEvent


class ReadOnlyAdmin(ReferenceAdmin):
    """View only: the process owner and the administrator may look, nobody may write."""

    read_only = True
    actions = None
    show_full_result_count = False  # no second COUNT(*) over a large table

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields or tuple(f for fs in self.get_fieldsets(request, obj)
                                             for f in fs[1]["fields"])


def labelled(name: str, label, boolean: bool = False):
    """A read-only column for a model field that has no translated verbose name of its own."""

    def show(self, obj):
        display = getattr(obj, f"get_{name}_display", None)
        value = display() if display is not None else getattr(obj, name)
        # Read-only form fields print a callable's value as is: format dates, None, etc. here.
        return value if boolean else display_for_value(value, "-")

    show.short_description = label
    show.admin_order_field = name
    show.boolean = boolean
    return show


class EventColumns:
    """Translated labels for the history fields."""

    ev_incident = labelled("incident", _("incident"))
    ev_at = labelled("at", _("time"))
    ev_kind = labelled("kind", _("kind"))
    ev_actor = labelled("actor", _("by"))
    ev_channel = labelled("channel", _("channel"))
    ev_action = labelled("action", _("action"))
    ev_from_status = labelled("from_status", _("from status"))
    ev_to_status = labelled("to_status", _("to status"))
    ev_field = labelled("field", _("field"))
    ev_old_value = labelled("old_value", _("old value"))
    ev_new_value = labelled("new_value", _("new value"))
    ev_is_internal = labelled("is_internal", _("internal"), boolean=True)
    ev_data = labelled("data", _("details"))


EVENT_FIELDS = ("ev_at", "ev_kind", "ev_actor", "ev_channel", "ev_action", "ev_from_status",
                "ev_to_status", "ev_field", "ev_old_value", "ev_new_value", "ev_is_internal")


class IncidentEventInline(EventColumns, ReadOnlyInline):
    model = IncidentEvent
    verbose_name = _("history entry")
    verbose_name_plural = _("history")
    fields = EVENT_FIELDS
    ordering = ("at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class CommentInline(ReadOnlyInline):
    model = Comment
    verbose_name = _("comment")
    verbose_name_plural = _("comments")
    fields = ("created_at", "comment_author", "visibility", "channel", "body")
    comment_author = labelled("author", _("author"))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    verbose_name = _("attachment")
    verbose_name_plural = _("attachments")
    # The file itself is served only by the permission-checked view, so no link here.
    fields = ("created_at", "filename", "content_type", "size", "visibility",
              "attachment_uploaded_by", "attachment_sha256")
    attachment_uploaded_by = labelled("uploaded_by", _("uploaded by"))
    attachment_sha256 = labelled("sha256", _("SHA-256"))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")


@admin.register(Incident, site=admin_site)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("number", "short_description", "status", "priority", "nature", "requester",
                    "assignment_group", "assignee", "registered_at")
    list_filter = ("status", "priority", "nature", "resolution_breached")
    list_select_related = ("priority", "nature", "requester", "assignment_group", "assignee")
    search_fields = ("number", "short_description")
    ordering = ("-id",)
    inlines = (CommentInline, AttachmentInline, IncidentEventInline)
    fieldsets = (
        (None, {"fields": ("number", "status", "nature", "short_description", "description")}),
        (_("Requester"), {"fields": (
            "requester", "requester_department", "contact_name", "contact_phone",
            "contact_email", "location")}),
        (_("Registration"), {"fields": (
            "registered_at", "occurred_at", "source", "channel", "created_by", "owner")}),
        (_("Classification and priority"), {"fields": (
            "category", "service", "configuration_items", "impact", "urgency", "priority",
            "priority_overridden", "priority_override_reason")}),
        (_("Assignment"), {"fields": (
            "assignment_group", "assignee", "collaborators", "watchers", "pending_reason",
            "vendor", "vendor_reference")}),
        (_("Service levels"), {"fields": (
            "first_response_at", "assigned_at", "response_due_at", "resolution_due_at",
            "response_breached", "resolution_breached")}),
        (_("Resolution and closure"), {"fields": (
            "resolution", "is_workaround", "resolution_code", "resolved_at",
            "first_contact_resolution", "closure_code", "closed_at", "satisfaction_score",
            "satisfaction_comment")}),
        (_("Counters"), {"fields": (
            "reassignment_count", "hand_back_count", "reopen_count", "escalation_count")}),
        (_("Links"), {"fields": (
            "duplicate_of", "parent", "alert_ids", "related_problem", "related_change")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "requester", "requester_department", "location", "source", "nature", "category",
            "service", "impact", "urgency", "priority", "assignment_group", "assignee",
            "pending_reason", "resolution_code", "closure_code", "vendor", "created_by", "owner",
            "duplicate_of", "parent",
        )


@admin.register(IncidentEvent, site=admin_site)
class IncidentEventAdmin(EventColumns, ReadOnlyAdmin):
    """The history of every incident, as one list. Append-only: never added, changed or deleted."""

    list_display = ("ev_at", "ev_incident", "ev_kind", "ev_actor", "ev_channel", "ev_action",
                    "ev_field", "ev_old_value", "ev_new_value")
    list_display_links = ("ev_at",)
    list_filter = ("kind", "channel", "is_internal")
    list_select_related = ("incident", "actor")
    search_fields = ("incident__number",)
    ordering = ("-at", "-id")
    fieldsets = ((None, {"fields": ("ev_incident",) + EVENT_FIELDS + ("ev_data",)}),)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("incident", "actor")
