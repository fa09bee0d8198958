"""The vendors API: vendors with contacts and contracts, engagements on incidents, the report."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.api.tests.conftest import ApiClient
from opsdesk.incidents.models import Incident
from opsdesk.vendors.models import Vendor, VendorContact, VendorEngagement

from .conftest import at, sh

import pytest


@pytest.fixture
def api(org, vendors):
    return type("Clients", (), {name: ApiClient(user) for name, user in org.people.items()})


def engagements_url(vendors):
    return f"/vendors/incidents/{vendors.incident.number}/engagements"


def test_staff_list_vendors_and_read_one_with_contacts_and_contracts(api, vendors):
    response = api.engineer.get("/vendors")
    assert response.status_code == 200
    rows = {v["name"]: v for v in response.json()}
    assert rows["Huawei"]["contact_count"] == 3 and rows["Huawei"]["contract_count"] == 2
    assert rows["Gone Ltd"]["is_active"] is False
    # the reference list's fields stay: code (the name incidents use) and name
    assert rows["Huawei"]["code"] == "Huawei"
    assert [v["name"] for v in api.engineer.get("/vendors", active="true").json()] == [
        "Huawei", "Kingdee"]
    assert [v["name"] for v in api.engineer.get("/vendors", active="false").json()] == [
        "Gone Ltd"]
    assert api.engineer.get("/vendors/list").status_code == 404  # the old alias is gone
    detail = api.desk.get(f"/vendors/{vendors.huawei.pk}").json()
    assert [c["name"] for c in detail["contacts"] if c["is_escalation"]] == ["Wang", "Zhao"]
    office = next(c for c in detail["contracts"] if c["number"] == "HW-2026-01")
    assert office["services"] == ["NET"] and office["calendar"] == "5x8"
    assert office["response_seconds"] == 7200
    assert api.desk.get("/vendors/999999").status_code == 404


def test_plain_users_never_see_vendor_data(api, vendors):
    assert api.requester.get("/vendors").status_code == 403
    assert api.requester.get(f"/vendors/{vendors.huawei.pk}").status_code == 404
    # the requester sees their incident, but not the vendor work on it
    assert api.requester.get(engagements_url(vendors)).status_code == 404
    assert api.requester.post(engagements_url(vendors), {"vendor": "Huawei"}).status_code == 404
    assert api.requester.get("/vendors/report").status_code == 403
    assert not VendorEngagement.objects.exists()


def test_the_vendor_list_costs_a_fixed_number_of_queries(api, vendors):
    for n in range(5):
        vendor = Vendor.objects.create(name=f"Extra {n}")
        VendorContact.objects.create(vendor=vendor, name="Desk")
    api.desk.get("/vendors")
    with CaptureQueriesContext(connection) as queries:
        assert api.desk.get("/vendors").status_code == 200
    assert len(queries) <= 4


def test_contact_a_vendor_then_record_response_and_resolution(api, vendors):
    with at(sh(2026, 3, 6, 17, 0)):
        response = api.engineer.post(engagements_url(vendors), {
            "vendor": "Huawei", "reference": "HW-77", "contacted_via": "email",
            "contact_id": vendors.hotline.pk, "pend": True})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["contract"] == "HW-2026-01" and body["reference"] == "HW-77"
    assert body["response_due_at"].startswith("2026-03-09T02:00:00")  # 10:00 Shanghai
    incident = Incident.objects.get(pk=vendors.incident.pk)
    assert incident.pending_reason_id == "02" and incident.vendor_reference == "HW-77"
    url = f"{engagements_url(vendors)}/{body['id']}"
    with at(sh(2026, 3, 9, 9, 30)):
        response = api.engineer.patch(url, {"responded_at": "2026-03-09T09:20:00+08:00"})
    assert response.status_code == 200, response.json()
    assert response.json()["response_met"] is True
    assert response.json()["response_seconds"] == 80 * 60
    with at(sh(2026, 3, 10, 10, 0)):
        response = api.engineer.patch(url, {"resolved_at": "2026-03-10T10:00:00+08:00",
                                            "resume": True})
    assert response.json()["resolution_met"] is False
    assert Incident.objects.get(pk=incident.pk).status == 30
    listed = api.manager.get(engagements_url(vendors)).json()
    assert [e["id"] for e in listed] == [body["id"]]


def test_bad_input_is_a_422_that_names_the_field(api, vendors):
    url = engagements_url(vendors)
    with at(sh(2026, 3, 6, 17, 0)):
        for body, field in (({"vendor": "Nobody"}, "vendor"),
                            ({"vendor": "Huawei", "contract": "NOPE"}, "contract"),
                            ({"vendor": "Kingdee", "contact_id": vendors.hotline.pk},
                             "contact_id"),
                            ({"vendor": "Huawei", "contacted_at": "2026-03-07T00:00:00+08:00"},
                             "contacted_at"),
                            ({"vendor": "Huawei", "status": 1}, "status")):
            response = api.engineer.post(url, body, HTTP_ACCEPT_LANGUAGE="en")
            assert response.status_code == 422, body
            assert field in response.json()["errors"], response.json()
    assert not VendorEngagement.objects.exists()


def test_only_people_working_the_incident_may_contact_the_vendor(api, vendors):
    with at(sh(2026, 3, 6, 17, 0)):
        # another group's engineer does not see the incident; the process owner sees it
        # but does not work it
        response = api.other_engineer.post(engagements_url(vendors), {"vendor": "Huawei"})
        assert response.status_code == 404
        response = api.owner.post(engagements_url(vendors), {"vendor": "Huawei"})
        assert response.status_code == 403


def test_an_engagement_of_another_incident_is_not_found(api, vendors, org):
    from opsdesk.core.testing.factories import incident_factory

    other = incident_factory(by=org.desk, requester=org.requester)
    with at(sh(2026, 3, 6, 17, 0)):
        created = api.engineer.post(engagements_url(vendors), {"vendor": "Huawei"}).json()
    response = api.desk.patch(f"/vendors/incidents/{other.number}/engagements/{created['id']}",
                              {"notes": "x"})
    assert response.status_code == 404
