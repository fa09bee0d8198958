"""The process owner's settings: the priority matrix and routing rules (groups and categories
live in settings_groups and settings_categories). Process owners and administrators only."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsdesk.core import lookups
from opsdesk.core.admin_site import can_manage_reference
from opsdesk.core.exceptions import InvalidInput
from opsdesk.reference import editing, selectors
from opsdesk.reference.models import Impact, RoutingRule, Urgency

from ..settings_forms import PriorityMatrixForm, RoutingRuleForm
from .incidents import _add_errors


def configurator_required(view):
    """Signed in, and a process owner or an administrator; anyone else gets the 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_manage_reference(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def render(request, template: str, context: dict, *, status: int = 200):
    """A settings page, with the Settings entry of the top bar marked as current."""
    return TemplateResponse(request, template, {**context, "nav": "settings"}, status=status)


@configurator_required
def index(request):
    """What can be configured here, and a link to the admin for the rarely touched tables."""
    return render(request, "web/settings/index.html", {})


@configurator_required
def matrix(request):
    """The impact × urgency grid, every cell a choice of priority, saved all at once."""
    impacts = sorted(lookups.rows_by_pk(Impact).values(), key=lambda r: r.level)
    urgencies = sorted(lookups.rows_by_pk(Urgency).values(), key=lambda r: r.level)
    form = PriorityMatrixForm(request.POST or None, impacts=impacts, urgencies=urgencies,
                              grid=selectors.priority_matrix_grid())
    if request.method == "POST" and form.is_valid():
        try:
            changed = editing.priority_matrix_update(by=request.user, cells=form.cells())
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, ngettext(
                "%(n)s cell changed; new incidents use it now.",
                "%(n)s cells changed; new incidents use them now.", changed) % {"n": changed}
                if changed else _("Nothing changed."))
            return redirect("web:settings-matrix")
    context = {"form": form, "urgencies": urgencies,
               "changes": selectors.priority_matrix_changes()}
    return render(request, "web/settings/matrix.html", context,
                  status=422 if form.is_bound else 200)


@configurator_required
def routing(request):
    """Every routing rule, most specific first, and how a match is chosen."""
    return render(request, "web/settings/routing.html",
                  {"rules": selectors.routing_rule_list()})


@configurator_required
def routing_edit(request, pk: int | None = None):
    """Add a routing rule, or change one (deactivate it by clearing Active)."""
    rule = get_object_or_404(RoutingRule, pk=pk) if pk is not None else None
    form = (RoutingRuleForm.for_rule(rule, request.POST or None) if rule
            else RoutingRuleForm(request.POST or None))
    if request.method == "POST" and form.is_valid():
        try:
            if rule is None:
                editing.routing_rule_create(data=form.cleaned_data)
            else:
                editing.routing_rule_update(rule=rule, data=form.cleaned_data)
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The routing rule is saved."))
            return redirect("web:settings-routing")
    return render(request, "web/settings/routing_edit.html", {"form": form, "rule": rule},
                  status=422 if form.is_bound else 200)
