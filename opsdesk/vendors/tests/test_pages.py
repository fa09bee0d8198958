"""Vendor pages: the list, a vendor's page, the report with CSV, and the incident's panel."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opsdesk.incidents.models import Incident
from opsdesk.vendors.models import Vendor, VendorContact, VendorEngagement
from opsdesk.vendors.services import vendor_engagement_create

from .conftest import at, sh


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def engaged(vendors, org):
    with at(sh(2026, 3, 6, 17, 0)):
        return vendor_engagement_create(incident=vendors.incident, by=org.engineer,
                                        vendor=vendors.huawei, data={"reference": "HW-555"})


def test_staff_see_the_vendor_list_and_a_vendor_with_contacts_contracts_engagements(
        vendors, org, engaged):
    page = client_for(org.engineer).get("/vendors/")
    assert page.status_code == 200
    assert "Huawei" in page.text and "Kingdee" in page.text
    page = client_for(org.engineer).get(f"/vendors/{vendors.huawei.pk}/")
    assert page.status_code == 200
    for text in ("Wang", "level 1", "HW-2026-01", "Network maintenance", "2 h", "HW-555",
                 vendors.incident.number):
        assert text in page.text, text


def test_a_vendor_page_hides_incidents_the_reader_may_not_see(vendors, org, engaged):
    page = client_for(org.other_engineer).get(f"/vendors/{vendors.huawei.pk}/")
    assert page.status_code == 200 and vendors.incident.number not in page.text


def test_plain_users_get_the_404_page(vendors, org, engaged):
    requester = client_for(org.requester)
    assert requester.get("/vendors/").status_code == 404
    assert requester.get(f"/vendors/{vendors.huawei.pk}/").status_code == 404
    assert requester.get("/vendors/report/").status_code == 403
    page = requester.get(f"/incidents/{vendors.incident.number}/")
    assert page.status_code == 200 and "Vendor work" not in page.text
    response = requester.post(f"/incidents/{vendors.incident.number}/vendor/",
                              {"vendor-vendor": vendors.huawei.pk, "vendor-contacted_via": "phone"})
    assert response.status_code == 404
    assert VendorEngagement.objects.count() == 1


def test_the_vendor_list_costs_a_fixed_number_of_queries(vendors, org):
    for n in range(5):
        VendorContact.objects.create(vendor=Vendor.objects.create(name=f"Extra {n}"), name="x")
    client = client_for(org.desk)
    client.get("/vendors/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/vendors/").status_code == 200
    assert len(queries) <= 8


def test_the_incident_panel_contacts_a_vendor_and_pends(vendors, org):
    client = client_for(org.engineer)
    url = f"/incidents/{vendors.incident.number}/"
    page = client.get(url)
    assert "Contact vendor" in page.text and "No vendor has been contacted" in page.text
    with at(sh(2026, 3, 6, 17, 0)):
        response = client.post(f"{url}vendor/", {
            "vendor-vendor": vendors.huawei.pk, "vendor-contacted_via": "email",
            "vendor-reference": "HW-1", "vendor-contact": vendors.hotline.pk,
            "vendor-pend": "on"})
    assert response.status_code == 302
    incident = Incident.objects.get(pk=vendors.incident.pk)
    assert incident.pending_reason_id == "02" and incident.vendor_reference == "HW-1"
    with at(sh(2026, 3, 6, 17, 5)):
        page = client.get(url)
    panel = page.text.split('id="vendor-h"')[1].split("</section>")[0]
    assert "HW-1" in panel and "Record the vendor's response" in panel


def test_a_contact_in_the_future_shows_the_error_in_the_panel(vendors, org):
    client = client_for(org.engineer)
    with at(sh(2026, 3, 6, 17, 0)):
        response = client.post(f"/incidents/{vendors.incident.number}/vendor/", {
            "vendor-vendor": vendors.huawei.pk, "vendor-contacted_via": "phone",
            "vendor-contacted_at": "2026-03-06T19:00"})
    assert response.status_code == 422
    assert "This time is in the future." in response.content.decode()
    assert not VendorEngagement.objects.exists()


def test_record_the_response_and_the_fix_from_the_panel(vendors, org, engaged):
    client = client_for(org.engineer)
    base = f"/incidents/{vendors.incident.number}/vendor/{engaged.pk}"
    with at(sh(2026, 3, 9, 9, 30)):
        response = client.post(f"{base}/respond/", {f"respond-{engaged.pk}-at": ""})
    assert response.status_code == 302
    with at(sh(2026, 3, 9, 9, 40)):
        response = client.post(f"{base}/resolve/",
                               {f"resolve-{engaged.pk}-at": "2026-03-09T09:00"})
    assert response.status_code == 422  # fixed before it responded
    assert "cannot resolve it before it responded" in response.content.decode()
    with at(sh(2026, 3, 9, 9, 40)):
        client.post(f"{base}/resolve/", {f"resolve-{engaged.pk}-at": ""})
    engaged.refresh_from_db()
    assert engaged.responded_at == sh(2026, 3, 9, 9, 30)
    assert engaged.resolved_at == sh(2026, 3, 9, 9, 40)
    with at(sh(2026, 3, 9, 9, 45)):
        page = client.get(f"/incidents/{vendors.incident.number}/")
    assert page.text.count(">met<") == 2


def test_the_report_page_and_its_csv(vendors, org, engaged):
    manager = client_for(org.manager)
    with at(sh(2026, 3, 9, 9, 0)):
        page = manager.get("/vendors/report/", {"start": "2026-03-01", "end": "2026-03-31"})
        assert page.status_code == 200 and "Huawei" in page.text
        csv = manager.get("/vendors/report/", {"start": "2026-03-01", "end": "2026-03-31",
                                                "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Vendor,Engagements,Open")
    assert lines[1].startswith("Huawei,1,1,")
    bad = manager.get("/vendors/report/", {"start": "2026-03-31", "end": "2026-03-01"})
    assert bad.status_code == 422
    assert client_for(org.engineer).get("/vendors/report/").status_code == 403


def test_the_panel_costs_the_same_queries_for_one_or_many_engagements(vendors, org):
    client = client_for(org.engineer)
    url = f"/incidents/{vendors.incident.number}/"

    def contact_at(hour):
        with at(sh(2026, 3, 9, hour, 0)):
            vendor_engagement_create(incident=vendors.incident, by=org.engineer,
                                     vendor=vendors.huawei, data={"reference": f"R{hour}"})

    contact_at(9)
    with at(sh(2026, 3, 9, 16, 0)):
        client.get(url)
        with CaptureQueriesContext(connection) as one:
            client.get(url)
    for hour in (10, 11, 12, 13):
        contact_at(hour)
    with at(sh(2026, 3, 9, 16, 0)), CaptureQueriesContext(connection) as five:
        page = client.get(url)
    assert "R13" in page.text and "R9" in page.text
    panel = [q for q in five.captured_queries
             if "vendors_vendorengagement" in q["sql"] or "vendors_vendorcontact" in q["sql"]]
    assert len(panel) <= 2  # the engagements, and the contacts of the form
    assert len(five) <= len(one)
