"""Keeping vendors: who may, what is refused (with a message per field), nothing half-saved."""

from datetime import date

import pytest
from django.utils import translation

from opsdesk.core.exceptions import InvalidInput, NotPermitted
from opsdesk.sla.models import BusinessCalendar
from opsdesk.vendors import editing
from opsdesk.vendors.models import Vendor, VendorContact, VendorContract

EDITORS = ("owner", "manager", "admin")
READERS = ("desk", "engineer", "requester")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize("who", EDITORS)
def test_process_owners_incident_managers_and_administrators_keep_vendors(vendors, org, who):
    person = getattr(org, who)
    vendor = editing.vendor_create(by=person, data={"name": f"Sangfor {who}",
                                                    "email": "support@sangfor.example.cn"})
    contact = editing.vendor_contact_create(vendor=vendor, by=person, data={
        "name": "Sun", "email": "sun@sangfor.example.cn", "is_escalation": True,
        "escalation_level": 1})
    contract = editing.vendor_contract_create(
        vendor=vendor, by=person, data={"number": "SF-1", "title": "Firewalls",
                                        "starts_on": date(2026, 1, 1), "response_seconds": 3600},
        services=[vendors.network], configuration_items=[vendors.switch])
    editing.vendor_update(vendor=vendor, by=person, data={"phone": "400-630-6430"})
    assert Vendor.objects.get(pk=vendor.pk).phone == "400-630-6430"
    assert contact.escalation_level == 1
    assert list(contract.services.all()) == [vendors.network]


@pytest.mark.parametrize("who", READERS)
def test_anyone_else_is_refused_and_nothing_is_written(vendors, org, who):
    person = getattr(org, who)
    with pytest.raises(NotPermitted):
        editing.vendor_create(by=person, data={"name": "Nope"})
    with pytest.raises(NotPermitted):
        editing.vendor_contact_create(vendor=vendors.huawei, by=person, data={"name": "X",
                                                                             "phone": "1"})
    with pytest.raises(NotPermitted):
        editing.vendor_contract_update(contract=vendors.office, by=person,
                                       data={"title": "Changed"})
    assert not Vendor.objects.filter(name="Nope").exists()
    assert VendorContract.objects.get(pk=vendors.office.pk).title == "Network maintenance 5×8"


def test_a_vendor_name_is_unique_whatever_its_case_and_required(vendors, org):
    with pytest.raises(InvalidInput) as error:
        editing.vendor_create(by=org.owner, data={"name": "HUAWEI"})
    assert error.value.errors == {"name": "A vendor with this name exists already."}
    with pytest.raises(InvalidInput) as error:
        editing.vendor_create(by=org.owner, data={"name": "  ", "email": "not-an-address"})
    assert set(error.value.errors) == {"name", "email"}
    assert Vendor.objects.count() == 3


def test_an_escalation_contact_needs_its_level_and_a_way_to_reach_it(vendors, org):
    with pytest.raises(InvalidInput) as error:
        editing.vendor_contact_create(vendor=vendors.huawei, by=org.manager, data={
            "name": "Qian", "is_escalation": True, "escalation_level": 0})
    assert set(error.value.errors) == {"escalation_level", "phone"}
    assert "1 is called first" in error.value.errors["escalation_level"]
    contact = editing.vendor_contact_create(vendor=vendors.huawei, by=org.manager, data={
        "name": "Qian", "phone": "137", "escalation_level": 3})
    assert contact.escalation_level == 0  # not an escalation contact: the level means nothing
    assert VendorContact.objects.filter(vendor=vendors.huawei).count() == 4


def test_a_contact_of_another_vendors_page_cannot_be_changed_into_nonsense(vendors, org):
    with pytest.raises(InvalidInput) as error:
        editing.vendor_contact_update(contact=vendors.hotline, by=org.owner,
                                      data={"vendor": vendors.kingdee.pk})
    assert error.value.errors == {"vendor": "This field cannot be changed here."}
    assert VendorContact.objects.get(pk=vendors.hotline.pk).vendor_id == vendors.huawei.pk


def test_contract_rules_are_checked_together_and_nothing_is_half_saved(vendors, org):
    vendors.network.is_active = False
    vendors.network.save()
    with pytest.raises(InvalidInput) as error:
        editing.vendor_contract_create(
            vendor=vendors.huawei, by=org.owner,
            data={"number": "hw-2026-01", "title": "Copy", "starts_on": date(2026, 6, 1),
                  "ends_on": date(2026, 5, 1), "response_seconds": 7200,
                  "resolution_seconds": 3600},
            services=[vendors.network])
    assert set(error.value.errors) == {"number", "ends_on", "resolution_seconds", "services"}
    assert VendorContract.objects.count() == 2
    # a service already on the contract may stay although it is no longer active
    contract = editing.vendor_contract_update(contract=vendors.office, by=org.owner,
                                              data={"title": "Renamed"},
                                              services=[vendors.network])
    assert contract.title == "Renamed" and list(contract.services.all()) == [vendors.network]


def test_an_inactive_calendar_cannot_be_chosen_for_a_contract(vendors, org):
    closed = BusinessCalendar.objects.create(code="old", name_en="Old", name_zh="旧",
                                             is_active=False)
    with pytest.raises(InvalidInput) as error:
        editing.vendor_contract_update(contract=vendors.office, by=org.owner,
                                       data={"calendar": closed})
    assert error.value.errors == {"calendar": "Choose an active calendar."}


def test_contacts_and_contracts_are_deactivated_not_deleted(vendors, org):
    editing.vendor_contact_update(contact=vendors.hotline, by=org.owner,
                                  data={"is_active": False})
    editing.vendor_update(vendor=vendors.huawei, by=org.owner, data={"is_active": False})
    assert VendorContact.objects.get(pk=vendors.hotline.pk).is_active is False
    assert Vendor.objects.get(pk=vendors.huawei.pk).is_active is False
