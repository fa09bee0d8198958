"""Admin for people, organisations, locations, support groups and API tokens (administrator)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from opsdesk.core.admin_site import (ActiveToggleMixin, AdministrationAdmin, NoCycleFormMixin,
                                     admin_site, can_administer)

from .lockout import sign_in_unlock
from .models import ApiToken, Location, Organisation, SupportGroup, User, UserSession
from .roles import ROLE_FIELDS, Role
from .services import api_token_revoke
from .sessions import sessions_revoke
from .usersessions import user_session_device, user_session_end


class RoleListFilter(admin.SimpleListFilter):
    """Filter people by the role they hold (or by holding none)."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(Role.USER.value, _("No special role"))] + [
            (role.value, role.label) for role in ROLE_FIELDS
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == Role.USER.value:
            return queryset.filter(**{field: False for field in ROLE_FIELDS.values()})
        if value in {role.value for role in ROLE_FIELDS}:
            return queryset.filter(**{ROLE_FIELDS[Role(value)]: True})
        return queryset


class UserCreateForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username",)


class UserEditForm(UserChangeForm):
    """The user form, with the support groups the person works in."""

    support_groups = forms.ModelMultipleChoiceField(
        label=_("support groups"), queryset=SupportGroup.objects.order_by("line", "code"),
        required=False,
        widget=admin.widgets.FilteredSelectMultiple(_("support groups"), is_stacked=False),
    )

    class Meta(UserChangeForm.Meta):
        model = User

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "support_groups" in self.fields and self.instance.pk is not None:
            self.fields["support_groups"].initial = list(
                self.instance.support_groups.values_list("pk", flat=True))

    def _save_m2m(self):
        super()._save_m2m()
        if "support_groups" in self.cleaned_data:
            self.instance.support_groups.set(self.cleaned_data["support_groups"])


@admin.register(User, site=admin_site)
class UserAdmin(ActiveToggleMixin, AdministrationAdmin, DjangoUserAdmin):
    """People and their roles. Access to this site follows the role flags, not is_staff."""

    form = UserEditForm
    add_form = UserCreateForm
    list_display = ("username", "display_name", "email", "department", "role_list", "is_active")
    list_filter = (RoleListFilter, "is_active", "is_superuser", "department")
    list_select_related = ("department",)
    search_fields = ("username", "display_name", "first_name", "last_name", "email", "phone")
    ordering = ("username",)
    filter_horizontal = ()
    autocomplete_fields = ()
    raw_id_fields = ("manager",)
    readonly_fields = ("last_login", "date_joined", "sessions_revoked_at", "directory_entry",
                       "signed_in_sessions")
    actions = [*ActiveToggleMixin.actions, "unlock_sign_in", "sign_out_everywhere"]

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal information"), {"fields": (
            "display_name", "first_name", "last_name", "email", "phone", "language")}),
        (_("Organisation"), {"fields": ("department", "manager", "location",
                                        "support_groups")}),
        (_("Roles"), {"fields": (
            "is_active", "is_service_desk", "is_engineer", "is_incident_manager",
            "is_process_owner", "is_administrator", "can_view_department")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        (_("Sign-in"), {"fields": ("directory_entry", "signed_in_sessions",
                                   "sessions_revoked_at")}),
    )
    superuser_fieldset = (_("Superuser"), {"fields": ("is_superuser",)})
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": (
            "username", "usable_password", "password1", "password2")}),
        (_("Personal information"), {"fields": ("display_name", "email")}),
        (_("Organisation"), {"fields": ("department", "location")}),
        (_("Roles"), {"fields": (
            "is_service_desk", "is_engineer", "is_incident_manager", "is_process_owner",
            "is_administrator")}),
    )

    @admin.display(description=_("roles"))
    def role_list(self, obj):
        labels = [str(role.label) for role, field in ROLE_FIELDS.items() if getattr(obj, field)]
        if obj.is_superuser:
            labels.append(str(_("Superuser")))
        return ", ".join(labels) or "—"

    @admin.display(description=_("signed-in sessions"))
    def signed_in_sessions(self, obj):
        """How many sessions the person has, linked to the list where they are signed out."""
        if obj.pk is None:
            return "—"
        url = reverse("admin:accounts_usersession_changelist") + f"?user__id__exact={obj.pk}"
        count = obj.user_sessions.count()
        return format_html('<a href="{}">{}</a>', url, ngettext(
            "%(count)d session: see or sign out", "%(count)d sessions: see or sign out",
            count) % {"count": count})

    @admin.display(description=_("directory entry"))
    def directory_entry(self, obj):
        account = getattr(obj, "directory_account", None) if obj.pk else None
        return account.dn if account else _("None: a local account")

    def has_administer_permission(self, request):
        return can_administer(request.user)

    @admin.action(description=_("Unlock sign-in (forget failed attempts)"),
                  permissions=["administer"])
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            sign_in_unlock(username=user.username)
        self.message_user(request, ngettext(
            "Sign-in unlocked for %(count)d person.", "Sign-in unlocked for %(count)d people.",
            len(queryset)) % {"count": len(queryset)}, messages.SUCCESS)

    @admin.action(description=_("Sign out everywhere"), permissions=["administer"])
    def sign_out_everywhere(self, request, queryset):
        if not request.user.is_superuser:
            queryset = queryset.exclude(is_superuser=True)
        people = list(queryset)
        for user in people:
            sessions_revoke(user=user, by=request.user)
        self.message_user(request, ngettext(
            "%(count)d person signed out everywhere.", "%(count)d people signed out everywhere.",
            len(people)) % {"count": len(people)}, messages.SUCCESS)

    @admin.display(description=_("support groups"))
    def support_group_list(self, obj):
        return ", ".join(str(group) for group in obj.support_groups.all()) or "—"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        if not self.has_change_permission(request, obj):
            # Read-only: the groups (a reverse relation, not a form field) as a plain list.
            fieldsets = tuple(
                (name, {**opts, "fields": tuple(
                    "support_group_list" if f == "support_groups" else f
                    for f in opts["fields"])})
                for name, opts in fieldsets
            )
        # Only a superuser may make (or unmake) another superuser.
        if request.user.is_superuser:
            fieldsets = fieldsets + (self.superuser_fieldset,)
        return fieldsets

    def has_change_permission(self, request, obj=None):
        # An administrator who is not a superuser cannot edit (or reset the password of) one.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def _set_active(self, request, queryset, value):
        if not value:
            queryset = queryset.exclude(pk=request.user.pk)
        if not request.user.is_superuser:
            queryset = queryset.exclude(is_superuser=True)
        super()._set_active(request, queryset, value)


class OrganisationForm(NoCycleFormMixin):
    class Meta:
        model = Organisation
        fields = ("code", "name_zh", "name_en", "parent", "head", "is_active")


@admin.register(Organisation, site=admin_site)
class OrganisationAdmin(ActiveToggleMixin, AdministrationAdmin):
    form = OrganisationForm
    list_display = ("code", "name_zh", "name_en", "parent", "head", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("parent", "head")
    search_fields = ("code", "name_zh", "name_en")
    fields = ("code", "name_zh", "name_en", "parent", "head", "is_active")
    autocomplete_fields = ("head",)
    ordering = ("code",)


@admin.register(Location, site=admin_site)
class LocationAdmin(ActiveToggleMixin, AdministrationAdmin):
    list_display = ("code", "name_zh", "name_en", "address", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name_zh", "name_en", "address")
    fields = ("code", "name_zh", "name_en", "address", "is_active")
    ordering = ("code",)


class SupportGroupForm(NoCycleFormMixin):
    cycle_field = "escalation_group"
    cycle_message = _("Escalation would go round in a loop: choose another group.")

    class Meta:
        model = SupportGroup
        fields = ("code", "name_zh", "name_en", "line", "email", "manager", "members",
                  "escalation_group", "is_active")


@admin.register(SupportGroup, site=admin_site)
class SupportGroupAdmin(ActiveToggleMixin, AdministrationAdmin):
    form = SupportGroupForm
    list_display = ("code", "name_zh", "name_en", "line", "manager", "escalation_group",
                    "member_count", "is_active")
    list_filter = ("is_active", "line")
    list_select_related = ("manager", "escalation_group")
    search_fields = ("code", "name_zh", "name_en", "email")
    fields = ("code", "name_zh", "name_en", "line", "email", "manager", "members",
              "escalation_group", "is_active")
    autocomplete_fields = ("manager", "members")
    ordering = ("line", "code")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("members"))

    @admin.display(description=_("members"), ordering="_member_count")
    def member_count(self, obj):
        return obj._member_count


class TokenStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("usable", _("usable")), ("revoked", _("revoked")), ("expired", _("expired"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "usable":
            return queryset.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now),
                                   revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=now, revoked_at__isnull=True)
        return queryset


@admin.register(ApiToken, site=admin_site)
class ApiTokenAdmin(AdministrationAdmin):
    """Tokens are listed and revoked here; they are created through the CLI or the API.

    Only the digest of a secret is stored and it is never shown; the prefix identifies a token.
    """

    read_only = True  # no add, no change: revoking is the only write
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "expires_at",
                    "revoked_at", "usable")
    list_filter = (TokenStateFilter,)
    list_select_related = ("user",)
    search_fields = ("prefix", "name", "user__username", "user__display_name")
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke_selected"]
    ordering = ("-created_at",)

    @admin.display(description=_("usable"), boolean=True)
    def usable(self, obj):
        return obj.is_usable

    def has_revoke_permission(self, request):
        return can_administer(request.user)

    @admin.action(description=_("Revoke selected API tokens"), permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            api_token_revoke(token=token)
        if tokens:
            LogEntry.objects.log_actions(
                user_id=request.user.pk, queryset=tokens, action_flag=CHANGE,
                change_message=[{"changed": {"fields": [str(_("revoked at"))]}}],
            )
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", len(tokens))
            % {"count": len(tokens)},
            messages.SUCCESS,
        )


from . import admin_signin  # noqa: E402,F401  (failed sign-ins and lock-outs)


@admin.register(UserSession, site=admin_site)
class UserSessionAdmin(AdministrationAdmin):
    """Everyone's signed-in sessions, with "sign out" for the selected ones.

    Listed from a person's page (Sign-in: signed-in sessions). Rows are never edited or
    deleted here: signing out (usersessions.user_session_end) is the only write, so the
    session really ends and the audit log records it. An administrator who is not a superuser
    cannot sign out a superuser, as with "sign out everywhere".
    """

    read_only = True
    list_display = ("user", "device_label", "ip_address", "created_at", "last_seen_at")
    list_filter = ("created_at", "last_seen_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__display_name", "ip_address", "browser", "os")
    fields = ("user", "device_label", "user_agent", "ip_address", "created_at", "last_seen_at")
    readonly_fields = fields
    actions = ["sign_out_selected"]
    ordering = ("-last_seen_at",)

    @admin.display(description=_("device"))
    def device_label(self, obj):
        return user_session_device(obj)

    def has_sign_out_permission(self, request):
        return can_administer(request.user)

    @admin.action(description=_("Sign out the selected sessions"), permissions=["sign_out"])
    def sign_out_selected(self, request, queryset):
        if not request.user.is_superuser:
            queryset = queryset.exclude(user__is_superuser=True)
        sessions = list(queryset)
        for session in sessions:
            user_session_end(session=session, by=request.user, request=request)
        self.message_user(request, ngettext(
            "%(count)d session signed out.", "%(count)d sessions signed out.",
            len(sessions)) % {"count": len(sessions)}, messages.SUCCESS)
