"""The vendors API's writes: vendors, contacts and contracts, by the people who keep them."""

import pytest

from opsdesk.api.tests.conftest import ApiClient
from opsdesk.vendors.models import Vendor, VendorContact, VendorContract

EN = {"Accept-Language": "en"}


@pytest.fixture
def api(org, vendors):
    return type("Clients", (), {name: ApiClient(user) for name, user in org.people.items()})


def test_an_incident_manager_adds_a_vendor_with_a_contact_and_a_contract(api, vendors):
    response = api.manager.post("/vendors", {"name": "Sangfor", "contact_name": "Support",
                                             "email": "support@sangfor.example.cn"})
    assert response.status_code == 201, response.json()
    vendor = response.json()
    assert vendor["code"] == "Sangfor" and vendor["contacts"] == [] and vendor["is_active"]
    response = api.manager.post(f"/vendors/{vendor['id']}/contacts", {
        "name": "Sun", "role": "Service manager", "email": "sun@sangfor.example.cn",
        "is_escalation": True, "escalation_level": 1})
    assert response.status_code == 201, response.json()
    contact = response.json()
    assert contact["is_escalation"] and contact["escalation_level"] == 1
    response = api.manager.post(f"/vendors/{vendor['id']}/contracts", {
        "number": "SF-2026", "title": "Firewall support", "starts_on": "2026-01-01",
        "services": ["NET"], "configuration_items": ["core-switch-1"], "calendar": "5x8",
        "response_seconds": 7200, "resolution_seconds": 28800})
    assert response.status_code == 201, response.json()
    contract = response.json()
    assert contract["services"] == ["NET"] and contract["configuration_items"] == [
        "core-switch-1"]
    assert contract["calendar"] == "5x8" and contract["ends_on"] is None
    detail = api.desk.get(f"/vendors/{vendor['id']}").json()
    assert detail["contact_count"] == 1 and detail["contract_count"] == 1


def test_process_owners_and_administrators_change_what_exists(api, vendors):
    huawei = f"/vendors/{vendors.huawei.pk}"
    response = api.owner.patch(huawei, {"phone": "400-000-0000", "notes": "Key account"})
    assert response.status_code == 200 and response.json()["phone"] == "400-000-0000"
    response = api.admin.patch(f"{huawei}/contacts/{vendors.hotline.pk}",
                               {"is_escalation": True, "escalation_level": 3,
                                "email": "tac@huawei.example.cn", "sort_order": 5})
    assert response.status_code == 200, response.json()
    assert response.json()["escalation_level"] == 3 and response.json()["sort_order"] == 5
    response = api.owner.patch(f"{huawei}/contracts/{vendors.office.pk}",
                               {"ends_on": None, "services": [], "resolution_seconds": 36000})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["ends_on"] is None and body["services"] == []
    assert body["resolution_seconds"] == 36000 and body["response_seconds"] == 7200


def test_support_staff_read_but_may_not_write_and_requesters_see_nothing(api, vendors):
    huawei = f"/vendors/{vendors.huawei.pk}"
    for client in (api.desk, api.engineer):
        assert client.post("/vendors", {"name": "X"}).status_code == 403
        assert client.patch(huawei, {"phone": "1"}).status_code == 403
        assert client.post(f"{huawei}/contacts", {"name": "X", "phone": "1"}).status_code == 403
        assert client.patch(f"{huawei}/contracts/{vendors.office.pk}",
                            {"title": "X"}).status_code == 403
    assert api.requester.post("/vendors", {"name": "X"}).status_code == 403
    assert api.requester.patch(huawei, {"phone": "1"}).status_code == 404
    assert api.requester.post(f"{huawei}/contacts", {"name": "X", "phone": "1"}).status_code == 404
    assert not Vendor.objects.filter(name="X").exists()
    assert Vendor.objects.get(pk=vendors.huawei.pk).phone == "400-822-9999"
    assert not VendorContact.objects.filter(name="X").exists()


def test_bad_input_is_a_422_naming_each_field_and_nothing_is_saved(api, vendors):
    huawei = f"/vendors/{vendors.huawei.pk}"
    response = api.owner.post("/vendors", {"name": "huawei", "email": "nope"}, **EN)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"name", "email"}
    response = api.owner.post(f"{huawei}/contracts", {
        "number": "HW-2026-01", "title": "Dup", "starts_on": "2026-05-01",
        "ends_on": "2026-04-01", "services": ["NET", "NOPE"], "calendar": "moon"}, **EN)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == {"services": "Unknown: NOPE.", "calendar": "There is no calendar “moon”."}
    response = api.owner.post(f"{huawei}/contracts", {
        "number": "HW-2026-01", "title": "Dup", "starts_on": "2026-05-01",
        "ends_on": "2026-04-01"}, **EN)
    assert set(response.json()["errors"]) == {"number", "ends_on"}
    response = api.owner.post(f"{huawei}/contacts", {"name": "Qian", "is_escalation": True},
                              **EN)
    assert set(response.json()["errors"]) == {"escalation_level", "phone"}
    response = api.owner.patch(f"{huawei}/contacts/{vendors.hotline.pk}", {"name": None}, **EN)
    assert response.json()["errors"] == {"name": "This field cannot be empty."}
    response = api.owner.patch(huawei, {}, **EN)
    assert response.status_code == 422 and "body" in response.json()["errors"]
    response = api.owner.patch(huawei, {"id": 5}, **EN)
    assert response.status_code == 422 and "id" in response.json()["errors"]
    assert VendorContract.objects.filter(vendor=vendors.huawei).count() == 2
    assert VendorContact.objects.filter(vendor=vendors.huawei).count() == 3
    assert Vendor.objects.count() == 3


def test_a_contact_or_contract_of_another_vendor_is_not_found(api, vendors):
    kingdee = f"/vendors/{vendors.kingdee.pk}"
    assert api.owner.patch(f"{kingdee}/contacts/{vendors.hotline.pk}",
                           {"name": "Moved"}).status_code == 404
    assert api.owner.patch(f"{kingdee}/contracts/{vendors.office.pk}",
                           {"title": "Moved"}).status_code == 404
    assert api.owner.patch("/vendors/999999", {"name": "Ghost"}).status_code == 404
