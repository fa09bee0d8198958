"""Reads of vendors, their contacts and contracts, engagements, and the performance report.

Vendor data is for support staff only: plain users (requesters) never see it, and get a 404
for a vendor as they would for anything that does not exist.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.admin_site import can_manage_reference
from opsdesk.core.exceptions import NotFound, NotPermitted
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services.relations import user_is_staff

from . import measures
from .models import Vendor, VendorContact, VendorContract, VendorEngagement

REPORT_DEFAULT_DAYS = 90


def may_view_vendors(*, user) -> bool:
    """Support staff and administrators read vendors and the engagements on incidents."""
    return bool(user.is_authenticated and user.is_active
                and (user_is_staff(user) or user.is_administrator))


def may_edit_vendors(*, user) -> bool:
    """Process owners, incident managers and administrators keep vendors, contacts, contracts."""
    return bool(can_manage_reference(user) or (
        user.is_authenticated and user.is_active and user.is_incident_manager))


def may_read_report(*, user) -> bool:
    """Incident managers, process owners and administrators read vendor performance."""
    return bool(user.is_authenticated and user.is_active
                and (user.is_superuser or user.is_incident_manager or user.is_process_owner
                     or user.is_administrator))


def check_may_view(user) -> None:
    if not may_view_vendors(user=user):
        raise NotFound(_("Not found."))


def check_may_read_report(user) -> None:
    if not may_read_report(user=user):
        raise NotPermitted(_("Only incident managers, process owners and administrators may "
                             "read the vendor performance report."))


def vendor_list(*, user, active_only: bool = False) -> list[Vendor]:
    """Vendors by name, with their number of active contacts and contracts (one query)."""
    if not may_view_vendors(user=user):
        raise NotPermitted(_("Only support staff may read vendors."))
    rows = Vendor.objects.annotate(
        contact_count=Count("contacts", filter=Q(contacts__is_active=True), distinct=True),
        contract_count=Count("contracts", filter=Q(contracts__is_active=True), distinct=True),
    ).order_by("-is_active", "name")
    if active_only:
        rows = rows.filter(is_active=True)
    return list(rows)


def vendor_get(*, user, vendor_id: int) -> Vendor:
    """One vendor with its contacts and contracts (services and CIs) prefetched."""
    check_may_view(user)
    contracts = VendorContract.objects.select_related("calendar").prefetch_related(
        "services", "configuration_items")
    try:
        return Vendor.objects.prefetch_related(
            Prefetch("contacts", queryset=VendorContact.objects.order_by(
                "-is_active", "-is_escalation", "escalation_level", "sort_order", "name")),
            Prefetch("contracts", queryset=contracts),
        ).get(pk=vendor_id)
    except Vendor.DoesNotExist:
        raise NotFound(_("There is no vendor %(id)s.") % {"id": vendor_id}) from None


def escalation_contacts(vendor: Vendor) -> list[VendorContact]:
    """The vendor's active escalation contacts, level 1 first (from prefetched contacts)."""
    return sorted((c for c in vendor.contacts.all() if c.is_active and c.is_escalation),
                  key=lambda c: (c.escalation_level, c.sort_order, c.name))


def escalation_addresses(*, vendor: Vendor) -> list[tuple[str, str]]:
    """Who a functional escalation mails, as (name, address) pairs: the vendor's active
    escalation contacts with an address, level 1 first (every level: the escalation happens
    once per incident and vendor, so nobody further up the ladder waits for a second one); a
    vendor without such contacts falls back to its own support address. One query."""
    contacts = VendorContact.objects.filter(
        vendor=vendor, is_active=True, is_escalation=True).exclude(email="").order_by(
        "escalation_level", "sort_order", "name", "pk")
    found = [(c.name, c.email) for c in contacts]
    if not found and vendor.email:
        found = [(vendor.contact_name, vendor.email)]
    return found


def engagements_for_incident(*, user, incident) -> list[VendorEngagement]:
    """The incident's engagements, newest first (the caller already checked the incident)."""
    check_may_view(user)
    return list(VendorEngagement.objects.filter(incident=incident).select_related(
        "vendor", "contract", "contact", "contacted_by").order_by("-contacted_at", "-id"))


def engagement_get(*, user, incident, engagement_id: int) -> VendorEngagement:
    check_may_view(user)
    try:
        return VendorEngagement.objects.select_related("vendor", "contract", "contact").get(
            pk=engagement_id, incident=incident)
    except VendorEngagement.DoesNotExist:
        raise NotFound(_("This incident has no vendor engagement %(id)s.") % {
            "id": engagement_id}) from None


def vendor_engagements_recent(*, user, vendor: Vendor, limit: int = 20) -> list[VendorEngagement]:
    """The vendor's open engagements, then its latest closed ones, of incidents user sees."""
    check_may_view(user)
    visible = Incident.objects.restrict(user).values("pk")
    rows = VendorEngagement.objects.filter(vendor=vendor, incident__in=visible).select_related(
        "incident", "contract").order_by("-contacted_at", "-id")
    open_rows = list(rows.filter(resolved_at__isnull=True)[:limit])
    return open_rows + list(rows.filter(resolved_at__isnull=False)[:max(0, limit - len(open_rows))])


# ---- the performance report ----------------------------------------------------------------

@dataclass(frozen=True)
class VendorPerformance:
    """One vendor's figures for engagements started in the period."""

    vendor_id: int
    vendor_name: str
    engagements: int
    open_engagements: int
    response_measured: int  # with a promise, and answered or already overdue
    response_met: int
    resolution_measured: int
    resolution_met: int
    response: measures.Figures  # business seconds on each contract's calendar
    resolution: measures.Figures

    @property
    def response_met_percent(self) -> float | None:
        return measures.percent(self.response_met, self.response_measured)

    @property
    def resolution_met_percent(self) -> float | None:
        return measures.percent(self.resolution_met, self.resolution_measured)


def report_period(start: date | None, end: date | None) -> tuple[date, date]:
    """The period as given, else the last REPORT_DEFAULT_DAYS days up to today (inclusive)."""
    end = end or timezone.localdate()
    start = start or end - timedelta(days=REPORT_DEFAULT_DAYS - 1)
    return start, end


def vendor_performance(*, user, start: date, end: date, vendor_id: int | None = None,
                       now: datetime | None = None) -> list[VendorPerformance]:
    """Per vendor, the engagements contacted from start to end (local dates, both inclusive).

    Met means answered (or fixed) by the contract's due time; an engagement still waiting past
    its due time counts as breached; one without a promise, or still within it, is not measured.
    Two queries: the counts grouped by vendor, and the durations for the medians.
    """
    check_may_read_report(user)
    now = now or timezone.now()
    rows = _period_rows(start, end, vendor_id)
    counts = rows.values("vendor_id", "vendor__name").annotate(
        engagements=Count("id"),
        open_engagements=Count("id", filter=Q(resolved_at__isnull=True)),
        response_measured=Count("id", filter=_measured("response", now)),
        response_met=Count("id", filter=_met("responded_at", "response_due_at")),
        resolution_measured=Count("id", filter=_measured("resolution", now)),
        resolution_met=Count("id", filter=_met("resolved_at", "resolution_due_at")),
    ).order_by("vendor__name")
    durations = _durations(rows)
    return [VendorPerformance(
        vendor_id=c["vendor_id"], vendor_name=c["vendor__name"], engagements=c["engagements"],
        open_engagements=c["open_engagements"], response_measured=c["response_measured"],
        response_met=c["response_met"], resolution_measured=c["resolution_measured"],
        resolution_met=c["resolution_met"],
        response=measures.figures(durations.get(c["vendor_id"], ([], []))[0]),
        resolution=measures.figures(durations.get(c["vendor_id"], ([], []))[1]),
    ) for c in counts]


def _period_rows(start: date, end: date, vendor_id: int | None):
    zone = timezone.get_current_timezone()
    begins = datetime.combine(start, time.min, tzinfo=zone)
    ends = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    rows = VendorEngagement.objects.filter(contacted_at__gte=begins, contacted_at__lt=ends)
    return rows.filter(vendor_id=vendor_id) if vendor_id is not None else rows


def _measured(clock: str, now: datetime) -> Q:
    done = "responded_at" if clock == "response" else "resolved_at"
    due = f"{clock}_due_at"
    return Q(**{f"{due}__isnull": False}) & (Q(**{f"{done}__isnull": False})
                                             | Q(**{f"{due}__lt": now}))


def _met(done: str, due: str) -> Q:
    return Q(**{f"{due}__isnull": False, f"{done}__isnull": False,
                f"{done}__lte": F(due)})


def _durations(rows) -> dict[int, tuple[list[int], list[int]]]:
    found: dict[int, tuple[list[int], list[int]]] = {}
    for vendor_id, response, resolution in rows.filter(
            Q(response_seconds__isnull=False) | Q(resolution_seconds__isnull=False)
    ).values_list("vendor_id", "response_seconds", "resolution_seconds"):
        lists = found.setdefault(vendor_id, ([], []))
        if response is not None:
            lists[0].append(response)
        if resolution is not None:
            lists[1].append(resolution)
    return found
