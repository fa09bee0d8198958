"""The administration site at /admin/, where access follows the role flags and not is_staff.

Until the web UI exists, the process owner edits reference data (code tables, priority matrix,
categories, CMDB, vendors) here and the administrator manages people, groups and tokens as well.
Everyone else is refused at the login page.

Register every ModelAdmin on `admin_site` (``@admin.register(Model, site=admin_site)``), not on
Django's default ``admin.site``, which is not routed. Base on the classes below so the role checks
apply; Django's per-model permissions and the is_staff flag play no part.

Nothing is deleted here: reference rows are referenced by incidents (protected foreign keys) and
the history must stay readable, so rows are deactivated instead (the "active" switch).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


def can_manage_reference(user) -> bool:
    """The process owner, the administrator and superusers edit reference data."""
    return bool(
        getattr(user, "is_active", False)
        and (user.is_superuser or getattr(user, "is_administrator", False)
             or getattr(user, "is_process_owner", False))
    )


def can_administer(user) -> bool:
    """Only the administrator (or a superuser) manages people, groups and tokens."""
    return bool(
        getattr(user, "is_active", False)
        and (user.is_superuser or getattr(user, "is_administrator", False))
    )


class RoleAuthenticationForm(AdminAuthenticationForm):
    """The admin login: a valid password is not enough, the account needs an admin role."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the correct %(username)s and password of a process-owner or "
            "administrator account. Note that both fields may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user):
        # Skip AdminAuthenticationForm's is_staff test: the role flags decide.
        AuthenticationForm.confirm_login_allowed(self, user)
        if not can_manage_reference(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class OpsdeskAdminSite(admin.AdminSite):
    """The admin site; open to the process owner and the administrator only."""

    site_header = _("opsdesk administration")
    site_title = _("opsdesk administration")
    index_title = _("Reference data and administration")
    login_form = RoleAuthenticationForm

    def has_permission(self, request) -> bool:
        return can_manage_reference(request.user)


# Keeps the "admin" URL namespace, so reverse("admin:…") works as with the default site.
admin_site = OpsdeskAdminSite(name="admin")


class RoleAccessMixin:
    """Grants view, add and change by a role test on the signed-in person; never delete.

    `allowed` is the role test (a function of the user). `read_only = True` keeps the view
    permission only, for everyone including superusers.
    """

    allowed = staticmethod(can_manage_reference)
    read_only = False

    def _role_ok(self, request) -> bool:
        return self.allowed(request.user)

    def has_module_permission(self, request):
        return self._role_ok(request)

    def has_view_permission(self, request, obj=None):
        return self._role_ok(request)

    def has_add_permission(self, request, *args, **kwargs):
        return not self.read_only and self._role_ok(request)

    def has_change_permission(self, request, obj=None):
        return not self.read_only and self._role_ok(request)

    def has_delete_permission(self, request, obj=None):
        return False


class ReferenceAdmin(RoleAccessMixin, admin.ModelAdmin):
    """Reference data: the process owner and the administrator."""

    allowed = staticmethod(can_manage_reference)


class AdministrationAdmin(RoleAccessMixin, admin.ModelAdmin):
    """People, organisation, groups and tokens: the administrator only."""

    allowed = staticmethod(can_administer)


class ReadOnlyInline(RoleAccessMixin, admin.TabularInline):
    """A read-only inline list on a read-only parent."""

    read_only = True
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False
    template = "admin/opsdesk/readonly_tabular.html"

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class KeyReadOnlyAfterCreationMixin:
    """The primary-key code (or other identifying fields) can be typed once, then never again.

    Incidents, routing rules and imports refer to the code, so renaming it would break them.
    """

    key_fields: tuple[str, ...] = ("code",)

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += tuple(f for f in self.key_fields if f not in readonly)
        return readonly


class ActiveToggleMixin:
    """Bulk "activate" and "deactivate" actions for models with an is_active switch."""

    actions = ["activate_selected", "deactivate_selected"]

    def _set_active(self, request, queryset, value: bool) -> None:
        changed = list(queryset.exclude(is_active=value))
        if not changed:
            self.message_user(request, _("Nothing to change."), messages.INFO)
            return
        values = {"is_active": value}
        if any(f.name == "updated_at" for f in self.model._meta.concrete_fields):
            values["updated_at"] = timezone.now()
        self.model._default_manager.filter(pk__in=[obj.pk for obj in changed]).update(**values)
        LogEntry.objects.log_actions(
            user_id=request.user.pk, queryset=changed, action_flag=CHANGE,
            change_message=[{"changed": {"fields": [str(self.model._meta.get_field(
                "is_active").verbose_name)]}}],
        )
        message = (
            ngettext("%(count)d row activated.", "%(count)d rows activated.", len(changed))
            if value else
            ngettext("%(count)d row deactivated.", "%(count)d rows deactivated.", len(changed))
        )
        self.message_user(request, message % {"count": len(changed)}, messages.SUCCESS)

    @admin.action(description=_("Activate selected %(verbose_name_plural)s"),
                  permissions=["change"])
    def activate_selected(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description=_("Deactivate selected %(verbose_name_plural)s"),
                  permissions=["change"])
    def deactivate_selected(self, request, queryset):
        self._set_active(request, queryset, False)


class CodeTableAdmin(ActiveToggleMixin, KeyReadOnlyAfterCreationMixin, ReferenceAdmin):
    """A CodeTable model: code, both names, order and the active switch, editable in the list."""

    list_display = ("code", "name_zh", "name_en", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name_zh", "name_en")
    fields = ("code", "name_zh", "name_en", "sort_order", "is_active")
    ordering = ("sort_order", "code")
    list_per_page = 100


def cache_choices(request, formfield, key: str):
    """Evaluate a model choice field's choices once per request.

    An editable changelist renders the same select on every row; without this each row would
    run the choices query again.
    """
    if formfield is None or request is None:
        return formfield
    cache = request.__dict__.setdefault("_opsdesk_admin_choices", {})
    if key not in cache:
        cache[key] = list(formfield.choices)
    formfield.choices = cache[key]
    if hasattr(formfield.widget, "widget"):  # RelatedFieldWidgetWrapper
        formfield.widget.choices = cache[key]
    return formfield


def would_cycle(start, obj, attribute: str, limit: int = 100) -> bool:
    """True if following `attribute` from `start` reaches `obj` (a loop in a tree or chain)."""
    node, steps = start, 0
    while node is not None and steps < limit:
        if obj.pk is not None and node.pk == obj.pk:
            return True
        node, steps = getattr(node, attribute), steps + 1
    return steps >= limit


class NoCycleFormMixin(forms.ModelForm):
    """Refuses a parent (or escalation target) that is the row itself or one of its children."""

    cycle_field = "parent"
    cycle_message = _("This would make a loop: choose a row that is not this one or below it.")

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get(self.cycle_field)
        if target is not None and would_cycle(target, self.instance, self.cycle_field):
            self.add_error(self.cycle_field, self.cycle_message)
        return cleaned
