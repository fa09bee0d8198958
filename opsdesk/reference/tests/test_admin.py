"""The process owner edits reference data, CMDB and vendors in the admin; nothing is deleted."""

import pytest

from opsdesk.cmdb.models import CIType, ConfigurationItem, Service
from opsdesk.core.testing.factories import (ConfigurationItemFactory, ServiceFactory,
                                            UserFactory, VendorFactory, incident_factory)
from opsdesk.reference.models import (Category, ClosureCode, Impact, PendingReason,
                                      PriorityMatrixCell, Source, Urgency)
from opsdesk.vendors.models import Vendor

from .admin_helpers import (change_form_data, changelist_formset_data, client_for,
                            count_queries)

MATRIX = "/admin/reference/prioritymatrixcell/"
SOURCES = "/admin/reference/source/"


@pytest.fixture
def owner_client(org):
    return client_for(org.owner)


def test_owner_sees_reference_data_but_not_people(owner_client):
    response = owner_client.get("/admin/")
    assert response.status_code == 200
    page = response.content.decode()
    for url in (MATRIX, SOURCES, "/admin/reference/category/", "/admin/cmdb/service/",
                "/admin/cmdb/configurationitem/", "/admin/vendors/vendor/",
                "/admin/incidents/incident/"):
        assert url in page
    for url in ("/admin/accounts/user/", "/admin/accounts/supportgroup/",
                "/admin/accounts/apitoken/"):
        assert url not in page


@pytest.mark.parametrize("url", ["/admin/accounts/user/", "/admin/accounts/supportgroup/",
                                 "/admin/accounts/apitoken/", "/admin/accounts/organisation/",
                                 "/admin/accounts/location/", "/admin/accounts/user/add/"])
def test_owner_cannot_open_people_and_groups(owner_client, url):
    assert owner_client.get(url).status_code == 403


def test_owner_edits_the_priority_matrix_cell_by_cell(owner_client):
    response = owner_client.get(MATRIX)
    assert response.status_code == 200
    assert len(response.context["cl"].formset.forms) == 16
    cell = PriorityMatrixCell.objects.get(impact_id=4, urgency_id=4)
    assert cell.priority_id == 4
    data = changelist_formset_data(response)
    index = next(i for i, form in enumerate(response.context["cl"].formset.forms)
                 if form.instance.pk == cell.pk)
    data[f"form-{index}-priority"] = "3"
    response = owner_client.post(MATRIX, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    cell.refresh_from_db()
    assert cell.priority_id == 3
    # The rest of the matrix is untouched.
    assert PriorityMatrixCell.objects.get(impact_id=1, urgency_id=1).priority_id == 1


def test_a_second_cell_for_the_same_coordinates_is_a_form_error(owner_client):
    response = owner_client.post(MATRIX + "add/", {"impact": "1", "urgency": "1",
                                                   "priority": "4"},
                                 headers={"Accept-Language": "en"})
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "urgency" in form.errors
    assert "already has a cell" in str(form.errors["urgency"])
    assert PriorityMatrixCell.objects.filter(impact_id=1, urgency_id=1).count() == 1
    assert PriorityMatrixCell.objects.get(impact_id=1, urgency_id=1).priority_id == 1


def test_matrix_cell_coordinates_are_fixed_once_created(owner_client):
    cell = PriorityMatrixCell.objects.get(impact_id=2, urgency_id=3)
    url = f"{MATRIX}{cell.pk}/change/"
    response = owner_client.get(url)
    assert set(response.context["adminform"].form.fields) == {"priority"}
    response = owner_client.post(url, {"impact": "1", "urgency": "1", "priority": "1"})
    assert response.status_code == 302
    cell.refresh_from_db()
    assert (cell.impact_id, cell.urgency_id, cell.priority_id) == (2, 3, 1)


def test_owner_edits_a_code_table_but_not_its_code(owner_client):
    url = f"{SOURCES}01/change/"
    response = owner_client.get(url)
    assert response.status_code == 200
    data = change_form_data(response)
    assert "code" not in data  # read-only once created
    data.update(name_en="Telephone", name_zh="电话热线", code="99")
    response = owner_client.post(url, data)
    assert response.status_code == 302
    source = Source.objects.get(code="01")
    assert (source.name_en, source.name_zh) == ("Telephone", "电话热线")
    assert not Source.objects.filter(code="99").exists()


def test_owner_adds_a_code(owner_client):
    response = owner_client.post(SOURCES + "add/", {
        "code": "08", "name_zh": "短信", "name_en": "SMS", "sort_order": "8", "is_active": "on"})
    assert response.status_code == 302
    assert Source.objects.get(code="08").name_en == "SMS"
    # A code that exists already is a form error, not a crash.
    response = owner_client.post(SOURCES + "add/", {
        "code": "08", "name_zh": "短信", "name_en": "SMS", "sort_order": "8"})
    assert response.status_code == 200
    assert "code" in response.context["adminform"].form.errors


def test_owner_deactivates_codes_in_the_list(owner_client):
    response = owner_client.get(SOURCES)
    data = changelist_formset_data(response)
    forms = response.context["cl"].formset.forms
    index = next(i for i, f in enumerate(forms) if f.instance.pk == "06")
    del data[f"form-{index}-is_active"]
    response = owner_client.post(SOURCES, data)
    assert response.status_code == 302
    assert Source.objects.get(code="06").is_active is False
    assert Source.objects.get(code="05").is_active is True


def test_owner_deactivates_and_reactivates_with_the_actions(owner_client):
    response = owner_client.post("/admin/reference/closurecode/", {
        "action": "deactivate_selected", "_selected_action": ["05", "06"]})
    assert response.status_code == 302
    assert set(ClosureCode.objects.filter(is_active=False).values_list("code", flat=True)) == {
        "05", "06"}
    owner_client.post("/admin/reference/closurecode/", {
        "action": "activate_selected", "_selected_action": ["05"]})
    assert ClosureCode.objects.get(code="05").is_active is True


def test_level_number_is_fixed_once_created(owner_client):
    response = owner_client.get("/admin/reference/urgency/2/change/")
    data = change_form_data(response)
    assert "level" not in data
    data["name_en"] = "Urgent"
    assert owner_client.post("/admin/reference/urgency/2/change/", data).status_code == 302
    assert Urgency.objects.get(level=2).name_en == "Urgent"


def test_pending_reason_admin_edits_the_sla_switch(owner_client):
    reason = PendingReason.objects.order_by("sort_order").first()
    was = reason.pauses_sla
    url = f"/admin/reference/pendingreason/{reason.pk}/change/"
    data = change_form_data(owner_client.get(url))
    if was:
        del data["pauses_sla"]
    else:
        data["pauses_sla"] = "on"
    assert owner_client.post(url, data).status_code == 302
    reason.refresh_from_db()
    assert reason.pauses_sla is (not was)


@pytest.mark.parametrize("who", ["owner", "admin", "root"])
def test_codes_in_use_cannot_be_deleted_and_nothing_crashes(org, who):
    root = UserFactory(username="root", is_superuser=True)
    user = root if who == "root" else getattr(org, who)
    client = client_for(user)
    incident = incident_factory(by=org.desk, requester=org.requester)
    assert incident.source_id == "03"
    for url in (f"{SOURCES}03/delete/", "/admin/reference/urgency/3/delete/",
                f"{MATRIX}{PriorityMatrixCell.objects.first().pk}/delete/",
                "/admin/cmdb/citype/server/delete/"):
        assert client.get(url).status_code == 403
        assert client.post(url, {"post": "yes"}).status_code == 403
    # The bulk delete action is not offered either, and posting it anyway deletes nothing.
    response = client.get(SOURCES)
    actions = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    assert "deactivate_selected" in actions
    response = client.post(SOURCES, {"action": "delete_selected", "_selected_action": ["03"],
                                     "post": "yes"})
    assert response.status_code in (200, 302)
    assert Source.objects.filter(code="03").exists()
    # The change page has no delete link.
    assert f"{SOURCES}03/delete/" not in client.get(f"{SOURCES}03/change/").content.decode()


def test_category_tree_add_and_duplicate(owner_client):
    parent = Category.objects.filter(parent__isnull=True).first()
    url = "/admin/reference/category/add/"
    data = {"code": "newleaf", "parent": str(parent.pk), "name_zh": "新类", "name_en": "New",
            "sort_order": "0", "is_active": "on"}
    assert owner_client.post(url, data).status_code == 302
    leaf = Category.objects.get(path=f"{parent.path}.newleaf")
    # Same code under the same parent: a form error, not an IntegrityError.
    response = owner_client.post(url, data)
    assert response.status_code == 200
    assert "code" in response.context["adminform"].form.errors
    # Code and parent are fixed after creation; the names change.
    change = f"/admin/reference/category/{leaf.pk}/change/"
    data = change_form_data(owner_client.get(change))
    assert "code" not in data and "parent" not in data
    data["name_en"] = "Renamed"
    assert owner_client.post(change, data).status_code == 302
    leaf.refresh_from_db()
    assert leaf.name_en == "Renamed" and leaf.path == f"{parent.path}.newleaf"


def test_owner_edits_cmdb_and_vendors(owner_client, org):
    response = owner_client.post("/admin/cmdb/service/add/", {
        "code": "MAIL", "name_zh": "邮件", "name_en": "E-mail", "description": "",
        "owner_group": str(org.groups["NET2"].pk), "is_active": "on"})
    assert response.status_code == 302
    service = Service.objects.get(code="MAIL")
    response = owner_client.post("/admin/cmdb/configurationitem/add/", {
        "name": "mail-01", "ci_type": "server", "services": [str(service.pk)],
        "serial_number": "SN1", "description": "", "is_active": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(ConfigurationItem.objects.get(name="mail-01").services.all()) == [service]
    response = owner_client.post("/admin/vendors/vendor/add/", {
        "name": "Acme", "contact_name": "Wang", "phone": "123", "email": "", "notes": "",
        "is_active": "on",
        # The vendor's contacts, inline: none added here.
        "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0", "contacts-MAX_NUM_FORMS": "1000"})
    assert response.status_code == 302
    assert Vendor.objects.filter(name="Acme").exists()
    assert owner_client.get("/admin/cmdb/citype/").status_code == 200
    assert CIType.objects.filter(code="server").exists()


def _grow():
    """More rows for every changelist checked below."""
    impact = Impact.objects.create(level=5, name_zh="无", name_en="None")
    for urgency in Urgency.objects.all():
        PriorityMatrixCell.objects.create(impact=impact, urgency=urgency, priority_id=4)
    for _i in range(5):
        ServiceFactory()
        ConfigurationItemFactory()
        VendorFactory()
    for i in range(5):
        Source.objects.create(code=f"X{i}", name_zh=f"来源{i}", name_en=f"Source {i}")
        parent = Category.objects.filter(parent__isnull=True).first()
        Category.objects.create(code=f"grow{i}", parent=parent, name_zh="子", name_en="Sub")


@pytest.mark.parametrize("url", [
    MATRIX, SOURCES, "/admin/reference/category/", "/admin/reference/urgency/",
    "/admin/reference/pendingreason/", "/admin/cmdb/service/", "/admin/cmdb/citype/",
    "/admin/cmdb/configurationitem/", "/admin/vendors/vendor/",
])
def test_changelist_query_count_does_not_grow_with_rows(owner_client, url):
    ServiceFactory(owner_group=None)
    ConfigurationItemFactory()
    VendorFactory()
    count_queries(owner_client, url)  # warm caches (content types, sessions)
    before = count_queries(owner_client, url)
    _grow()
    after = count_queries(owner_client, url)
    assert after == before, f"{url}: {before} queries, then {after} with more rows"
    assert after <= 12, f"{url}: {after} queries"
