"""REST API: vendors with their contacts and contracts, vendor work on incidents, performance.

Support staff read vendors and engagements; plain users get a 404 (vendor data does not leak).
The performance report is for incident managers, process owners and administrators.
"""

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from opsdesk.core.exceptions import InvalidInput
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.choices import Channel
from opsdesk.vendors import selectors, services
from opsdesk.vendors.models import Vendor, VendorContact, VendorContract, VendorEngagement

from .schemas import ERRORS

router = Router()
_STRICT = ConfigDict(extra="forbid")


class ContactOut(Schema):
    id: int
    name: str
    role: str
    phone: str
    email: str
    is_escalation: bool
    escalation_level: int = Field(description="1 is called first when escalating")
    is_active: bool


class ContractOut(Schema):
    id: int
    number: str
    title: str
    starts_on: date
    ends_on: date | None
    services: list[str] = Field(description="Service codes")
    configuration_items: list[str] = Field(description="CI names")
    calendar: str | None = Field(description="Support hours (business calendar code); "
                                             "null: around the clock")
    response_seconds: int | None = Field(description="Promised response, business seconds")
    resolution_seconds: int | None = Field(description="Promised resolution, business seconds")
    notes: str
    is_active: bool


class VendorOut(Schema):
    id: int
    name: str
    contact_name: str
    phone: str
    email: str
    is_active: bool
    contact_count: int = Field(description="Active contacts")
    contract_count: int = Field(description="Active contracts")


class VendorDetailOut(VendorOut):
    notes: str
    contacts: list[ContactOut]
    contracts: list[ContractOut]


class EngagementOut(Schema):
    id: int
    incident: str = Field(description="Incident number")
    vendor: str
    vendor_id: int
    contract: str | None = Field(description="Contract number; null: no contract covers it")
    contact_id: int | None
    reference: str = Field(description="The vendor's own ticket number")
    contacted_via: str = Field(description="phone, email, portal, im or onsite")
    contacted_at: datetime
    contacted_by: str | None
    responded_at: datetime | None
    resolved_at: datetime | None = Field(description="When the vendor said it was fixed")
    notes: str
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    response_seconds: int | None = Field(description="Business seconds on the contract's "
                                                     "calendar")
    resolution_seconds: int | None
    response_met: bool | None = Field(description="null: no promise, or still within it")
    resolution_met: bool | None


class EngagementCreateIn(Schema):
    model_config = _STRICT
    vendor: str = Field(description="Vendor name")
    reference: str = Field("", max_length=100)
    contacted_via: str = "phone"
    contacted_at: datetime | None = Field(None, description="Default: now")
    contact_id: int | None = None
    contract: str | None = Field(None, description="Contract number; default: the vendor's "
                                                   "contract covering the incident's CIs or "
                                                   "service")
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    notes: str = Field("", max_length=5000)
    pend: bool = Field(False, description="Also pend the incident, awaiting the vendor")


class EngagementUpdateIn(Schema):
    model_config = _STRICT
    reference: str | None = Field(None, max_length=100)
    contacted_via: str | None = None
    contacted_at: datetime | None = None
    contact_id: int | None = None
    contract: str | None = None
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    notes: str | None = Field(None, max_length=5000)
    resume: bool = Field(False, description="Resume the incident pending on the vendor when "
                                            "its resolution is recorded")


class FiguresOut(Schema):
    count: int
    mean_seconds: int | None
    median_seconds: int | None


class PerformanceOut(Schema):
    vendor_id: int
    vendor: str
    engagements: int
    open_engagements: int = Field(description="Not yet fixed by the vendor")
    response_measured: int
    response_met: int
    response_met_percent: float | None
    resolution_measured: int
    resolution_met: int
    resolution_met_percent: float | None
    response: FiguresOut
    resolution: FiguresOut


class ReportOut(Schema):
    start: date
    end: date
    vendors: list[PerformanceOut]


class ReportQuery(Schema):
    start: date | None = Field(None, description="First day (default: 90 days ago)")
    end: date | None = Field(None, description="Last day, inclusive (default: today)")
    vendor: int | None = Field(None, description="Only this vendor id")


# ---- vendors ---------------------------------------------------------------------------------

@router.get("list", response={200: list[VendorOut], **ERRORS}, summary="List vendors")
def vendor_list(request):
    """Every vendor with its number of active contacts and contracts (support staff).

    (`GET /vendors` itself is the reference data's list of active vendor names.)"""
    return [_vendor(v) for v in selectors.vendor_list(user=request.auth)]


@router.get("report", response={200: ReportOut, **ERRORS}, summary="Vendor performance")
def vendor_report(request, query: Query[ReportQuery]):
    """Per vendor, engagements contacted in the period: met rates against the contracts, mean
    and median response and resolution times (business seconds), open engagements."""
    start, end = selectors.report_period(query.start, query.end)
    if start > end:
        raise InvalidInput(errors={"start": _("The period starts after it ends.")})
    rows = selectors.vendor_performance(user=request.auth, start=start, end=end,
                                        vendor_id=query.vendor)
    return {"start": start, "end": end, "vendors": [performance_dict(r) for r in rows]}


@router.get("{int:vendor_id}", response={200: VendorDetailOut, **ERRORS}, summary="A vendor")
def vendor_get(request, vendor_id: int):
    """A vendor with its contacts (escalation contacts by level) and contracts."""
    vendor = selectors.vendor_get(user=request.auth, vendor_id=vendor_id)
    counts = {"contact_count": sum(c.is_active for c in vendor.contacts.all()),
              "contract_count": sum(c.is_active for c in vendor.contracts.all())}
    return {**_vendor(vendor, **counts), "notes": vendor.notes,
            "contacts": [_contact(c) for c in vendor.contacts.all()],
            "contracts": [_contract(c) for c in vendor.contracts.all()]}


# ---- engagements on an incident -------------------------------------------------------------

@router.get("incidents/{number}/engagements", response={200: list[EngagementOut], **ERRORS},
            summary="Vendor engagements of an incident")
def vendor_engagement_list(request, number: str):
    incident = incident_selectors.incident_get(user=request.auth, number=number)
    now = timezone.now()
    return [engagement_dict(e, now=now, number=incident.number)
            for e in selectors.engagements_for_incident(user=request.auth, incident=incident)]


@router.post("incidents/{number}/engagements", response={201: EngagementOut, **ERRORS},
             summary="Contact a vendor")
def vendor_engagement_create(request, number: str, payload: EngagementCreateIn):
    """Record that the vendor was contacted; optionally pend the incident on the vendor."""
    incident = incident_selectors.incident_get(user=request.auth, number=number)
    selectors.check_may_view(request.auth)
    data = payload.dict(exclude_unset=True)
    vendor = _vendor_by_name(data.pop("vendor"))
    pend = data.pop("pend", False)
    engagement = services.vendor_engagement_create(
        incident=incident, by=request.auth, vendor=vendor, pend=pend, channel=Channel.API,
        data=_resolve(data, vendor))
    return Status(201, engagement_dict(engagement, now=timezone.now(), number=incident.number))


@router.patch("incidents/{number}/engagements/{int:engagement_id}",
              response={200: EngagementOut, **ERRORS}, summary="Change a vendor engagement")
def vendor_engagement_update(request, number: str, engagement_id: int,
                             payload: EngagementUpdateIn):
    """Record the vendor's response or resolution, its ticket number, notes."""
    incident = incident_selectors.incident_get(user=request.auth, number=number)
    engagement = selectors.engagement_get(user=request.auth, incident=incident,
                                          engagement_id=engagement_id)
    data = payload.dict(exclude_unset=True)
    resume = data.pop("resume", False)
    if not data:
        raise InvalidInput(errors={"body": _("Send at least one field to change.")})
    for field in ("reference", "notes", "contacted_via", "contacted_at"):
        if field in data and data[field] is None:
            raise InvalidInput(errors={field: _("This field cannot be empty.")})
    engagement = services.vendor_engagement_update(
        engagement=engagement, by=request.auth, resume=resume, channel=Channel.API,
        data=_resolve(data, engagement.vendor))
    return engagement_dict(engagement, now=timezone.now(), number=incident.number)


# ---- helpers -----------------------------------------------------------------------------

def _vendor_by_name(name: str) -> Vendor:
    vendor = Vendor.objects.filter(name=name).first()
    if vendor is None:
        raise InvalidInput(errors={"vendor": _("There is no vendor “%(name)s”.") % {
            "name": name}})
    return vendor


def _resolve(data: dict, vendor: Vendor) -> dict:
    """Contact id and contract number to records of this vendor; unknown ones are a 422."""
    if "contact_id" in data:
        contact_id = data.pop("contact_id")
        data["contact"] = None if contact_id is None else VendorContact.objects.filter(
            pk=contact_id, vendor=vendor).first()
        if contact_id is not None and data["contact"] is None:
            raise InvalidInput(errors={"contact_id": _("%(vendor)s has no contact %(id)s.") % {
                "vendor": vendor.name, "id": contact_id}})
    if "contract" in data and data["contract"] is not None:
        number = data["contract"]
        data["contract"] = VendorContract.objects.filter(number=number, vendor=vendor).first()
        if data["contract"] is None:
            raise InvalidInput(errors={"contract": _(
                "%(vendor)s has no contract “%(number)s”.") % {"vendor": vendor.name,
                                                               "number": number}})
    return data


def _vendor(vendor: Vendor, **counts) -> dict:
    return {"id": vendor.pk, "name": vendor.name, "contact_name": vendor.contact_name,
            "phone": vendor.phone, "email": vendor.email, "is_active": vendor.is_active,
            "contact_count": counts.get("contact_count", getattr(vendor, "contact_count", 0)),
            "contract_count": counts.get("contract_count", getattr(vendor, "contract_count", 0))}


def _contact(contact: VendorContact) -> dict:
    return {"id": contact.pk, "name": contact.name, "role": contact.role, "phone": contact.phone,
            "email": contact.email, "is_escalation": contact.is_escalation,
            "escalation_level": contact.escalation_level, "is_active": contact.is_active}


def _contract(contract: VendorContract) -> dict:
    return {"id": contract.pk, "number": contract.number, "title": contract.title,
            "starts_on": contract.starts_on, "ends_on": contract.ends_on,
            "services": [s.code for s in contract.services.all()],
            "configuration_items": [c.name for c in contract.configuration_items.all()],
            "calendar": contract.calendar_id, "response_seconds": contract.response_seconds,
            "resolution_seconds": contract.resolution_seconds, "notes": contract.notes,
            "is_active": contract.is_active}


def engagement_dict(engagement: VendorEngagement, *, now, number: str) -> dict:
    """An engagement as the API shows it (vendor, contract and contact already loaded)."""
    return {
        "id": engagement.pk, "incident": number, "vendor": engagement.vendor.name,
        "vendor_id": engagement.vendor_id,
        "contract": engagement.contract.number if engagement.contract_id else None,
        "contact_id": engagement.contact_id, "reference": engagement.reference,
        "contacted_via": engagement.contacted_via, "contacted_at": engagement.contacted_at,
        "contacted_by": getattr(engagement.contacted_by, "username", None),
        "responded_at": engagement.responded_at, "resolved_at": engagement.resolved_at,
        "notes": engagement.notes, "response_due_at": engagement.response_due_at,
        "resolution_due_at": engagement.resolution_due_at,
        "response_seconds": engagement.response_seconds,
        "resolution_seconds": engagement.resolution_seconds,
        "response_met": engagement.response_met(now),
        "resolution_met": engagement.resolution_met(now),
    }


def performance_dict(row: selectors.VendorPerformance) -> dict:
    """One vendor's row of the performance report."""
    return {
        "vendor_id": row.vendor_id, "vendor": row.vendor_name, "engagements": row.engagements,
        "open_engagements": row.open_engagements, "response_measured": row.response_measured,
        "response_met": row.response_met, "response_met_percent": row.response_met_percent,
        "resolution_measured": row.resolution_measured, "resolution_met": row.resolution_met,
        "resolution_met_percent": row.resolution_met_percent,
        "response": row.response.__dict__, "resolution": row.resolution.__dict__,
    }
