"""The audit log's page (/audit/) and its CSV download, for administrators and process owners."""

import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from opsdesk.core.exceptions import InvalidInput
from opsdesk.reporting.tables import CONTENT_TYPES, Table, csv_stream

from . import selectors
from .models import AuditKind
from .services import audit_record


@login_required
def event_list(request):
    """Newest first, filtered by kind, actor and dates; a page at a time (keyset on seq)."""
    if not selectors.may_read_audit(request.user):
        raise PermissionDenied
    try:
        filters = selectors.audit_filters_parse(request.GET)
    except InvalidInput as error:
        return _page(request, selectors.AuditFilters(), error=error, status=422)
    return _page(request, filters)


def _page(request, filters, *, error=None, status=200):
    events, next_before = selectors.audit_event_page(user=request.user, filters=filters)
    return TemplateResponse(request, "audit/list.html", {
        "events": events, "filters": filters, "kinds": AuditKind.choices,
        "query": urlencode(filters.query()), "next_before": next_before, "params": request.GET,
        "errors": error.errors if error else {}}, status=status)


@login_required
def event_export(request):
    """Every matching entry as CSV (UTF-8 with BOM, formula cells escaped); itself audited."""
    if not selectors.may_read_audit(request.user):
        raise PermissionDenied
    try:
        filters = selectors.audit_filters_parse(request.GET)
    except InvalidInput as error:
        return _page(request, selectors.AuditFilters(), error=error, status=422)
    audit_record(kind=AuditKind.EXPORT, request=request, target_text="audit log",
                 details={"format": "csv", "params": filters.query()})
    table = Table(title=_("Audit log"), columns=_columns(), rows=(
        _row(e) for e in selectors.audit_event_stream(user=request.user, filters=filters)))
    response = StreamingHttpResponse(csv_stream([table]), content_type=CONTENT_TYPES["csv"])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response


def _columns() -> list[str]:
    return [_("Seq"), _("Time"), _("Event"), _("Actor"), _("IP address"), _("User agent"),
            _("Target type"), _("Target id"), pgettext("audit log", "Target"), _("Details"), _("Hash")]


def _row(event) -> list:
    target_type = f"{event.target_type.app_label}.{event.target_type.model}" \
        if event.target_type_id else ""
    return [event.seq, timezone.localtime(event.at).isoformat(timespec="seconds"),
            event.get_kind_display(), event.actor_username, event.ip, event.user_agent,
            target_type, event.target_id, event.target_text, _details_text(event.details),
            event.hash]


def _details_text(details: dict) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True) if details else ""
