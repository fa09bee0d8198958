"""REST API: vendors with their contacts and contracts, vendor work on incidents, performance.

Support staff read vendors and engagements; plain users get a 404 (vendor data does not leak;
the list answers them 403). Process owners, incident managers and administrators create and
change vendors, contacts and contracts (nothing is deleted: set `is_active` false). The
performance report is for incident managers, process owners and administrators.
"""

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from opsdesk.cmdb.models import ConfigurationItem, Service
from opsdesk.core.exceptions import InvalidInput, NotFound
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.choices import Channel
from opsdesk.sla.models import BusinessCalendar
from opsdesk.vendors import editing, selectors, services
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
    sort_order: int
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
    code: str = Field(description="The vendor's key where other records name it (its name), "
                                  "as in the reference lists")
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


class VendorIn(Schema):
    model_config = _STRICT
    name: str = Field(max_length=200)
    contact_name: str = Field("", max_length=100)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    notes: str = Field("", max_length=5000)
    is_active: bool = True


class VendorPatchIn(Schema):
    model_config = _STRICT
    name: str | None = Field(None, max_length=200)
    contact_name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    notes: str | None = Field(None, max_length=5000)
    is_active: bool | None = None


class ContactIn(Schema):
    model_config = _STRICT
    name: str = Field(max_length=100)
    role: str = Field("", max_length=100)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    is_escalation: bool = False
    escalation_level: int = Field(0, ge=0, le=9, description="Needed (1–9) for an escalation "
                                                           "contact; 1 is called first")
    sort_order: int = Field(0, ge=0, le=32767)
    is_active: bool = True


class ContactPatchIn(Schema):
    model_config = _STRICT
    name: str | None = Field(None, max_length=100)
    role: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    is_escalation: bool | None = None
    escalation_level: int | None = Field(None, ge=0, le=9)
    sort_order: int | None = Field(None, ge=0, le=32767)
    is_active: bool | None = None


class ContractIn(Schema):
    model_config = _STRICT
    number: str = Field(max_length=64)
    title: str = Field(max_length=200)
    starts_on: date
    ends_on: date | None = Field(None, description="null: until further notice")
    services: list[str] = Field([], description="Service codes it supports")
    configuration_items: list[str] = Field([], description="Names of the CIs it supports")
    calendar: str | None = Field(None, description="Support hours (business calendar code); "
                                                   "null: around the clock")
    response_seconds: int | None = Field(None, ge=60, description="Promised response, "
                                                                  "business seconds")
    resolution_seconds: int | None = Field(None, ge=60, description="Promised resolution, "
                                                                    "business seconds")
    notes: str = Field("", max_length=5000)
    is_active: bool = True


class ContractPatchIn(Schema):
    model_config = _STRICT
    number: str | None = Field(None, max_length=64)
    title: str | None = Field(None, max_length=200)
    starts_on: date | None = None
    ends_on: date | None = None
    services: list[str] | None = Field(None, description="Replaces the services")
    configuration_items: list[str] | None = Field(None, description="Replaces the CIs")
    calendar: str | None = None
    response_seconds: int | None = Field(None, ge=60)
    resolution_seconds: int | None = Field(None, ge=60)
    notes: str | None = Field(None, max_length=5000)
    is_active: bool | None = None


class VendorListQuery(Schema):
    active: bool | None = Field(None, description="true: only active vendors; false: only "
                                                  "inactive ones; default: all")


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

@router.get("", response={200: list[VendorOut], **ERRORS}, summary="List vendors")
def vendor_list(request, query: Query[VendorListQuery]):
    """Every vendor (active first, by name) with its support contact and its number of active
    contacts and contracts (support staff). `code` and `name` are the reference list's fields
    (the name, which incidents use for their vendor)."""
    rows = selectors.vendor_list(user=request.auth, active_only=query.active is True)
    if query.active is False:
        rows = [v for v in rows if not v.is_active]
    return [_vendor(v) for v in rows]


@router.post("", response={201: VendorDetailOut, **ERRORS}, summary="Add a vendor")
def vendor_create(request, payload: VendorIn):
    """A new vendor (process owners, incident managers, administrators); its name is unique."""
    vendor = editing.vendor_create(by=request.auth, data=payload.dict())
    return Status(201, _vendor_detail(request, vendor.pk))


@router.patch("{int:vendor_id}", response={200: VendorDetailOut, **ERRORS},
              summary="Change a vendor")
def vendor_update(request, vendor_id: int, payload: VendorPatchIn):
    """Change a vendor's name, support contact, notes; `is_active: false` retires it."""
    vendor = _vendor_for_edit(request, vendor_id)
    editing.vendor_update(vendor=vendor, by=request.auth, data=_changes(payload))
    return _vendor_detail(request, vendor.pk)


@router.post("{int:vendor_id}/contacts", response={201: ContactOut, **ERRORS},
             summary="Add a vendor contact")
def vendor_contact_create(request, vendor_id: int, payload: ContactIn):
    """A person at the vendor; escalation contacts are mailed when the vendor is escalated."""
    vendor = _vendor_for_edit(request, vendor_id)
    contact = editing.vendor_contact_create(vendor=vendor, by=request.auth, data=payload.dict())
    return Status(201, _contact(contact))


@router.patch("{int:vendor_id}/contacts/{int:contact_id}", response={200: ContactOut, **ERRORS},
              summary="Change a vendor contact")
def vendor_contact_update(request, vendor_id: int, contact_id: int, payload: ContactPatchIn):
    vendor = _vendor_for_edit(request, vendor_id)
    contact = _one(VendorContact, vendor, contact_id, _("%(vendor)s has no contact %(id)s."))
    contact = editing.vendor_contact_update(contact=contact, by=request.auth,
                                            data=_changes(payload))
    return _contact(contact)


@router.post("{int:vendor_id}/contracts", response={201: ContractOut, **ERRORS},
             summary="Add an underpinning contract")
def vendor_contract_create(request, vendor_id: int, payload: ContractIn):
    """Number (unique per vendor), period, supported services and CIs, support hours and the
    promised response and resolution in business seconds on them."""
    vendor = _vendor_for_edit(request, vendor_id)
    data, supported = _contract_data(payload.dict())
    contract = editing.vendor_contract_create(vendor=vendor, by=request.auth, data=data,
                                              **supported)
    return Status(201, _contract(_contract_loaded(contract.pk)))


@router.patch("{int:vendor_id}/contracts/{int:contract_id}",
              response={200: ContractOut, **ERRORS}, summary="Change an underpinning contract")
def vendor_contract_update(request, vendor_id: int, contract_id: int, payload: ContractPatchIn):
    """Engagements already made keep the due dates their contract gave them then."""
    vendor = _vendor_for_edit(request, vendor_id)
    contract = _one(VendorContract, vendor, contract_id, _("%(vendor)s has no contract %(id)s."))
    data, supported = _contract_data(_changes(payload, nullable=(
        "ends_on", "calendar", "response_seconds", "resolution_seconds")))
    editing.vendor_contract_update(contract=contract, by=request.auth, data=data, **supported)
    return _contract(_contract_loaded(contract.pk))


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
    return _vendor_detail(request, vendor_id)


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

def _vendor_for_edit(request, vendor_id: int) -> Vendor:
    """The vendor (404 for people who may not read vendors), and 403 unless they keep them."""
    vendor = selectors.vendor_get(user=request.auth, vendor_id=vendor_id)
    editing.check_may_edit(request.auth)
    return vendor


def _vendor_detail(request, vendor_id: int) -> dict:
    vendor = selectors.vendor_get(user=request.auth, vendor_id=vendor_id)
    counts = {"contact_count": sum(c.is_active for c in vendor.contacts.all()),
              "contract_count": sum(c.is_active for c in vendor.contracts.all())}
    return {**_vendor(vendor, **counts), "notes": vendor.notes,
            "contacts": [_contact(c) for c in vendor.contacts.all()],
            "contracts": [_contract(c) for c in vendor.contracts.all()]}


def _one(model, vendor: Vendor, pk: int, message: str):
    row = model.objects.filter(pk=pk, vendor=vendor).first()
    if row is None:
        raise NotFound(message % {"vendor": vendor.name, "id": pk})
    return row


def _changes(payload, *, nullable=()) -> dict:
    """The fields sent; null only where it means something (else a 422 naming the field)."""
    data = payload.dict(exclude_unset=True)
    if not data:
        raise InvalidInput(errors={"body": _("Send at least one field to change.")})
    empty = {f: _("This field cannot be empty.") for f, v in data.items()
             if v is None and f not in nullable}
    if empty:
        raise InvalidInput(errors=empty)
    return data


def _contract_data(data: dict) -> tuple[dict, dict]:
    """The calendar code, service codes and CI names to records; unknown ones are a 422."""
    supported, errors = {}, {}
    if data.get("calendar") is not None:
        code = data["calendar"]
        data["calendar"] = BusinessCalendar.objects.filter(pk=code).first()
        if data["calendar"] is None:
            errors["calendar"] = _("There is no calendar “%(code)s”.") % {"code": code}
    for field, model, key in (("services", Service, "code"),
                              ("configuration_items", ConfigurationItem, "name")):
        if field not in data:
            continue
        wanted = list(dict.fromkeys(data.pop(field) or []))
        rows = {getattr(r, key): r for r in model.objects.filter(**{f"{key}__in": wanted})}
        missing = [w for w in wanted if w not in rows]
        if missing:
            errors[field] = _("Unknown: %(names)s.") % {"names": ", ".join(missing)}
        supported[field] = [rows[w] for w in wanted if w in rows]
    if errors:
        raise InvalidInput(errors=errors)
    return data, supported


def _contract_loaded(pk: int) -> VendorContract:
    return VendorContract.objects.prefetch_related("services", "configuration_items").get(pk=pk)


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
    return {"id": vendor.pk, "code": vendor.name, "name": vendor.name,
            "contact_name": vendor.contact_name,
            "phone": vendor.phone, "email": vendor.email, "is_active": vendor.is_active,
            "contact_count": counts.get("contact_count", getattr(vendor, "contact_count", 0)),
            "contract_count": counts.get("contract_count", getattr(vendor, "contract_count", 0))}


def _contact(contact: VendorContact) -> dict:
    return {"id": contact.pk, "name": contact.name, "role": contact.role, "phone": contact.phone,
            "email": contact.email, "is_escalation": contact.is_escalation,
            "escalation_level": contact.escalation_level, "sort_order": contact.sort_order,
            "is_active": contact.is_active}


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
