"""Reading the audit log: who may, and the filtered, newest-first list (page, CSV and API)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.admin_site import can_manage_reference
from opsdesk.core.exceptions import InvalidInput, NotPermitted

from .models import AuditEvent, AuditKind

PAGE_SIZE = 50
EXPORT_BATCH = 2000


def not_permitted_message() -> str:
    return _("Only administrators and process owners may read the audit log.")


def may_read_audit(user) -> bool:
    """Administrators and process owners (and superusers) read the audit log; no one else."""
    return can_manage_reference(user)


@dataclass(frozen=True)
class AuditFilters:
    """The list's filters; every one optional. Dates are whole days in the reader's zone."""

    kind: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None
    before: int | None = None  # keyset: entries older than this seq

    def query(self) -> dict:
        """The filters as URL parameters (the next page's and the CSV link's)."""
        values = {"kind": self.kind, "actor": self.actor,
                  "since": self.since.isoformat() if self.since else "",
                  "until": self.until.isoformat() if self.until else ""}
        return {k: v for k, v in values.items() if v}


def audit_filters_parse(params) -> AuditFilters:
    """AuditFilters from query parameters; a bad value is a 4xx naming the parameter."""
    errors = {}
    kind = (params.get("kind") or "").strip()
    if kind and kind not in AuditKind.values:
        errors["kind"] = _("Choose one of the listed kinds of event.")
    since, until = _day(params, "since", errors), _day(params, "until", errors)
    if since and until and since > until:
        errors["until"] = _("The end date comes before the start date.")
    before = (params.get("before") or "").strip()
    if before and not before.isdigit():
        errors["before"] = _("Use the link to the next page.")
    if errors:
        raise InvalidInput(_("Some filters are not valid."), errors=errors)
    return AuditFilters(kind=kind, actor=(params.get("actor") or "").strip()[:150],
                        since=since, until=until, before=int(before) if before else None)


def _day(params, name: str, errors: dict) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Use a date such as 2026-01-31.")
        return None


def audit_event_list(*, user, filters: AuditFilters) -> QuerySet:
    """The entries matching filters, newest first (each filter has an index with seq)."""
    if not may_read_audit(user):
        raise NotPermitted(not_permitted_message())
    rows = AuditEvent.objects.select_related("target_type").order_by("-seq")
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.actor:
        rows = rows.filter(actor_username=filters.actor)
    if filters.since:
        rows = rows.filter(at__gte=_start_of(filters.since))
    if filters.until:
        rows = rows.filter(at__lt=_start_of(filters.until + timedelta(days=1)))
    if filters.before:
        rows = rows.filter(seq__lt=filters.before)
    return rows


def audit_event_page(*, user, filters: AuditFilters) -> tuple[list[AuditEvent], int | None]:
    """One page of the list and the seq to continue before (None: the last page)."""
    rows = list(audit_event_list(user=user, filters=filters)[:PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    return rows[:PAGE_SIZE], (rows[PAGE_SIZE - 1].seq if more else None)


def audit_event_stream(*, user, filters: AuditFilters) -> Iterator[AuditEvent]:
    """Every matching entry, newest first, read in keyset batches (an export of any size)."""
    rows = audit_event_list(user=user, filters=filters)
    before = filters.before
    while batch := list(rows.filter(seq__lt=before)[:EXPORT_BATCH] if before
                        else rows[:EXPORT_BATCH]):
        yield from batch
        before = batch[-1].seq


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())
