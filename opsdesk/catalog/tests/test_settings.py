"""The process owner's catalogue settings: who may use them, the list, creating and editing a
type, its fields (add, edit, reorder, deactivate, delete), bad input (422, nothing saved), the
instructions' preview, and what the portal and the API then offer."""

import re

import pytest
from django.test import Client

from opsdesk.api.tests.conftest import ApiClient
from opsdesk.catalog import editing
from opsdesk.catalog.models import RequestField, RequestType, ServiceRequest
from opsdesk.catalog.services import request_order
from opsdesk.core.exceptions import Conflict, InvalidInput
from opsdesk.core.testing.matrix import ALLOW, DENY, check_matrix_complete, matrix_cases
from opsdesk.incidents.models import Incident

ROLES = ("requester", "desk", "engineer", "manager", "owner", "admin")
PAGES = ("/settings/catalog/", "/settings/catalog/new/", "/settings/catalog/software/",
         "/settings/catalog/software/fields/new/", "FIELD")
ONLY_OWNER_AND_ADMIN = {"requester": DENY, "desk": DENY, "engineer": DENY, "manager": DENY,
                        "owner": ALLOW, "admin": ALLOW}
ACCESS = {page: dict(ONLY_OWNER_AND_ADMIN) for page in PAGES}
check_matrix_complete(ACCESS, actions=PAGES, roles=ROLES)


def browser(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def field_errors(page: str, name: str) -> str:
    match = re.search(rf'<ul class="errors" id="id_{name}_error" role="alert">(.*?)</ul>',
                      page, re.DOTALL)
    return match.group(1) if match else ""


def type_post(org, **values) -> dict:
    data = {"code": "toner", "name_zh": "硒鼓更换", "name_en": "Printer toner",
            "description_en": "A new toner cartridge", "icon": "🖨",
            "fulfilment_group": org.groups["DESK"].pk, "sla_policy": "P4",
            "impact": "4", "urgency": "3", "audience": [org.dept.pk],
            "instructions_en": "1. Find the printer model\n2. Bring the toner",
            "instructions_zh": "1. 确认型号\n2. 送硒鼓", "sort_order": "5", "is_active": "on",
            "needs_approval": "on"}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def field_post(**values) -> dict:
    data = {"key": "printer", "kind": "choice", "label_zh": "打印机", "label_en": "Printer",
            "options": "hp | 惠普 | HP\ncanon | 佳能 | Canon", "required": "on",
            "is_active": "on"}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("page, role, expected", matrix_cases(ACCESS))
def test_who_may_open_each_catalogue_settings_page(org, catalog, page, role, expected):
    if page == "FIELD":
        page = f"/settings/catalog/software/fields/{catalog.software.fields.first().pk}/"
    response = browser(getattr(org, role)).get(page)
    assert response.status_code == (200 if expected == ALLOW else 403)


def test_denied_people_cannot_post(org, catalog):
    manager = browser(org.manager)
    first = catalog.software.fields.first()
    assert manager.post("/settings/catalog/new/", type_post(org)).status_code == 403
    assert manager.post("/settings/catalog/software/active/", {"active": "0"}).status_code == 403
    assert manager.post("/settings/catalog/software/fields/new/",
                        field_post()).status_code == 403
    assert manager.post(f"/settings/catalog/software/fields/{first.pk}/delete/"
                        ).status_code == 403
    assert manager.post("/settings/catalog/preview/", {"instructions_en": "x"}
                        ).status_code == 403
    assert not RequestType.objects.filter(code="toner").exists()
    assert RequestType.objects.get(code="software").is_active
    assert RequestField.objects.filter(pk=first.pk).exists()


def test_the_settings_index_links_the_catalogue(org):
    page = browser(org.owner).get("/settings/").content.decode()
    assert 'href="/settings/catalog/"' in page and "Service catalogue" in page


def test_the_list_shows_active_and_inactive_types_in_few_queries(
        org, catalog, django_assert_max_num_queries):
    editing.request_type_set_active(request_type=catalog.vpn, active=False)
    owner = browser(org.owner)
    with django_assert_max_num_queries(8):
        page = owner.get("/settings/catalog/").content.decode()
    for code in ("password-reset", "software", "vpn"):
        assert f'href="/settings/catalog/{code}/"' in page
    vpn_row = re.search(r'<tr class="inactive">.*?</tr>', page, re.S).group(0)
    assert "VPN access" in vpn_row and "Activate" in vpn_row
    reset_row = re.search(r'href="/settings/catalog/password-reset/".*?</tr>', page,
                          re.S).group(0)
    assert "P2" in reset_row and "Deactivate" in reset_row and ">1<" in reset_row
    for n in range(5):  # more types cost no more queries
        RequestType.objects.create(code=f"extra-{n}", name_zh=f"额外{n}", name_en=f"Extra {n}",
                                   fulfilment_group=org.groups["DESK"])
    with django_assert_max_num_queries(8):
        assert "Extra 4" in owner.get("/settings/catalog/").content.decode()


def test_create_a_type_with_every_attribute_and_find_it_in_the_portal(org, catalog):
    owner = browser(org.owner)
    response = owner.post("/settings/catalog/new/", type_post(org))
    assert response.status_code == 302
    assert response["Location"] == "/settings/catalog/toner/"
    toner = RequestType.objects.get(code="toner")
    assert (toner.name_en, toner.icon, toner.sla_policy_id, toner.sort_order) == (
        "Printer toner", "🖨", "P4", 5)
    assert toner.needs_approval and toner.fulfilment_group == org.groups["DESK"]
    assert list(toner.audience.all()) == [org.dept]
    assert "Bring the toner" in toner.instructions_en
    assert "Printer toner" in browser(org.requester).get("/catalog/").content.decode()
    assert "Printer toner" not in browser(org.outsider).get("/catalog/").content.decode()


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"name_en": ""}, "name_en", "This field is required."),
    ({"code": "software"}, "code", "A request type with this code exists already."),
    ({"code": "new"}, "code", "is a word of the settings pages"),
    ({"code": "has space"}, "code", "Enter a valid “slug”"),
    ({"fulfilment_group": ""}, "fulfilment_group", "This field is required."),
    ({"sla_policy": "NOPE"}, "sla_policy", "Select a valid choice."),
])
def test_a_bad_type_is_refused_next_to_its_field_and_nothing_is_saved(org, catalog, values,
                                                                      field, message):
    response = browser(org.owner).post("/settings/catalog/new/", type_post(org, **values))
    assert response.status_code == 422
    page = response.content.decode()
    assert message in field_errors(page, field)
    assert 'value="Printer toner"' in page or values.get("name_en") == ""
    assert RequestType.objects.count() == 3


def test_edit_a_type_keeps_its_code_and_its_requests(org, catalog):
    incident, _created = request_order(by=org.requester, request_type=catalog.reset,
                                       answers={"account": "li.lei"})
    owner = browser(org.owner)
    assert 'value="password-reset"' in owner.get("/settings/catalog/password-reset/"
                                                 ).content.decode()
    response = owner.post("/settings/catalog/password-reset/", type_post(
        org, code="hijack", name_en="Reset a password", sla_policy="", audience=[],
        needs_approval=None))
    assert response.status_code == 302
    reset = RequestType.objects.get(pk=catalog.reset.pk)
    assert (reset.code, reset.name_en, reset.sla_policy_id) == ("password-reset",
                                                                "Reset a password", None)
    assert not reset.needs_approval and not reset.audience.exists()
    assert Incident.objects.get(pk=incident.pk).sla_policy_id == "P2"  # ordered: keeps it


def test_a_deactivated_type_is_no_longer_offered_and_comes_back(org, catalog):
    owner = browser(org.owner)
    assert owner.post("/settings/catalog/vpn/active/", {"active": "0"}).status_code == 302
    assert browser(org.requester).get("/catalog/vpn/").status_code == 404
    owner.post("/settings/catalog/vpn/active/", {"active": "1"})
    assert browser(org.requester).get("/catalog/vpn/").status_code == 200


def test_the_instructions_preview_is_rendered_and_sanitised(org):
    response = browser(org.owner).post("/settings/catalog/preview/", {
        "instructions_en": "1. **Check** the caller\n2. <script>alert(1)</script>Reset"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<ol>" in html and "<strong>Check</strong>" in html and "<script" not in html


def test_add_a_field_at_the_end_and_the_portal_asks_it(org, catalog):
    owner = browser(org.owner)
    response = owner.post("/settings/catalog/software/fields/new/", field_post())
    assert response.status_code == 302
    assert response["Location"] == "/settings/catalog/software/"
    keys = [f.key for f in RequestType.objects.get(code="software").active_fields()]
    assert keys == ["software", "why", "printer"]
    page = browser(org.requester).get("/catalog/software/").content.decode()
    assert "Printer" in page and '<option value="canon">Canon</option>' in page
    edit = owner.get("/settings/catalog/software/").content.decode()
    assert "printer" in edit and "Delete" in edit


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"options": ""}, "options", "A choice field needs at least one option."),
    ({"options": "a | A\na | B"}, "options", "Each option needs its own value."),
    ({"key": "requester"}, "key", "This key is used by the form itself"),
    ({"key": "why"}, "key", "This form has a field with this key already."),
    ({"kind": "text", "regex": "[a-"}, "regex", "Not a valid regular expression"),
    ({"kind": "date", "min_date": "2026-05-01", "max_date": "2026-04-01"}, "max_date",
     "The latest date comes before the earliest."),
    ({"label_en": ""}, "label_en", "This field is required."),
])
def test_a_bad_field_is_refused_next_to_its_field_and_nothing_is_saved(org, catalog, values,
                                                                       field, message):
    response = browser(org.owner).post("/settings/catalog/software/fields/new/",
                                       field_post(**values))
    assert response.status_code == 422
    assert message in field_errors(response.content.decode(), field)
    assert catalog.software.fields.count() == 2


def test_fields_move_up_and_down(org, catalog):
    owner = browser(org.owner)
    why = catalog.software.fields.get(key="why")
    assert owner.post(f"/settings/catalog/software/fields/{why.pk}/up/").status_code == 302
    assert [f.key for f in RequestType.objects.get(code="software").active_fields()] == [
        "why", "software"]
    owner.post(f"/settings/catalog/software/fields/{why.pk}/up/")  # already first: no change
    owner.post(f"/settings/catalog/software/fields/{why.pk}/down/")
    assert [f.key for f in RequestType.objects.get(code="software").active_fields()] == [
        "software", "why"]
    page = browser(org.requester).get("/catalog/software/").content.decode()
    assert page.index('name="software"') < page.index('name="why"')


def test_an_answered_field_is_only_deactivated_and_old_requests_keep_the_answer(org, catalog):
    incident, _created = request_order(by=org.requester, request_type=catalog.software,
                                       answers={"software": "visio", "why": "Diagrams"})
    why = RequestField.objects.get(request_type=catalog.software, key="why")
    assert why.answered
    owner = browser(org.owner)
    response = owner.post(f"/settings/catalog/software/fields/{why.pk}/delete/",
                          headers={"Accept-Language": "en"})
    assert response.status_code == 302 and RequestField.objects.filter(pk=why.pk).exists()
    messages = owner.get("/settings/catalog/software/").content.decode()
    assert "it can only be deactivated" in messages
    owner.post(f"/settings/catalog/software/fields/{why.pk}/deactivate/")
    assert not RequestField.objects.get(pk=why.pk).is_active
    # No longer asked: the portal, the API and the service all leave it out.
    assert 'name="why"' not in browser(org.requester).get("/catalog/software/").content.decode()
    api = ApiClient(org.requester).get("/catalog/request-types/software").json()
    assert [f["key"] for f in api["fields"]] == ["software"]
    second, _created = request_order(by=org.requester, request_type=catalog.software,
                                     answers={"software": "project"})
    assert [a["key"] for a in second.service_request.answers] == ["software"]
    old = ServiceRequest.objects.get(incident=incident).answers
    assert old[1]["label_en"] == "Justification" and old[1]["value"] == "Diagrams"
    assert "Diagrams" in browser(org.requester).get(
        f"/incidents/{incident.number}/").content.decode()


def test_an_answered_fields_key_and_kind_cannot_change(org, catalog):
    request_order(by=org.requester, request_type=catalog.software,
                  answers={"software": "visio", "why": "Diagrams"})
    why = RequestField.objects.get(request_type=catalog.software, key="why")
    owner = browser(org.owner)
    page = owner.get(f"/settings/catalog/software/fields/{why.pk}/").content.decode()
    assert re.search(r'<input[^>]*name="key"[^>]*disabled', page)
    response = owner.post(f"/settings/catalog/software/fields/{why.pk}/", field_post(
        key="reason", kind="text", label_en="Why do you need it?", options=""))
    assert response.status_code == 302
    why.refresh_from_db()
    assert (why.key, why.kind, why.label_en) == ("why", "long_text", "Why do you need it?")
    with pytest.raises(InvalidInput) as error:
        editing.request_field_update(request_field=why, data={"key": "reason"})
    assert "key" in error.value.errors
    with pytest.raises(Conflict):
        editing.request_field_delete(request_field=why)


def test_a_field_nobody_answered_can_be_deleted(org, catalog):
    why = catalog.software.fields.get(key="why")
    response = browser(org.owner).post(f"/settings/catalog/software/fields/{why.pk}/delete/")
    assert response.status_code == 302
    assert not RequestField.objects.filter(pk=why.pk).exists()


def test_a_field_of_another_type_is_not_found(org, catalog):
    account = catalog.reset.fields.get()
    owner = browser(org.owner)
    assert owner.get(f"/settings/catalog/software/fields/{account.pk}/").status_code == 404
    assert owner.post(f"/settings/catalog/software/fields/{account.pk}/delete/"
                      ).status_code == 404
    assert owner.post(f"/settings/catalog/reset/fields/{account.pk}/explode/"
                      ).status_code == 404
