"""Keeping vendors in the browser's pages: new vendor, its details, contacts (htmx), contracts."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.vendors.models import Vendor, VendorContact, VendorContract

from .test_pages import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}


def contact_form(prefix: str, **values) -> dict:
    fields = {"name": "", "role": "", "phone": "", "email": "", "escalation_level": "1",
              "sort_order": "0", "is_active": "on", **values}
    return {f"{prefix}-{k}": v for k, v in fields.items() if v is not None}


def test_the_list_offers_a_new_vendor_to_those_who_keep_vendors_only(vendors, org):
    assert "New vendor" in client_for(org.manager).get("/vendors/").text
    page = client_for(org.engineer).get("/vendors/")
    assert page.status_code == 200 and "New vendor" not in page.text
    assert client_for(org.engineer).get("/vendors/new/").status_code == 403
    assert client_for(org.requester).get("/vendors/new/").status_code == 404


def test_an_incident_manager_adds_a_vendor_and_lands_on_its_page(vendors, org):
    client = client_for(org.manager)
    response = client.post("/vendors/new/", {"name": "Sangfor", "contact_name": "Support",
                                             "email": "support@sangfor.example.cn",
                                             "is_active": "on"}, follow=True)
    vendor = Vendor.objects.get(name="Sangfor")
    assert response.redirect_chain[-1][0] == f"/vendors/{vendor.pk}/"
    assert "The vendor Sangfor is added." in response.text
    assert "Add a contact" in response.text and "Add a contract" in response.text


def test_a_duplicate_or_bad_vendor_shows_the_errors_and_saves_nothing(vendors, org):
    response = client_for(org.owner).post("/vendors/new/", {"name": "huawei",
                                                            "email": "not-an-address"})
    assert response.status_code == 422
    assert "Enter a valid email address." in response.text
    response = client_for(org.owner).post("/vendors/new/", {"name": "huawei"})
    assert response.status_code == 422
    assert "A vendor with this name exists already." in response.text
    assert Vendor.objects.count() == 3


def test_the_vendor_form_on_its_page_saves_and_shows_errors_in_place(vendors, org):
    client = client_for(org.admin)
    url = f"/vendors/{vendors.huawei.pk}/edit/"
    response = client.post(url, {"name": "Kingdee", "is_active": "on"})
    assert response.status_code == 422
    assert "A vendor with this name exists already." in response.text
    assert '<details id="vendor-edit" open>' in response.text
    response = client.post(url, {"name": "Huawei China", "phone": "400", "is_active": "on"})
    assert response.status_code == 302
    assert Vendor.objects.get(pk=vendors.huawei.pk).name == "Huawei China"
    assert client_for(org.engineer).post(url, {"name": "X"}).status_code == 403
    assert client_for(org.requester).post(url, {"name": "X"}).status_code == 404


def test_contacts_are_added_and_changed_in_place_with_htmx(vendors, org):
    client = client_for(org.owner)
    base = f"/vendors/{vendors.huawei.pk}/contacts/"
    response = client.post(base, contact_form("new-contact", name="Qian", email="q@hw.example",
                                              is_escalation="on", escalation_level="3"), **HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="vendor-contacts"')
    assert "The contact Qian is saved." in response.text and "level 3" in response.text
    qian = VendorContact.objects.get(name="Qian")
    assert (qian.is_escalation, qian.escalation_level) == (True, 3)
    response = client.post(f"{base}{qian.pk}/", contact_form(
        f"contact-{qian.pk}", name="Qian", phone="137", is_escalation=None, is_active=None),
        **HTMX)
    assert response.status_code == 200
    qian.refresh_from_db()
    assert (qian.is_escalation, qian.escalation_level, qian.is_active) == (False, 0, False)


def test_a_bad_contact_comes_back_with_its_errors_and_nothing_is_saved(vendors, org):
    client = client_for(org.manager)
    base = f"/vendors/{vendors.huawei.pk}/contacts/"
    response = client.post(base, contact_form("new-contact", name="Qian", is_escalation="on",
                                              escalation_level=""), **HTMX)
    assert response.status_code == 422
    assert "Give the escalation level from 1 to 9" in response.text
    assert "Give a phone number or an email address" in response.text
    assert '<details id="contact-new" class="card" open>' in response.text
    assert not VendorContact.objects.filter(name="Qian").exists()
    # without htmx the whole page comes back, with the same errors
    response = client.post(base, contact_form("new-contact", name="Qian"))
    assert response.status_code == 422 and "<h1>Huawei" in response.text
    assert "Give a phone number or an email address" in response.text
    # a contact of another vendor is not on this vendor's page
    other = VendorContact.objects.create(vendor=vendors.kingdee, name="Chen", phone="1")
    assert client.post(f"{base}{other.pk}/", contact_form(f"contact-{other.pk}", name="X",
                                                          phone="1")).status_code == 404


def test_a_contract_is_added_with_its_promise_typed_as_people_say_it(vendors, org):
    client = client_for(org.owner)
    url = f"/vendors/{vendors.kingdee.pk}/contracts/new/"
    page = client.get(url)
    assert page.status_code == 200 and "core-switch-1" in page.text
    response = client.post(url, {
        "number": "KD-1", "title": "ERP support", "starts_on": "2026-01-01", "ends_on": "",
        "services": [vendors.network.pk], "configuration_items": [vendors.switch.pk],
        "calendar": "5x8", "response": "2 h", "resolution": "1 working day",
        "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    contract = VendorContract.objects.get(number="KD-1")
    assert (contract.response_seconds, contract.resolution_seconds) == (7200, 8 * 3600)
    assert contract.calendar_id == "5x8" and contract.ends_on is None
    page = client.get(f"/vendors/{vendors.kingdee.pk}/")
    assert "KD-1" in page.text and "1 working day" in page.text and "Network" in page.text
    edit = client.get(f"/vendors/{vendors.kingdee.pk}/contracts/{contract.pk}/")
    assert 'value="2 h"' in edit.text and 'value="1 working day"' in edit.text


def test_a_bad_contract_names_each_field_and_nothing_is_saved(vendors, org):
    client = client_for(org.manager)
    url = f"/vendors/{vendors.huawei.pk}/contracts/{vendors.office.pk}/"
    response = client.post(url, {
        "number": "HW-2026-02", "title": "Changed", "starts_on": "2026-06-01",
        "ends_on": "2026-05-01", "calendar": "5x8", "response": "4 h", "resolution": "2 h",
        "is_active": "on"})
    assert response.status_code == 422
    text = response.content.decode()
    for message in ("This vendor has a contract with this number already.",
                    "The contract cannot end before it starts.",
                    "The promised resolution cannot be shorter than the promised response."):
        assert message in text, message
    response = client.post(url, {"number": "HW-2026-01", "title": "X", "starts_on": "2026-01-01",
                                 "response": "soon", "is_active": "on"})
    assert response.status_code == 422 and "Type a number and a unit" in response.text
    office = VendorContract.objects.get(pk=vendors.office.pk)
    assert (office.title, office.starts_on) == ("Network maintenance 5×8", date(2026, 1, 1))
    assert client_for(org.desk).post(url, {"title": "X"}).status_code == 403
    assert client_for(org.manager).get(
        f"/vendors/{vendors.kingdee.pk}/contracts/{vendors.office.pk}/").status_code == 404


@pytest.mark.parametrize("who", ["engineer", "manager"])
def test_the_vendor_page_costs_the_same_queries_for_few_or_many_contacts(vendors, org, who):
    client = client_for(getattr(org, who))
    url = f"/vendors/{vendors.huawei.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(6):
        VendorContact.objects.create(vendor=vendors.huawei, name=f"Extra {n}", phone=str(n))
        VendorContract.objects.create(vendor=vendors.huawei, number=f"X-{n}", title="x",
                                      starts_on=date(2026, 1, 1))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert "Extra 5" in page.text and "X-5" in page.text
    assert len(many) <= len(few)
