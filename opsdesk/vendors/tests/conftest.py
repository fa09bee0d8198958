"""Vendors for the tests: Huawei with a 5×8 contract on the network service and a 7×24 one
on the core switch, and an incident on that service in progress with line 2."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from opsdesk.core.testing.factories import (ConfigurationItemFactory, ServiceFactory,
                                            incident_factory)
from opsdesk.incidents.services import incident_transition
from opsdesk.sla.policies import policies_load_defaults
from opsdesk.sla.services import calendars_load_defaults
from opsdesk.vendors.models import Vendor, VendorContact, VendorContract

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600


def sh(*args) -> datetime:
    """A wall-clock instant in Shanghai."""
    return datetime(*args, tzinfo=SHANGHAI)


def at(moment: datetime):
    """Travel to this instant and stand still there."""
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def vendors(org):
    """huawei (two contracts, three contacts), kingdee (no contract), the NET service, the
    core switch CI, and `incident`: on NET, assigned to NET2 and started by the engineer, logged
    on Friday 2026-03-06 16:00 in Shanghai."""
    calendars_load_defaults()
    policies_load_defaults()
    network = ServiceFactory(code="NET", name_en="Network", name_zh="网络")
    switch = ConfigurationItemFactory(name="core-switch-1")
    huawei = Vendor.objects.create(name="Huawei", contact_name="Li", phone="400-822-9999",
                                   email="support@huawei.example.cn")
    kingdee = Vendor.objects.create(name="Kingdee", email="erp@kingdee.example.cn")
    Vendor.objects.create(name="Gone Ltd", is_active=False)
    hotline = VendorContact.objects.create(vendor=huawei, name="Hotline", role="TAC",
                                           phone="400-822-9999")
    VendorContact.objects.create(vendor=huawei, name="Wang", role="Service manager",
                                 is_escalation=True, escalation_level=1, phone="138")
    VendorContact.objects.create(vendor=huawei, name="Zhao", role="Director",
                                 is_escalation=True, escalation_level=2, phone="139")
    office = VendorContract.objects.create(
        vendor=huawei, number="HW-2026-01", title="Network maintenance 5×8",
        starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), calendar_id="5x8",
        response_seconds=2 * HOUR, resolution_seconds=8 * HOUR)
    office.services.add(network)
    round_the_clock = VendorContract.objects.create(
        vendor=huawei, number="HW-2026-02", title="Core switch 7×24",
        starts_on=date(2026, 1, 1), calendar_id="7x24",
        response_seconds=HOUR // 2, resolution_seconds=4 * HOUR)
    round_the_clock.configuration_items.add(switch)
    with at(sh(2026, 3, 6, 16, 0)):
        incident = incident_factory(by=org.desk, requester=org.requester, service=network)
        incident = incident_transition(incident=incident, action="assign", by=org.desk,
                                       assignment_group=org.groups["NET2"])
        incident = incident_transition(incident=incident, action="accept", by=org.engineer)
    return type("Vendors", (), {
        "huawei": huawei, "kingdee": kingdee, "hotline": hotline, "office": office,
        "round_the_clock": round_the_clock, "network": network, "switch": switch,
        "incident": incident})
