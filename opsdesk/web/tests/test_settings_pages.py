"""The process owner's settings pages: who may use them, what they show, edits and bad input."""

import re

import pytest
from django.test import Client

from opsdesk.accounts.models import SupportGroup
from opsdesk.core.testing.factories import LocationFactory, ServiceFactory, incident_factory
from opsdesk.core.testing.matrix import ALLOW, DENY, check_matrix_complete, matrix_cases
from opsdesk.incidents.refs import resolve_refs
from opsdesk.reference.models import Category, PriorityMatrixCell, PriorityMatrixChange, RoutingRule

ROLES = ("requester", "desk", "engineer", "manager", "owner", "admin")
PAGES = ("/settings/", "/settings/matrix/", "/settings/routing/", "/settings/routing/new/",
         "/settings/groups/", "/settings/groups/new/", "/settings/categories/")
ONLY_OWNER_AND_ADMIN = {"requester": DENY, "desk": DENY, "engineer": DENY, "manager": DENY,
                        "owner": ALLOW, "admin": ALLOW}
ACCESS = {page: dict(ONLY_OWNER_AND_ADMIN) for page in PAGES}
check_matrix_complete(ACCESS, actions=PAGES, roles=ROLES)


def browser(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


@pytest.mark.parametrize("page, role, expected", matrix_cases(ACCESS))
def test_who_may_open_each_settings_page(org, page, role, expected):
    response = browser(getattr(org, role)).get(page)
    assert response.status_code == (200 if expected == ALLOW else 403)


@pytest.mark.parametrize("role", ROLES)
def test_settings_link_only_for_owners_and_admins(org, role):
    page = browser(getattr(org, role)).get("/portal/").content.decode()
    assert ('href="/settings/"' in page) == (ONLY_OWNER_AND_ADMIN[role] == ALLOW)


def test_denied_people_cannot_post_either(org):
    manager = browser(org.manager)
    assert manager.post("/settings/matrix/", {"cell_4_4": "1"}).status_code == 403
    assert manager.post("/settings/groups/new/", {"code": "X"}).status_code == 403
    group = org.groups["NET2"]
    assert manager.post(f"/settings/groups/{group.pk}/active/", {"active": "0"}).status_code == 403
    group.refresh_from_db()
    assert group.is_active and PriorityMatrixCell.objects.get(impact=4, urgency=4).priority_id == 4


def test_settings_index_links_the_admin_for_the_rest(org):
    page = browser(org.owner).get("/settings/").content.decode()
    for href in ("/settings/matrix/", "/settings/routing/", "/settings/groups/",
                 "/settings/categories/", "/admin/"):
        assert f'href="{href}"' in page


# --- priority matrix ---------------------------------------------------------------------------

def matrix_post(**changes) -> dict:
    data = {f"cell_{c.impact_id}_{c.urgency_id}": str(c.priority_id)
            for c in PriorityMatrixCell.objects.all()}
    data.update({k: str(v) for k, v in changes.items()})
    return data


def test_matrix_shows_every_cell_as_a_choice_of_priority(org, django_assert_max_num_queries):
    owner = browser(org.owner)
    with django_assert_max_num_queries(10):
        page = owner.get("/settings/matrix/").content.decode()
    assert page.count("<select") == 16
    cell = re.search(r'<select name="cell_1_1".*?</select>', page, re.S).group(0)
    assert re.search(r'<option value="1" selected>', cell)


def test_saving_the_matrix_applies_to_the_next_incident_and_keeps_history(org):
    four_by_four = resolve_refs({"impact": 4, "urgency": 4})
    assert incident_factory(by=org.desk, requester=org.requester,
                            **four_by_four).priority_id == 4
    owner = browser(org.owner)
    response = owner.post("/settings/matrix/", matrix_post(cell_4_4=2, cell_1_1=1))
    assert response.status_code == 302
    assert incident_factory(by=org.desk, requester=org.requester,
                            **four_by_four).priority_id == 2
    change = PriorityMatrixChange.objects.get()
    assert (change.impact_id, change.urgency_id, change.old_priority_id,
            change.new_priority_id, change.changed_by) == (4, 4, 4, 2, org.owner)
    page = owner.get("/settings/matrix/").content.decode()
    assert "1 cell changed" in page and "P4 → P2" in page and org.owner.label in page


def test_bad_matrix_input_changes_nothing(org):
    response = browser(org.admin).post("/settings/matrix/", matrix_post(cell_4_4=2, cell_3_3=9))
    assert response.status_code == 422
    page = response.content.decode()
    error = re.search(r'<td class="has-error">.*?</td>', page, re.S).group(0)
    assert 'name="cell_3_3"' in error and "Select a valid choice" in error
    assert PriorityMatrixCell.objects.get(impact=4, urgency=4).priority_id == 4
    assert not PriorityMatrixChange.objects.exists()


# --- routing rules -----------------------------------------------------------------------------

def test_add_a_routing_rule_and_see_it_listed(org, django_assert_max_num_queries):
    service = ServiceFactory(code="MAIL", name_en="Email")
    owner = browser(org.owner)
    response = owner.post("/settings/routing/new/", {
        "name_zh": "邮件", "name_en": "Mail to apps", "service": service.pk,
        "group": org.groups["APP2"].pk, "order": "100", "is_active": "on"})
    assert response.status_code == 302
    RoutingRule.objects.create(name_zh="地点", name_en="Site rule", group=org.groups["NET2"],
                               location=LocationFactory(code="HQ"))
    with django_assert_max_num_queries(6):
        page = owner.get("/settings/routing/").content.decode()
    assert "Mail to apps" in page and "Email" in page and "Site rule" in page
    assert incident_factory(by=org.requester, service=service).assignment_group.code == "APP2"


def test_a_rule_needs_a_criterion_and_a_group(org):
    response = browser(org.owner).post("/settings/routing/new/", {
        "name_zh": "", "name_en": "", "order": "100", "is_active": "on"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Choose at least a category, a service or a location." in page
    assert "Choose the group that gets the incidents." in page
    assert "Give the rule a name in at least one language." in page
    assert not RoutingRule.objects.exists()


def test_edit_and_deactivate_a_rule(org):
    service = ServiceFactory(code="MAIL")
    rule = RoutingRule.objects.create(name_zh="邮件", name_en="Mail", service=service,
                                      group=org.groups["APP2"])
    owner = browser(org.owner)
    page = owner.get(f"/settings/routing/{rule.pk}/").content.decode()
    assert 'value="Mail"' in page
    response = owner.post(f"/settings/routing/{rule.pk}/", {
        "name_zh": "邮件", "name_en": "Mail", "service": service.pk,
        "group": org.groups["NET2"].pk, "order": "100"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.group_id, rule.is_active) == (org.groups["NET2"].pk, False)
    assert incident_factory(by=org.requester, service=service).assignment_group_id is None


# --- support groups ----------------------------------------------------------------------------

def group_post(**values) -> dict:
    data = {"code": "DB3", "name_zh": "数据库组", "name_en": "Databases", "line": "3",
            "email": "", "escalation_group": "", "manager": "", "members": []}
    data.update(values)
    return data


def test_group_list_shows_lines_and_member_counts(org, django_assert_max_num_queries):
    owner = browser(org.owner)
    with django_assert_max_num_queries(6):
        page = owner.get("/settings/groups/").content.decode()
    row = re.search(r"<tr>\s*<td[^>]*><a[^>]*>NET2</a>.*?</tr>", page, re.S).group(0)
    assert "2nd line" in row and ">1<" in row and "NET3" in row


def test_create_a_group_with_members(org):
    response = browser(org.admin).post("/settings/groups/new/", group_post(
        manager=org.expert.pk, members=[org.expert.pk, org.engineer.pk]))
    assert response.status_code == 302
    group = SupportGroup.objects.get(code="DB3")
    assert set(group.members.all()) == {org.expert, org.engineer}
    assert group.manager == org.expert and group.line == 3


def test_edit_a_group_members_and_escalation(org):
    net2 = org.groups["NET2"]
    owner = browser(org.owner)
    page = owner.get(f"/settings/groups/{net2.pk}/").content.decode()
    assert 'name="code"' in page and "disabled" in page
    response = owner.post(f"/settings/groups/{net2.pk}/", group_post(
        code="CHANGED", name_en="Network", line="2", escalation_group=org.groups["NET3"].pk,
        members=[org.engineer.pk, org.other_engineer.pk]))
    assert response.status_code == 302
    net2.refresh_from_db()
    assert net2.code == "NET2" and net2.name_en == "Network"
    assert set(net2.members.all()) == {org.engineer, org.other_engineer}


@pytest.mark.parametrize("values, field, message", [
    ({"code": "NET2"}, "code", "A group with this code exists already."),
    ({"code": "bad code!"}, "code", "Use 1 to 32 letters"),
    ({"name_en": ""}, "name_en", "Enter the English name."),
    ({"line": "2", "escalation_group": "APP2"}, "escalation_group",
     "Escalation goes to a higher line"),
])
def test_bad_group_input_is_told_next_to_the_field(org, values, field, message):
    if values.get("escalation_group"):
        values["escalation_group"] = org.groups[values["escalation_group"]].pk
    response = browser(org.owner).post("/settings/groups/new/",
                                       group_post(members=[org.engineer.pk], **values))
    assert response.status_code == 422
    page = response.content.decode()
    assert re.search(rf'id="id_{field}_error"[^>]*>.*?{re.escape(message)}', page, re.S)
    assert not SupportGroup.objects.filter(name_zh="数据库组").exists()


def test_a_refused_edit_keeps_the_members_as_they_were(org):
    net2 = org.groups["NET2"]
    response = browser(org.owner).post(f"/settings/groups/{net2.pk}/", group_post(
        line="2", name_zh="", members=[org.other_engineer.pk]))
    assert response.status_code == 422
    assert list(net2.members.all()) == [org.engineer]


def test_deactivate_and_activate_a_group(org):
    app2 = org.groups["APP2"]
    owner = browser(org.owner)
    owner.post(f"/settings/groups/{app2.pk}/active/", {"active": "0"})
    app2.refresh_from_db()
    assert not app2.is_active and SupportGroup.objects.filter(pk=app2.pk).exists()
    page = owner.get("/settings/groups/", follow=True).content.decode()
    assert "Activate" in page
    owner.post(f"/settings/groups/{app2.pk}/active/", {"active": "1"})
    app2.refresh_from_db()
    assert app2.is_active


# --- categories --------------------------------------------------------------------------------

@pytest.fixture
def hardware():
    root = Category.objects.create(code="HWX", name_zh="测试硬件", name_en="Test kit")
    Category.objects.create(code="PRN", parent=root, name_zh="测试打印机", name_en="Label maker")
    return root


def test_category_tree_is_shown_in_order(org, hardware, django_assert_max_num_queries):
    owner = browser(org.owner)
    with django_assert_max_num_queries(8):
        page = owner.get("/settings/categories/").content.decode()
    assert page.index("Test kit") < page.index("Label maker")
    assert f'href="?parent={hardware.pk}#add"' in page


def test_add_a_child_category(org, hardware):
    owner = browser(org.owner)
    form = owner.get("/settings/categories/", {"parent": hardware.pk}).content.decode()
    assert re.search(rf'<option value="{hardware.pk}" selected>', form)
    response = owner.post("/settings/categories/", {
        "parent": hardware.pk, "code": "SCN", "name_zh": "扫描仪", "name_en": "Scanner",
        "sort_order": "0"})
    assert response.status_code == 302
    assert Category.objects.get(path="HWX.SCN").name_en == "Scanner"


@pytest.mark.parametrize("values, field, message", [
    ({"code": "PRN"}, "code", "This parent already has a category with this code."),
    ({"code": "a.b"}, "code", "Use 1 to 32 letters"),
    ({"name_zh": ""}, "name_zh", "Enter the Chinese name."),
])
def test_bad_category_input_is_told_next_to_the_field(org, hardware, values, field, message):
    data = {"parent": hardware.pk, "code": "NEW", "name_zh": "新", "name_en": "New",
            "sort_order": "0", **values}
    response = browser(org.owner).post("/settings/categories/", data)
    assert response.status_code == 422
    assert re.search(rf'id="id_{field}_error"[^>]*>.*?{re.escape(message)}',
                     response.content.decode(), re.S)
    assert Category.objects.filter(parent=hardware).count() == 1


def test_rename_a_category_in_both_languages(org, hardware):
    owner = browser(org.owner)
    response = owner.post(f"/settings/categories/{hardware.pk}/", {
        "name_zh": "硬件设备", "name_en": "Hardware devices", "sort_order": "3"})
    assert response.status_code == 302
    hardware.refresh_from_db()
    assert (hardware.name_zh, hardware.name_en, hardware.sort_order) == (
        "硬件设备", "Hardware devices", 3)
    response = owner.post(f"/settings/categories/{hardware.pk}/", {
        "name_zh": "", "name_en": "Only English", "sort_order": "3"})
    assert response.status_code == 422 and "Enter the Chinese name." in response.content.decode()
    hardware.refresh_from_db()
    assert hardware.name_en == "Hardware devices"


def test_deactivate_a_category_with_its_children(org, hardware):
    owner = browser(org.owner)
    owner.post(f"/settings/categories/{hardware.pk}/active/", {"active": "0"})
    assert not Category.objects.filter(path__startswith="HWX", is_active=True).exists()
    printer = Category.objects.get(path="HWX.PRN")
    page = owner.post(f"/settings/categories/{printer.pk}/active/", {"active": "1"},
                      follow=True).content.decode()
    assert "Activate the parent category first." in page
    owner.post(f"/settings/categories/{hardware.pk}/active/", {"active": "1"})
    assert Category.objects.get(path="HWX").is_active
    report_form = browser(org.requester).get("/portal/report/").content.decode()
    assert "Test kit" in report_form and "Label maker" not in report_form
