"""The vendor performance report on known data: counts, met rates, mean and median times."""

from datetime import date

import pytest

from opsdesk.core.exceptions import NotPermitted
from opsdesk.vendors.selectors import vendor_performance
from opsdesk.vendors.services import (vendor_engagement_create, vendor_engagement_update,
                                      vendor_resolution_record, vendor_response_record)

from .conftest import HOUR, at, sh


@pytest.fixture
def history(vendors, org):
    """Huawei: one call answered in time and fixed late, one answered in time and still open
    past its due time, one in February; Kingdee (no contract): one call fixed in an hour."""
    def contact(when, vendor=vendors.huawei, **data):
        with at(when):
            return vendor_engagement_create(incident=vendors.incident, by=org.engineer,
                                            vendor=vendor, data=data)

    first = contact(sh(2026, 3, 6, 17, 0))
    with at(sh(2026, 3, 10, 10, 0)):
        vendor_engagement_update(engagement=first, by=org.engineer, data={
            "responded_at": sh(2026, 3, 9, 9, 30), "resolved_at": sh(2026, 3, 10, 10, 0)})
    second = contact(sh(2026, 3, 9, 11, 0))
    with at(sh(2026, 3, 9, 12, 30)):
        vendor_response_record(engagement=second, by=org.engineer)
    contact(sh(2026, 3, 9, 12, 0), contacted_at=sh(2026, 2, 2, 10, 0))
    third = contact(sh(2026, 3, 9, 14, 0), vendor=vendors.kingdee)
    with at(sh(2026, 3, 9, 15, 0)):
        vendor_resolution_record(engagement=third, by=org.engineer)


def report(org, **kwargs):
    return {row.vendor_name: row for row in vendor_performance(
        user=org.manager, start=date(2026, 3, 1), end=date(2026, 3, 31),
        now=sh(2026, 3, 11, 9, 0), **kwargs)}


def test_figures_per_vendor_for_the_period(history, org):
    rows = report(org)
    huawei, kingdee = rows["Huawei"], rows["Kingdee"]
    assert (huawei.engagements, huawei.open_engagements) == (2, 1)
    assert (huawei.response_measured, huawei.response_met) == (2, 2)
    assert huawei.response_met_percent == 100.0
    # the first was fixed late; the second is still open past its due time (Tuesday 11:00)
    assert (huawei.resolution_measured, huawei.resolution_met) == (2, 0)
    assert huawei.resolution_met_percent == 0.0
    assert huawei.response.mean_seconds == (90 * 60 + HOUR) // 2  # business time, 5×8
    assert huawei.response.median_seconds == 4500
    assert (huawei.resolution.count, huawei.resolution.mean_seconds) == (1, 10 * HOUR)
    assert (kingdee.engagements, kingdee.response_measured) == (1, 0)
    assert kingdee.response_met_percent is None  # no contract, nothing promised
    assert kingdee.resolution.median_seconds == HOUR


def test_one_vendor_and_an_earlier_period(history, org, vendors):
    assert list(report(org, vendor_id=vendors.kingdee.pk)) == ["Kingdee"]
    february = vendor_performance(user=org.manager, start=date(2026, 2, 1),
                                  end=date(2026, 2, 28), now=sh(2026, 3, 11, 9, 0))
    assert [(r.vendor_name, r.engagements) for r in february] == [("Huawei", 1)]


def test_the_report_is_for_managers_process_owners_and_administrators(history, org):
    for person in (org.manager, org.owner, org.admin):
        vendor_performance(user=person, start=date(2026, 3, 1), end=date(2026, 3, 31))
    for person in (org.requester, org.engineer, org.desk):
        with pytest.raises(NotPermitted):
            vendor_performance(user=person, start=date(2026, 3, 1), end=date(2026, 3, 31))
