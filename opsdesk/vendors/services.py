"""Vendor work on incidents: contact a vendor, record its response and its resolution.

Every function runs in one transaction with the incident's row locked, so the engagement, the
incident's vendor fields, the work note and an optional pend commit together or not at all.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core import lookups
from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.services import text_clean
from opsdesk.incidents.choices import FINAL_STATUSES, Channel, Status, Visibility
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import (can_edit, comment_create, incident_transition,
                                        incident_update)
from opsdesk.reference.models import PendingReason
from opsdesk.sla.selectors import calendar_snapshot

from . import measures
from .models import EngagementChannel, Vendor, VendorContract, VendorEngagement

# The default pending reason "awaiting the vendor" (等待第三方): the SLA policy pauses on it.
PENDING_AWAITING_VENDOR = "02"
# Clocks of people's machines drift: a time this little ahead is taken as "now".
FUTURE_TOLERANCE = timedelta(minutes=2)
UPDATABLE = ("reference", "contact", "contacted_via", "contacted_at", "responded_at",
             "resolved_at", "notes", "contract")


def vendor_engagement_create(*, incident: Incident, by, vendor: Vendor, data: dict | None = None,
                             pend: bool = False, channel: str = Channel.WEB) -> VendorEngagement:
    """Contact a vendor about an incident ("contact vendor") and measure it on its contract.

    data: reference, contacted_via, contacted_at (default now), contact, contract (default the
    one covering the incident's CIs or service), responded_at, resolved_at, notes. The newest
    engagement sets the incident's vendor and vendor reference. pend=True also pends the
    incident "awaiting the vendor" (starting work first if nobody has), which pauses our
    resolution clock where the SLA policy says so.
    """
    data = dict(data or {})
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        _check_may_work(incident=incident, by=by)
        if not vendor.is_active:
            raise InvalidInput(errors={"vendor": _("This vendor is no longer active.")})
        data.setdefault("contacted_at", timezone.now())
        engagement = VendorEngagement(incident=incident, vendor=vendor, contacted_by=by)
        _apply(engagement, data, incident=incident)
        engagement.save()
        _sync_incident(incident=incident, engagement=engagement, by=by, channel=channel)
        _note(incident, by, channel, _contacted_text(engagement))
        if pend:
            _pend(incident=incident, by=by, channel=channel)
    return engagement


def vendor_engagement_update(*, engagement: VendorEngagement, by, data: dict,
                             resume: bool = False, channel: str = Channel.WEB
                             ) -> VendorEngagement:
    """Change an engagement: the vendor's reference, its response or resolution time, notes.

    Recording a resolution without a response takes the resolution as the response. resume=True
    resumes the incident when the vendor's fix arrives while it is pending on the vendor.
    """
    unknown = sorted(set(data) - set(UPDATABLE))
    if unknown:
        raise InvalidInput(errors={f: _("This field cannot be changed here.") for f in unknown})
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=engagement.incident_id)
        engagement = VendorEngagement.objects.select_for_update().get(pk=engagement.pk)
        _check_may_work(incident=incident, by=by, finished_ok=True)
        before = (engagement.responded_at, engagement.resolved_at)
        _apply(engagement, data, incident=incident)
        engagement.save()
        if incident.status not in FINAL_STATUSES:
            _sync_incident(incident=incident, engagement=engagement, by=by, channel=channel)
        _note_changes(incident, by, channel, engagement, before)
        if resume and before[1] is None and engagement.resolved_at is not None:
            _resume(incident=incident, by=by, channel=channel)
    return engagement


def vendor_response_record(*, engagement: VendorEngagement, by, at=None,
                           channel: str = Channel.WEB) -> VendorEngagement:
    """The vendor answered (default now)."""
    return vendor_engagement_update(engagement=engagement, by=by, channel=channel,
                                    data={"responded_at": at or timezone.now()})


def vendor_resolution_record(*, engagement: VendorEngagement, by, at=None, resume: bool = False,
                             channel: str = Channel.WEB) -> VendorEngagement:
    """The vendor says it is fixed (default now); optionally resume the incident."""
    return vendor_engagement_update(engagement=engagement, by=by, channel=channel, resume=resume,
                                    data={"resolved_at": at or timezone.now()})


def contract_covering(*, vendor: Vendor, incident: Incident, day) -> VendorContract | None:
    """The vendor's active contract in force that day for the incident's CIs, else its service."""
    in_force = (VendorContract.objects.filter(vendor=vendor, is_active=True, starts_on__lte=day)
                .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day)).order_by("-starts_on", "id"))
    ci_ids = list(incident.configuration_items.values_list("pk", flat=True))
    if ci_ids:
        found = in_force.filter(configuration_items__in=ci_ids).first()
        if found is not None:
            return found
    if incident.service_id:
        return in_force.filter(services=incident.service_id).first()
    return None


# ---- checks and the engagement's fields ------------------------------------------------------

def _check_may_work(*, incident: Incident, by, finished_ok: bool = False) -> None:
    if not can_edit(user=by, incident=incident):
        raise NotPermitted(_("Only the people working on this incident may record vendor work."))
    if incident.status in FINAL_STATUSES and not finished_ok:
        raise Conflict(_("This incident is finished: a vendor can no longer be contacted for it."))


def _apply(engagement: VendorEngagement, data: dict, *, incident: Incident) -> None:
    """Set the given fields, check them together, and measure against the contract."""
    errors = {}
    for field in UPDATABLE:
        if field in data:
            value = data[field]
            setattr(engagement, field, text_clean(value) if field in ("reference", "notes")
                    else value)
    if engagement.resolved_at is not None and engagement.responded_at is None:
        engagement.responded_at = engagement.resolved_at  # a fix is an answer
    _check_parts(engagement, errors)
    _check_times(engagement, errors)
    if errors:
        raise InvalidInput(errors=errors)
    if "contract" not in data and (engagement.pk is None or "contacted_at" in data):
        engagement.contract = contract_covering(
            vendor=engagement.vendor, incident=incident,
            day=timezone.localdate(engagement.contacted_at))
    _measure(engagement)


def _check_parts(engagement: VendorEngagement, errors: dict) -> None:
    if engagement.contacted_via not in EngagementChannel.values:
        errors["contacted_via"] = _("Choose how the vendor was contacted.")
    if len(engagement.reference) > 100:
        errors["reference"] = _("Use at most 100 characters.")
    contact, contract = engagement.contact, engagement.contract
    if contact is not None and (contact.vendor_id != engagement.vendor_id or not contact.is_active):
        errors["contact"] = _("Choose an active contact of %(vendor)s.") % {
            "vendor": engagement.vendor.name}
    if contract is not None and contract.vendor_id != engagement.vendor_id:
        errors["contract"] = _("Choose a contract of %(vendor)s.") % {
            "vendor": engagement.vendor.name}


def _check_times(engagement: VendorEngagement, errors: dict) -> None:
    """Times are not in the future and come in order: contacted ≤ responded ≤ resolved."""
    latest = timezone.now() + FUTURE_TOLERANCE
    names = ("contacted_at", "responded_at", "resolved_at")
    times = [getattr(engagement, name) for name in names]
    if times[0] is None:
        errors["contacted_at"] = _("Give the time the vendor was contacted.")
        return
    for name, value in zip(names, times, strict=True):
        if value is not None and value > latest:
            errors[name] = _("This time is in the future.")
    if times[1] is not None and times[1] < times[0] and "responded_at" not in errors:
        errors["responded_at"] = _("The vendor cannot respond before it was contacted.")
    if times[2] is not None and times[1] is not None and times[2] < times[1] \
            and "resolved_at" not in errors:
        errors["resolved_at"] = _("The vendor cannot resolve it before it responded.")


def _measure(engagement: VendorEngagement) -> None:
    """Due dates from the contract's promise, durations on the contract's calendar."""
    contract = engagement.contract
    calendar = None
    if contract is not None and contract.calendar_id:
        calendar = calendar_snapshot(code=contract.calendar_id)
    start = engagement.contacted_at
    engagement.response_due_at = measures.due_at(
        calendar, start, contract.response_seconds if contract else None)
    engagement.resolution_due_at = measures.due_at(
        calendar, start, contract.resolution_seconds if contract else None)
    engagement.response_seconds = measures.elapsed(calendar, start, engagement.responded_at)
    engagement.resolution_seconds = measures.elapsed(calendar, start, engagement.resolved_at)


# ---- effects on the incident -------------------------------------------------------------

def _sync_incident(*, incident: Incident, engagement: VendorEngagement, by, channel) -> None:
    """The newest engagement names the incident's vendor and its ticket number."""
    newer = VendorEngagement.objects.filter(incident=incident).filter(
        Q(contacted_at__gt=engagement.contacted_at)
        | Q(contacted_at=engagement.contacted_at, pk__gt=engagement.pk))
    if newer.exists():
        return
    reference = engagement.reference
    if not reference and incident.vendor_id == engagement.vendor_id:
        reference = incident.vendor_reference  # same vendor, no new number: keep the known one
    changes = {}
    if incident.vendor_id != engagement.vendor_id:
        changes["vendor"] = engagement.vendor
    if incident.vendor_reference != reference:
        changes["vendor_reference"] = reference
    if changes:
        incident_update(incident=incident, by=by, data=changes, channel=channel)


def _pend(*, incident: Incident, by, channel) -> None:
    """Pend the incident on the vendor (starting work first when nobody has yet)."""
    incident.refresh_from_db()
    if incident.status == Status.PENDING and incident.pending_reason_id == PENDING_AWAITING_VENDOR:
        return
    if incident.status == Status.PENDING:
        raise InvalidInput(errors={"pend": _(
            "The incident is already pending for another reason; resume it first.")})
    if incident.status in (Status.LOGGED, Status.ASSIGNED):
        incident = incident_transition(incident=incident, action="start", by=by, channel=channel)
    if incident.status != Status.IN_PROGRESS:
        raise InvalidInput(errors={"pend": _("Only an incident in progress can be pending.")})
    reason = lookups.lookup(PendingReason, PENDING_AWAITING_VENDOR)
    incident_transition(incident=incident, action="pend", by=by, channel=channel,
                        pending_reason=reason)


def _resume(*, incident: Incident, by, channel) -> None:
    incident.refresh_from_db()
    if incident.status == Status.PENDING and incident.pending_reason_id == PENDING_AWAITING_VENDOR:
        incident_transition(incident=incident, action="resume", by=by, channel=channel)


def _note(incident: Incident, by, channel, text: str) -> None:
    comment_create(incident=incident, by=by, body=text, visibility=Visibility.INTERNAL,
                   channel=channel)


def _contacted_text(engagement: VendorEngagement) -> str:
    text = _("Contacted the vendor %(vendor)s (%(via)s).") % {
        "vendor": engagement.vendor.name, "via": engagement.get_contacted_via_display()}
    if engagement.reference:
        text += " " + _("Their ticket: %(ref)s.") % {"ref": engagement.reference}
    if engagement.contract is not None:
        text += " " + _("Contract: %(contract)s.") % {"contract": engagement.contract}
    return text


def _note_changes(incident, by, channel, engagement: VendorEngagement, before) -> None:
    name = engagement.vendor.name
    if before[0] is None and engagement.responded_at is not None:
        _note(incident, by, channel, _("The vendor %(vendor)s responded.") % {"vendor": name})
    if before[1] is None and engagement.resolved_at is not None:
        _note(incident, by, channel, _("The vendor %(vendor)s reports it fixed.") % {
            "vendor": name})
