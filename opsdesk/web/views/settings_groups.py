"""Settings: support groups and their members (process owners and administrators)."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from opsdesk.accounts.editing import (support_group_create, support_group_set_active,
                                      support_group_update)
from opsdesk.accounts.models import SupportGroup
from opsdesk.core.exceptions import InvalidInput

from ..settings_forms import SupportGroupForm
from .incidents import _add_errors
from .settings_pages import configurator_required, render


@configurator_required
def groups(request):
    """Every group with its line, escalation group, manager and member count; active first."""
    rows = (SupportGroup.objects.select_related("escalation_group", "manager")
            .annotate(member_count=Count("members")).order_by("-is_active", "line", "code"))
    return render(request, "web/settings/groups.html", {"groups": rows})


@configurator_required
def group_edit(request, pk: int | None = None):
    """Create a group, or change one's names, line, escalation, manager and members."""
    group = get_object_or_404(SupportGroup, pk=pk) if pk is not None else None
    form = SupportGroupForm(request.POST or None, group=group)
    if request.method == "POST" and form.is_valid():
        try:
            if group is None:
                group = support_group_create(code=form.cleaned_data["code"],
                                             data=form.data_values(),
                                             members=form.cleaned_data["members"])
            else:
                support_group_update(group=group, data=form.data_values(),
                                     members=form.cleaned_data["members"])
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The group %(group)s is saved.") % {"group": group.code})
            return redirect("web:settings-groups")
    return render(request, "web/settings/group_edit.html", {"form": form, "group": group},
                  status=422 if form.is_bound else 200)


@configurator_required
def group_active(request, pk: int):
    """Deactivate a group (it stays on the incidents it worked on), or activate it again."""
    group = get_object_or_404(SupportGroup, pk=pk)
    if request.method == "POST":
        active = request.POST.get("active") == "1"
        support_group_set_active(group=group, active=active)
        messages.success(request, (_("The group %(group)s is active again.") if active else
                                   _("The group %(group)s is deactivated.")) % {
            "group": group.code})
    return redirect("web:settings-groups")
