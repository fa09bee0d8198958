"""The workspace of the service desk, engineers and managers: queues of incidents, filters, saved
views and bulk work."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opsdesk.core.exceptions import InvalidInput, NotFound
from opsdesk.incidents import selectors, services
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.refs import resolve_refs
from opsdesk.incidents.services.bulk import BULK_FIELDS

from .. import services as web
from ..services import QUEUES, Queue, queues_for  # noqa: F401  (QUEUES: browser tests use it)
from .measures import queue_more_filters

PAGE_SIZE = 50


def _queue_or_404(request, slug: str) -> tuple[Queue, list[Queue]]:
    available = queues_for(request.user)
    if not available:
        raise PermissionDenied
    current = next((q for q in available if q.slug == slug), None) if slug else available[0]
    if current is None:
        raise Http404
    return current, available


@login_required
def queue(request, queue: str = ""):
    """One queue, narrowed by filters, sorted by a column; counts of every queue and saved view.
    The table refreshes itself every 30 seconds with the same filters and sort."""
    current, available = _queue_or_404(request, queue)
    text = request.GET.get("q", "").strip()[:200]
    if text and selectors.incident_visible(user=request.user, number=text.upper()):
        return redirect("web:incident", number=text.upper())  # a number read out on the phone
    rows, cursor, errors = [], "", {}
    sort = request.GET.get("sort") or web.DEFAULT_SORT
    try:
        filters, sort = web.queue_filters(user=request.user, queue=current, params=request.GET)
        rows, cursor = selectors.incident_list(user=request.user, filters=filters, sort=sort,
                                               cursor=request.GET.get("cursor", ""),
                                               limit=PAGE_SIZE)
    except InvalidInput as error:
        errors = error.errors or {"": str(error.message)}
    filtered = any(k in web.PARAM_NAMES and k != "q" and v for k, v in request.GET.items())
    # A filtered list says how many incidents it holds, so a figure's link can be checked
    # against the figure (a KPI's "101" opens a list that says 101).
    matching = (selectors.incident_count(user=request.user, filters=filters)
                if filtered and not errors else None)
    query = web.query_normalize(request.GET)
    views = [(v, web.saved_view_count(user=request.user, view=v, queues=available),
              v.queue == current.slug and v.query == query)
             for v in web.saved_views_for(user=request.user)]
    context = {
        "queue": current, "rows": rows, "next_cursor": cursor, "sort": sort, "q": text,
        "nav": "work", "errors": errors, "query": query, "params": request.GET,
        "counts": [(q, selectors.incident_count(user=request.user, filters=q.filters(request.user)))
                   for q in available if q.listed],
        "views": views, "view_active": any(active for _v, _c, active in views),
        "filtered": filtered, "matching": matching,
        "columns": _columns(sort, query),
        "next_url": f"?{_with(query, cursor=cursor)}" if cursor else "",
        "choices": web.queue_choices(),
        "can_override": request.user.is_service_desk or request.user.is_incident_manager,
        "more_filters": queue_more_filters(request.GET),
    }
    return TemplateResponse(request, "web/work/queue.html", context, status=422 if errors else 200)


# (column label, sort ascending, sort descending); the order of the table's sortable headers.
SORTABLE = {
    "number": ("registered_at", "-registered_at"),
    "priority": ("priority", "-priority"),
    "status": ("status", "-status"),
    "age": ("-registered_at", "registered_at"),  # youngest first is ascending age
    "updated": ("updated_at", "-updated_at"),
}


def _columns(sort: str, query: str) -> dict:
    """Per sortable column: the link that sorts by it (the other way when it is the current
    sort), with the same filters, and its aria-sort state."""
    columns = {}
    for name, (ascending, descending) in SORTABLE.items():
        state = "ascending" if sort == ascending else "descending" if sort == descending else ""
        if name == "age":
            state = ""  # the number column already carries the registration order
        next_sort = descending if sort == ascending else ascending
        columns[name] = {"url": f"?{_with(query, sort=next_sort)}", "state": state}
    return columns


def _with(query: str, **values) -> str:
    """The query string with some parameters replaced."""
    params = QueryDict(query, mutable=True)
    for name, value in values.items():
        params[name] = value
    return params.urlencode()


def _back(request, slug: str) -> str:
    """The queue page the form came from, with its filters; never another site."""
    target = request.POST.get("next", "")
    if target.startswith("/work/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("web:queue", args=[slug]) if slug else reverse("web:work")


@login_required
@require_POST
def bulk(request, queue: str):
    """Assign or change the selected incidents, each on its own; report what was refused."""
    current, _available = _queue_or_404(request, queue)
    back = _back(request, current.slug)
    numbers = request.POST.getlist("numbers")
    if not numbers:
        messages.error(request, _("Select at least one incident first."))
        return redirect(back)
    try:
        result = _bulk_apply(request, numbers)
    except InvalidInput as error:
        messages.error(request, " ".join(str(m) for m in error.errors.values())
                       or str(error.message))
        return redirect(back)
    if result.done:
        messages.success(request, _("%(count)s incidents changed: %(numbers)s.") % {
            "count": len(result.done), "numbers": ", ".join(result.done)})
    for number, reason in result.refused:
        messages.error(request, _("%(number)s was not changed: %(reason)s") % {
            "number": number, "reason": reason})
    return redirect(back)


def _bulk_apply(request, numbers: list[str]) -> services.BulkResult:
    post, by = request.POST, request.user
    if post.get("bulk") == "assign":
        if not post.get("assignment_group"):
            raise InvalidInput(errors={"assignment_group": _("Choose the group to assign to.")})
        data = resolve_refs({"assignment_group": post["assignment_group"],
                             "assignee": post.get("assignee") or None})
        return services.incidents_bulk_assign(by=by, numbers=numbers, channel=Channel.WEB, **data)
    data = {name: post[name].strip() for name in sorted(BULK_FIELDS) if post.get(name, "").strip()}
    if not set(data) - {"priority_override_reason"}:
        raise InvalidInput(errors={"": _("Choose at least one field to change.")})
    return services.incidents_bulk_update(by=by, numbers=numbers, data=resolve_refs(data),
                                          channel=Channel.WEB)


@login_required
@require_POST
def view_save(request, queue: str):
    """Save the queue with its current filters and sort as a named view."""
    current, _available = _queue_or_404(request, queue)
    params = QueryDict(request.POST.get("query", ""))
    group = request.POST.get("group", "")
    try:
        view = web.saved_view_create(owner=request.user, name=request.POST.get("name", ""),
                                     queue=current, params=params,
                                     group_id=int(group) if group.isdigit() else None)
    except InvalidInput as error:
        messages.error(request, " ".join(str(m) for m in error.errors.values()))
        return redirect(f"{reverse('web:queue', args=[current.slug])}?{params.urlencode()}")
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(f"{reverse('web:queue', args=[view.queue])}?{view.query}")


@login_required
@require_POST
def view_delete(request, view_id: int):
    """Delete one of my saved views."""
    try:
        web.saved_view_delete(user=request.user, view_id=view_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The saved view was deleted."))
    return redirect(_back(request, ""))
