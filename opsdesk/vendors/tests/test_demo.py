"""The demo vendors: contacts, contracts and a few engagements, seeded once."""

from opsdesk.demo.services import demo_company_create
from opsdesk.demo.vendors import vendors_seed
from opsdesk.vendors.models import VendorContact, VendorContract, VendorEngagement


def test_the_demo_vendors_get_contacts_contracts_and_engagements_once(db):
    demo_company_create(incidents=60, seed=3)  # calls vendors_seed()
    huawei = VendorContract.objects.get(number="HW-MA-2026")
    assert huawei.calendar_id == "7x24" and huawei.response_seconds == 1800
    assert {ci.name for ci in huawei.configuration_items.all()} >= {"core-sw01", "fw01"}
    assert VendorContact.objects.filter(vendor=huawei.vendor, is_escalation=True).count() == 2
    assert VendorContract.objects.count() == 6
    assert VendorEngagement.objects.filter(contract__isnull=False).exists()
    contacts, engagements = VendorContact.objects.count(), VendorEngagement.objects.count()
    assert vendors_seed() == 0  # nothing twice
    assert (VendorContact.objects.count(), VendorEngagement.objects.count()) == (
        contacts, engagements)
