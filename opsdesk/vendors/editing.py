"""Keeping vendors: the vendor itself, its contacts (escalation contacts by level) and its
underpinning contracts (the services and CIs they cover, the promised times).

Who: process owners, incident managers and administrators (`selectors.may_edit_vendors`);
anyone else gets NotPermitted. Each service checks everything before it writes and raises
InvalidInput with a message per field, inside one transaction, so a refused change leaves
nothing half-saved. Nothing is deleted: engagements point at vendors, contacts and contracts,
so they are deactivated (`is_active`) instead.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from opsdesk.cmdb.models import ConfigurationItem, Service
from opsdesk.core.exceptions import InvalidInput, NotPermitted
from opsdesk.core.services import text_clean

from .models import Vendor, VendorContact, VendorContract
from .selectors import may_edit_vendors

VENDOR_FIELDS = ("name", "contact_name", "phone", "email", "notes", "is_active")
CONTACT_FIELDS = ("name", "role", "phone", "email", "is_escalation", "escalation_level",
                  "sort_order", "is_active")
CONTRACT_FIELDS = ("number", "title", "starts_on", "ends_on", "calendar", "response_seconds",
                   "resolution_seconds", "notes", "is_active")
TEXT_FIELDS = frozenset({"name", "contact_name", "phone", "email", "notes", "role", "number",
                         "title"})
MIN_PROMISE_SECONDS = 60
MAX_ESCALATION_LEVEL = 9


def check_may_edit(user) -> None:
    """NotPermitted unless the person keeps vendors."""
    if not may_edit_vendors(user=user):
        raise NotPermitted(_("Only process owners, incident managers and administrators may "
                             "change vendors, their contacts and contracts."))


# ---- vendors -------------------------------------------------------------------------------

@transaction.atomic
def vendor_create(*, by, data: dict) -> Vendor:
    """Add a vendor (name unique, case-insensitive). Raises InvalidInput or NotPermitted."""
    check_may_edit(by)
    vendor = Vendor()
    _vendor_save(vendor, data)
    return vendor


@transaction.atomic
def vendor_update(*, vendor: Vendor, by, data: dict) -> Vendor:
    """Change a vendor's name, support contact, notes or active flag."""
    check_may_edit(by)
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    _vendor_save(vendor, data)
    return vendor


def _vendor_save(vendor: Vendor, data: dict) -> None:
    _set(vendor, data, VENDOR_FIELDS)
    errors = {}
    if vendor.name and Vendor.objects.filter(name__iexact=vendor.name).exclude(
            pk=vendor.pk).exists():
        errors["name"] = _("A vendor with this name exists already.")
    _full_clean(vendor, errors, exclude=[])
    vendor.save()


# ---- contacts ------------------------------------------------------------------------------

@transaction.atomic
def vendor_contact_create(*, vendor: Vendor, by, data: dict) -> VendorContact:
    """Add a person at the vendor; an escalation contact needs its level (1 is called first)."""
    check_may_edit(by)
    Vendor.objects.select_for_update().get(pk=vendor.pk)  # one writer of its contacts at a time
    contact = VendorContact(vendor=vendor)
    _contact_save(contact, data)
    return contact


@transaction.atomic
def vendor_contact_update(*, contact: VendorContact, by, data: dict) -> VendorContact:
    """Change a contact: its details, whether and at which level it is escalated to, its order."""
    check_may_edit(by)
    Vendor.objects.select_for_update().get(pk=contact.vendor_id)
    contact = VendorContact.objects.select_related("vendor").get(pk=contact.pk)
    _contact_save(contact, data)
    return contact


def _contact_save(contact: VendorContact, data: dict) -> None:
    _set(contact, data, CONTACT_FIELDS)
    errors = {}
    if not contact.is_escalation:
        contact.escalation_level = 0  # a level means nothing without escalation
    elif not 1 <= (contact.escalation_level or 0) <= MAX_ESCALATION_LEVEL:
        errors["escalation_level"] = _(
            "Give the escalation level from 1 to %(max)s: 1 is called first.") % {
            "max": MAX_ESCALATION_LEVEL}
    if not contact.phone and not contact.email:
        errors["phone"] = _("Give a phone number or an email address to reach this contact.")
    _full_clean(contact, errors, exclude=["vendor"])
    contact.save()


# ---- contracts -----------------------------------------------------------------------------

@transaction.atomic
def vendor_contract_create(*, vendor: Vendor, by, data: dict, services=None,
                           configuration_items=None) -> VendorContract:
    """Add an underpinning contract: number (unique per vendor), period, what it supports and
    the response and resolution it promises (business seconds on its support calendar)."""
    check_may_edit(by)
    Vendor.objects.select_for_update().get(pk=vendor.pk)
    contract = VendorContract(vendor=vendor)
    _contract_save(contract, data, services, configuration_items)
    return contract


@transaction.atomic
def vendor_contract_update(*, contract: VendorContract, by, data: dict, services=None,
                           configuration_items=None) -> VendorContract:
    """Change a contract; engagements already made keep the due dates they were given.
    services / configuration_items: None keeps them, a list replaces them."""
    check_may_edit(by)
    Vendor.objects.select_for_update().get(pk=contract.vendor_id)
    contract = VendorContract.objects.select_related("vendor").get(pk=contract.pk)
    _contract_save(contract, data, services, configuration_items)
    return contract


def _contract_save(contract: VendorContract, data: dict, services, configuration_items) -> None:
    _set(contract, data, CONTRACT_FIELDS)
    errors = {}
    _check_contract(contract, errors)
    if services is not None:
        _check_active(services, Service, contract.services if contract.pk else None,
                      "services", errors)
    if configuration_items is not None:
        _check_active(configuration_items, ConfigurationItem,
                      contract.configuration_items if contract.pk else None,
                      "configuration_items", errors)
    _full_clean(contract, errors, exclude=["vendor", "services", "configuration_items"])
    contract.save()
    if services is not None:
        contract.services.set(list(services))
    if configuration_items is not None:
        contract.configuration_items.set(list(configuration_items))


def _check_contract(contract: VendorContract, errors: dict) -> None:
    if contract.number and VendorContract.objects.filter(
            vendor_id=contract.vendor_id, number__iexact=contract.number).exclude(
            pk=contract.pk).exists():
        errors["number"] = _("This vendor has a contract with this number already.")
    if contract.starts_on and contract.ends_on and contract.ends_on < contract.starts_on:
        errors["ends_on"] = _("The contract cannot end before it starts.")
    for field in ("response_seconds", "resolution_seconds"):
        value = getattr(contract, field)
        if value is not None and value < MIN_PROMISE_SECONDS:
            errors[field] = _("A promised time is at least one minute.")
    response, resolution = contract.response_seconds, contract.resolution_seconds
    if response and resolution and resolution < response and "resolution_seconds" not in errors:
        errors["resolution_seconds"] = _("The promised resolution cannot be shorter than the "
                                         "promised response.")
    calendar = contract.calendar
    if calendar is not None and not calendar.is_active and (
            contract.pk is None or _stored(contract, "calendar_id") != calendar.pk):
        errors["calendar"] = _("Choose an active calendar.")


def _check_active(rows, model, current, field: str, errors: dict) -> None:
    """Newly chosen services or CIs must be active; ones already on the contract may stay."""
    kept = set(current.values_list("pk", flat=True)) if current is not None else set()
    inactive = [str(row) for row in rows if not row.is_active and row.pk not in kept]
    if inactive:
        errors[field] = _("No longer active: %(names)s.") % {"names": ", ".join(inactive)}


def _stored(instance, field: str):
    return type(instance).objects.filter(pk=instance.pk).values_list(field, flat=True).first()


# ---- helpers -------------------------------------------------------------------------------

def _set(instance, data: dict, fields) -> None:
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise InvalidInput(errors={f: _("This field cannot be changed here.") for f in unknown})
    for name in fields:
        if name in data:
            value = data[name]
            if name in TEXT_FIELDS:
                value = text_clean(value)
            setattr(instance, name, value)


def _full_clean(instance, errors: dict, *, exclude) -> None:
    """The model's own rules (lengths, email format, required fields) and ours, together."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, " ".join(messages))
    if errors:
        raise InvalidInput(errors=errors)

