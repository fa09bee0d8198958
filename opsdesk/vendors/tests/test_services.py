"""Contacting a vendor, recording its response and resolution, and the measures on contracts."""

from datetime import date, timedelta

import pytest
from django.utils import translation

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.incidents.choices import Status, Visibility
from opsdesk.incidents.models import Incident
from opsdesk.vendors.models import VendorContract, VendorEngagement
from opsdesk.vendors.services import (contract_covering, vendor_engagement_create,
                                      vendor_engagement_update, vendor_resolution_record,
                                      vendor_response_record)

from .conftest import HOUR, at, sh


def contact(vendors, org, when, **data):
    pend = data.pop("pend", False)
    with at(when), translation.override("en"):
        return vendor_engagement_create(incident=vendors.incident, by=org.engineer,
                                        vendor=data.pop("vendor", vendors.huawei), data=data,
                                        pend=pend)


def test_contact_vendor_records_it_sets_the_incident_and_writes_a_work_note(vendors, org):
    engagement = contact(vendors, org, sh(2026, 3, 6, 17, 0), reference="HW-123",
                         contacted_via="phone", contact=vendors.hotline)
    assert engagement.contract == vendors.office  # covers the incident's service
    assert engagement.contacted_at == sh(2026, 3, 6, 17, 0)
    assert engagement.contacted_by == org.engineer
    incident = Incident.objects.get(pk=vendors.incident.pk)
    assert (incident.vendor, incident.vendor_reference) == (vendors.huawei, "HW-123")
    note = incident.comments.get()
    assert note.visibility == Visibility.INTERNAL
    assert "Huawei" in note.body and "HW-123" in note.body
    assert incident.events.filter(kind="field", field="vendor").exists()


def test_due_dates_and_durations_count_business_time_on_the_contract(vendors, org):
    # Friday 17:00 on 5×8: one working hour left that day, then Monday from 09:00.
    engagement = contact(vendors, org, sh(2026, 3, 6, 17, 0))
    assert engagement.response_due_at == sh(2026, 3, 9, 10, 0)
    assert engagement.resolution_due_at == sh(2026, 3, 9, 17, 0)
    with at(sh(2026, 3, 9, 9, 30)):
        engagement = vendor_response_record(engagement=engagement, by=org.engineer)
    assert engagement.response_seconds == 90 * 60  # 17:00–18:00 and 09:00–09:30
    assert engagement.response_met() is True
    with at(sh(2026, 3, 10, 10, 0)):
        engagement = vendor_resolution_record(engagement=engagement, by=org.engineer)
    assert engagement.resolution_seconds == 10 * HOUR  # 1 h Friday, 8 h Monday, 1 h Tuesday
    assert engagement.resolution_met() is False


def test_a_ci_contract_wins_over_the_service_contract_and_counts_wall_time(vendors, org):
    vendors.incident.configuration_items.add(vendors.switch)
    engagement = contact(vendors, org, sh(2026, 3, 6, 23, 0))
    assert engagement.contract == vendors.round_the_clock
    assert engagement.response_due_at == sh(2026, 3, 6, 23, 30)
    with at(sh(2026, 3, 7, 0, 10)):
        engagement = vendor_response_record(engagement=engagement, by=org.engineer)
    assert engagement.response_seconds == 70 * 60
    assert engagement.response_met() is False


def test_no_contract_means_nothing_is_measured(vendors, org):
    engagement = contact(vendors, org, sh(2026, 3, 6, 17, 0), vendor=vendors.kingdee)
    assert engagement.contract is None and engagement.response_due_at is None
    with at(sh(2026, 3, 6, 18, 0)):
        engagement = vendor_resolution_record(engagement=engagement, by=org.engineer)
    assert engagement.responded_at == engagement.resolved_at  # a fix is an answer
    assert engagement.response_seconds == HOUR  # wall time without a calendar
    assert engagement.response_met() is None and engagement.resolution_met() is None


def test_an_expired_contract_does_not_cover(vendors, org):
    VendorContract.objects.filter(pk=vendors.office.pk).update(ends_on=date(2026, 2, 28))
    assert contract_covering(vendor=vendors.huawei, incident=vendors.incident,
                             day=date(2026, 3, 6)) is None


def test_overdue_without_an_answer_is_already_breached(vendors, org):
    engagement = contact(vendors, org, sh(2026, 3, 6, 17, 0))
    assert engagement.response_met(now=sh(2026, 3, 9, 9, 0)) is None
    assert engagement.response_met(now=sh(2026, 3, 9, 10, 1)) is False


def test_times_must_not_be_in_the_future_and_must_come_in_order(vendors, org):
    with pytest.raises(InvalidInput) as error:
        contact(vendors, org, sh(2026, 3, 6, 17, 0), contacted_at=sh(2026, 3, 6, 18, 0))
    assert "contacted_at" in error.value.errors
    engagement = contact(vendors, org, sh(2026, 3, 6, 17, 0))
    with at(sh(2026, 3, 9, 12, 0)), pytest.raises(InvalidInput) as error:
        vendor_engagement_update(engagement=engagement, by=org.engineer,
                                 data={"responded_at": sh(2026, 3, 6, 16, 0)})
    assert "responded_at" in error.value.errors
    with at(sh(2026, 3, 9, 12, 0)), pytest.raises(InvalidInput) as error:
        vendor_engagement_update(engagement=engagement, by=org.engineer,
                                 data={"responded_at": sh(2026, 3, 9, 11, 0),
                                       "resolved_at": sh(2026, 3, 9, 10, 0)})
    assert "resolved_at" in error.value.errors
    assert VendorEngagement.objects.get().responded_at is None  # nothing half-written


def test_contact_and_pend_in_one_step_pauses_on_the_vendor(vendors, org):
    contact(vendors, org, sh(2026, 3, 6, 17, 0), pend=True)
    incident = Incident.objects.get(pk=vendors.incident.pk)
    assert incident.status == Status.PENDING and incident.pending_reason_id == "02"
    assert incident.resolution_paused_at is not None  # the default policy pauses on the vendor
    engagement = VendorEngagement.objects.get()
    with at(sh(2026, 3, 9, 11, 0)):
        vendor_resolution_record(engagement=engagement, by=org.engineer, resume=True)
    assert Incident.objects.get(pk=incident.pk).status == Status.IN_PROGRESS


def test_pend_starts_work_on_an_assigned_incident(vendors, org):
    with at(sh(2026, 3, 6, 16, 30)):
        Incident.objects.filter(pk=vendors.incident.pk).update(status=Status.ASSIGNED)
    contact(vendors, org, sh(2026, 3, 6, 17, 0), pend=True)
    assert Incident.objects.get(pk=vendors.incident.pk).status == Status.PENDING


def test_pend_refused_when_pending_for_another_reason_rolls_everything_back(vendors, org):
    from opsdesk.reference.models import PendingReason
    from opsdesk.incidents.services import incident_transition

    with at(sh(2026, 3, 6, 16, 30)):
        incident_transition(incident=vendors.incident, action="pend", by=org.engineer,
                            pending_reason=PendingReason.objects.get(pk="01"))
    with pytest.raises(InvalidInput) as error:
        contact(vendors, org, sh(2026, 3, 6, 17, 0), pend=True, reference="X")
    assert "pend" in error.value.errors
    assert not VendorEngagement.objects.exists()
    assert Incident.objects.get(pk=vendors.incident.pk).vendor_id is None


def test_the_newest_engagement_names_the_incident_vendor(vendors, org):
    contact(vendors, org, sh(2026, 3, 6, 17, 0), vendor=vendors.kingdee, reference="K-1")
    contact(vendors, org, sh(2026, 3, 6, 17, 30), reference="H-9")
    # a call made earlier, recorded later, does not take over
    contact(vendors, org, sh(2026, 3, 6, 17, 40), vendor=vendors.kingdee,
            contacted_at=sh(2026, 3, 6, 17, 10))
    incident = Incident.objects.get(pk=vendors.incident.pk)
    assert (incident.vendor, incident.vendor_reference) == (vendors.huawei, "H-9")


def test_only_people_working_the_incident_may_contact_a_vendor(vendors, org):
    for person in (org.requester, org.other_engineer):
        with pytest.raises(NotPermitted):
            vendor_engagement_create(incident=vendors.incident, by=person, vendor=vendors.huawei)


def test_a_finished_incident_takes_no_new_engagement(vendors, org):
    Incident.objects.filter(pk=vendors.incident.pk).update(status=Status.CANCELLED)
    with pytest.raises(Conflict):
        contact(vendors, org, sh(2026, 3, 6, 17, 0))


def test_contact_and_contract_must_belong_to_the_vendor(vendors, org):
    with pytest.raises(InvalidInput) as error:
        contact(vendors, org, sh(2026, 3, 6, 17, 0), vendor=vendors.kingdee,
                contact=vendors.hotline, contract=vendors.office)
    assert set(error.value.errors) == {"contact", "contract"}
    with pytest.raises(InvalidInput) as error:
        contact(vendors, org, sh(2026, 3, 6, 17, 0), contacted_via="pigeon")
    assert "contacted_via" in error.value.errors


def test_small_clock_drift_is_accepted(vendors, org):
    engagement = contact(vendors, org, sh(2026, 3, 6, 17, 0),
                         contacted_at=sh(2026, 3, 6, 17, 0) + timedelta(seconds=30))
    assert engagement.pk
