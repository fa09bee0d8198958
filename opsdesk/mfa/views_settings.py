"""The administrator's multi-factor page: which roles must use it, whether single sign-on counts,
who has it on, and resetting a person's (a lost phone). Administrators only."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from opsdesk.core.admin_site import can_administer
from opsdesk.core.exceptions import InvalidInput

from . import selectors, services
from .forms import PolicyForm

PAGE_SIZE = 50
MISSING_SHOWN = 50


def administrator_required(view):
    """Signed in, and an administrator (or a superuser); anyone else gets the 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_administer(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@administrator_required
def policy(request):
    """The policy form, the people still to enrol, and who has multi-factor sign-in on."""
    row = selectors.policy_row()
    initial = {"required_roles": row.required_roles, "sso_trust": row.sso_trust}
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(by=request.user, **form.cleaned_data)
        except InvalidInput as error:
            for field, message in error.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("The multi-factor policy is saved; it applies from "
                                        "each person's next page."))
            return redirect("mfa:settings")
    return _policy_page(request, form, row, status=422 if form.is_bound else 200)


def _policy_page(request, form, row, *, status: int):
    search = request.GET.get("q", "").strip()[:100]
    enrolled = Paginator(selectors.enrolled_users(search=search), PAGE_SIZE)
    missing = selectors.missing_users(selectors.policy_current())
    context = {"form": form, "policy": row, "search": search, "nav": "settings",
               "enrolled": enrolled.get_page(request.GET.get("page")),
               "missing": list(missing[:MISSING_SHOWN]), "missing_count": missing.count(),
               "unreadable_count": selectors.unreadable_secret_count()}
    return TemplateResponse(request, "mfa/settings.html", context, status=status)


@administrator_required
def user_reset(request, pk: int):
    """Confirm, then remove a person's authenticator and recovery codes."""
    person = get_object_or_404(get_user_model(), pk=pk)
    if request.method == "POST":
        if services.mfa_reset(user=person, by=request.user, request=request):
            messages.success(request, _("Multi-factor sign-in of %(name)s is reset. They set it "
                                        "up again when they next sign in (if their role requires "
                                        "it) or when they choose to.") % {"name": person.label})
        else:
            messages.info(request, _("%(name)s has no multi-factor sign-in to reset.")
                          % {"name": person.label})
        return redirect("mfa:settings")
    context = {"person": person, "nav": "settings",
               "has_authenticator": selectors.has_authenticator(person),
               "codes_left": selectors.recovery_codes_left(person)}
    return TemplateResponse(request, "mfa/reset.html", context)
