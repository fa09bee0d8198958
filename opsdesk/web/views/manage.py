"""The incident manager's overview: the open backlog and what needs attention, as links."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from opsdesk.reporting.selectors import DEFAULT_STALE_HOURS, overview_allowed, overview_get

from ..settings_forms import StaleHoursForm


@login_required
def overview(request):
    """Backlog by priority × group, unassigned, stale, reopened and by status; refreshes itself."""
    if not overview_allowed(user=request.user):
        raise PermissionDenied
    form = StaleHoursForm(request.GET or None, initial={"stale_hours": DEFAULT_STALE_HOURS})
    hours, status = DEFAULT_STALE_HOURS, 200
    if form.is_bound:
        if form.is_valid():
            hours = form.cleaned_data["stale_hours"] or DEFAULT_STALE_HOURS
        else:
            status = 422  # the message shows next to the field; the figures use the default
    context = {"overview": overview_get(user=request.user, stale_hours=hours), "form": form,
               "nav": "manage"}
    return TemplateResponse(request, "web/manage/overview.html", context, status=status)
