"""A person's own page: time zone, language, roles and groups, password, sessions, API tokens."""

from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.translation import gettext as _

from django import forms
from django.utils.translation import gettext_lazy

from opsdesk.accounts.editing import user_preferences_update
from opsdesk.accounts.models import NotificationKind
from opsdesk.accounts.notification_prefs import user_notifications_update
from opsdesk.accounts.sessions import SIGNED_IN_AT, sessions_revoke
from opsdesk.core.exceptions import InvalidInput

from ..settings_forms import ProfileForm
from .incidents import _add_errors
from .sessions import sessions_context


class NotificationsForm(forms.Form):
    """Which kinds of email a person wants (all of them unless switched off)."""

    email_on = forms.MultipleChoiceField(
        label=gettext_lazy("Email me when"), required=False, choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple)


@login_required
def profile(request):
    """Show and change my time zone, language and email notifications."""
    user = request.user
    if request.method == "POST" and request.POST.get("form") == "notifications":
        return _notifications(request)
    initial = {"time_zone": user.time_zone, "language": user.language}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user_preferences_update(user=user, **form.cleaned_data)
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            return _saved(request, form.cleaned_data["language"])
    return _page(request, form=form, status=422 if form.is_bound else 200)


def _page(request, *, form=None, notifications=None, status: int = 200):
    user = request.user
    form = form or ProfileForm(initial={"time_zone": user.time_zone, "language": user.language})
    notifications = notifications or NotificationsForm(initial={"email_on": [
        k for k in NotificationKind.values if user.wants_email(k)]})
    context = {"form": form, "notifications": notifications, "nav": "profile",
               "groups": list(user.support_groups.order_by("line", "code")),
               "roles": _role_labels(user), "signed_in_at": _signed_in_at(request),
               "local_password": user.has_usable_password(), **sessions_context(request)}
    return TemplateResponse(request, "web/profile.html", context, status=status)


def _notifications(request):
    """Save the email choices; back to the page with a message."""
    form = NotificationsForm(request.POST)
    if form.is_valid():
        user_notifications_update(user=request.user, email_on=set(form.cleaned_data["email_on"]))
        messages.success(request, _("Your notification settings are saved."))
        return redirect("web:profile")
    return _page(request, notifications=form, status=422)


def _saved(request, language: str):
    """Back to the page in the chosen language: the cookie is what the language switch sets."""
    with translation.override(language or translation.get_language()):
        messages.success(request, _("Your settings are saved."))
    response = redirect("web:profile")
    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                            max_age=settings.LANGUAGE_COOKIE_AGE,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                            secure=settings.LANGUAGE_COOKIE_SECURE)
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response


def _role_labels(user) -> list[str]:
    from opsdesk.accounts.roles import Role

    return [str(Role(role).label) for role in Role.values if role in user.roles]


def _signed_in_at(request) -> datetime | None:
    stamp = request.session.get(SIGNED_IN_AT)
    return datetime.fromtimestamp(stamp, tz=dt_timezone.utc) if stamp else None


@login_required
def password_change(request):
    """Change my local password; my other sessions end, this one stays signed in.

    Directory (LDAP) accounts have no local password: the page says where to change it.
    """
    user = request.user
    if not user.has_usable_password():
        return TemplateResponse(request, "registration/password_change.html",
                                {"form": None, "nav": "profile"})
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        messages.success(request, _("Your password is changed. Your other sessions were "
                                    "signed out."))
        return redirect("web:profile")
    return TemplateResponse(request, "registration/password_change.html",
                            {"form": form, "nav": "profile"},
                            status=422 if form.is_bound else 200)


@require_POST
@login_required
def sessions_end(request):
    """Sign out everywhere else: every other browser and device must sign in again."""
    sessions_revoke(user=request.user, by=request.user, request=request)
    messages.success(request, _("Every other session of yours is signed out."))
    return redirect("web:profile")
