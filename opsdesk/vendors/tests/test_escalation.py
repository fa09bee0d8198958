"""A resolution breach escalated to the vendor mails its escalation contacts, level 1 first,
falling back to the vendor's own address (that case: incidents/tests/test_notify_escalation.py)."""

import pytest

from opsdesk.incidents.tests.test_notify import mails_to, subject, text_of
from opsdesk.incidents.tests.test_notify_escalation import (assign, breach, english,  # noqa: F401
                                                            logged, sh, vendor_events,
                                                            vendor_policy, with_vendor)
from opsdesk.notifications.services import deliveries_send_due
from opsdesk.notifications.tests.conftest import smtp_server  # noqa: F401  (fixture)
from opsdesk.vendors.models import VendorContact

pytestmark = pytest.mark.django_db


def test_the_escalation_mails_every_active_escalation_contact_in_level_order(
        english, settings, smtp_server):  # noqa: F811
    vendor_policy()
    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    vendor = with_vendor(incident)
    VendorContact.objects.create(vendor=vendor, name="Director Zhao", email="zhao@acme.example",
                                 is_escalation=True, escalation_level=2)
    VendorContact.objects.create(vendor=vendor, name="Manager Wang", email="wang@acme.example",
                                 is_escalation=True, escalation_level=1)
    VendorContact.objects.create(vendor=vendor, name="Gone", email="gone@acme.example",
                                 is_escalation=True, escalation_level=1, is_active=False)
    VendorContact.objects.create(vendor=vendor, name="Hotline", email="hotline@acme.example")
    VendorContact.objects.create(vendor=vendor, name="Phone only", phone="138",
                                 is_escalation=True, escalation_level=1)
    assert breach(settings)[0]["vendor_escalation"] == 1
    [event] = vendor_events(incident)
    assert event.data["email"] == "wang@acme.example, zhao@acme.example"
    deliveries_send_due()
    for name, address in (("Manager Wang", "wang@acme.example"),
                          ("Director Zhao", "zhao@acme.example")):
        [mail] = mails_to(smtp_server, address)
        assert subject(mail).startswith(f"{incident.number} Escalation to the vendor")
        assert f"Dear {name}," in text_of(mail) and "ACME-4711" in text_of(mail)
    for address in ("support@acme.example", "gone@acme.example", "hotline@acme.example"):
        assert not mails_to(smtp_server, address), address


def test_without_escalation_addresses_the_vendors_own_address_is_mailed(
        english, settings, smtp_server):  # noqa: F811
    vendor_policy()
    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    vendor = with_vendor(incident)
    VendorContact.objects.create(vendor=vendor, name="Phone only", phone="138",
                                 is_escalation=True, escalation_level=1)
    breach(settings)
    [event] = vendor_events(incident)
    assert event.data["email"] == "support@acme.example"
    deliveries_send_due()
    [mail] = mails_to(smtp_server, "support@acme.example")
    assert "Dear Ms Li," in text_of(mail)
