"""The desk's fast logging form: what the agent sees, what gets saved, and who may use it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opsdesk.accounts.models import User
from opsdesk.core.testing.factories import (
    ConfigurationItemFactory,
    LocationFactory,
    ServiceFactory,
    UserFactory,
    incident_factory,
)
from opsdesk.core.testing.matrix import incident_in
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Attachment, Incident, IncidentEvent
from opsdesk.incidents.selectors import incident_similar, similarity_words
from opsdesk.reference.models import Category, PriorityMatrixCell, RoutingRule

PNG = b"\x89PNG\r\n\x1a\n...."


def browser(user, language="en"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def report(org, **extra):
    """The fields of a minimal phone report for the requester."""
    return {"requester": org.requester.pk, "requester_query": "Requester (requester)",
            "source": "01", "nature": "01", "short_description": "VPN drops every ten minutes",
            "impact": "4", "urgency": "3", **extra}


def files_under(path):
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


# --- Logging --------------------------------------------------------------------------------

def test_desk_logs_a_phone_report_with_every_field(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    service, site = ServiceFactory(name_en="VPN"), LocationFactory(name_en="Tower B, 5F")
    ci = ConfigurationItemFactory(name="vpn-gw-01")
    category = Category.objects.get(path="NET.VPN")
    desk = browser(org.desk)
    r = desk.post("/work/log/", report(
        org, contact_name="Li Lei", contact_phone="138 0000 1111", source="05",
        description="Since this morning, on every laptop of the floor.", category=category.pk,
        service=service.pk, configuration_items=[ci.pk], location=site.pk,
        occurred_at="2026-03-02T08:30", impact="3", urgency="3", priority="1",
        priority_override_reason="The CFO is travelling today",
        attachments=[SimpleUploadedFile("vpn.png", PNG, content_type="image/png")]))
    assert r.status_code == 302, r.content.decode()[:3000]
    incident = Incident.objects.get()
    assert r["Location"] == f"/incidents/{incident.number}/"
    assert (incident.requester, incident.owner, incident.source_id) == (org.requester, org.desk,
                                                                        "05")
    assert incident.status == Status.LOGGED and incident.priority_id == 1
    page = desk.get(r["Location"]).content.decode()
    for seen in (f"{incident.number}</a> is logged.", "VPN drops every ten minutes", "Li Lei",
                 "138 0000 1111", "Tower B, 5F", "vpn-gw-01", "VPN / remote access",
                 "2026-03-02 08:30", "The CFO is travelling today", "vpn.png", "Walk-in"):
        assert seen in page, seen


def test_priority_override_without_reason_is_refused_and_nothing_is_saved(org):
    r = browser(org.desk).post("/work/log/", report(org, priority="1",
                                                    description="Text I typed"))
    assert r.status_code == 422
    page = r.content.decode()
    assert "Give a reason for overriding the priority" in page and "Text I typed" in page
    assert Incident.objects.count() == 0 and IncidentEvent.objects.count() == 0


def test_errors_keep_everything_typed_and_the_chosen_requester(org):
    ci = ConfigurationItemFactory(name="erp-db-02")
    org.requester.phone = "021-5555-0101"
    org.requester.save()
    r = browser(org.desk).post("/work/log/", report(
        org, short_description="", description="The long story I was told",
        contact_phone="139 1234 5678", configuration_items=[ci.pk], urgency="2"))
    assert r.status_code == 422
    page = r.content.decode()
    assert "This field is required." in page and 'class="field has-error"' in page
    assert "The long story I was told" in page and 'value="139 1234 5678"' in page
    assert f'<option value="{ci.pk}" selected>erp-db-02</option>' in page
    # The chosen requester is still chosen, with department and phone.
    assert f'name="requester" value="{org.requester.pk}"' in page
    assert "Finance" in page and "021-5555-0101" in page
    assert Incident.objects.count() == 0


def test_requester_is_required(org):
    data = report(org)
    del data["requester"], data["requester_query"]
    r = browser(org.desk).post("/work/log/", data)
    assert r.status_code == 422
    assert "Find the requester and choose them." in r.content.decode()
    assert Incident.objects.count() == 0


def test_without_javascript_a_typed_username_finds_the_requester(org):
    data = report(org, requester="", requester_query="colleague")
    assert browser(org.desk).post("/work/log/", data).status_code == 302
    assert Incident.objects.get().requester == org.colleague


def test_a_typed_name_matching_several_people_asks_to_choose(org):
    UserFactory(username="wang.wei", display_name="Wang Wei")
    UserFactory(username="wang.fang", display_name="Wang Fang")
    r = browser(org.desk).post("/work/log/", report(org, requester="", requester_query="Wang"))
    assert r.status_code == 422
    assert "Several people match “Wang”: choose one from the list." in r.content.decode()
    assert Incident.objects.count() == 0


def test_resolved_at_first_contact_in_one_step(org):
    desk = browser(org.desk)
    r = desk.post("/work/log/", report(org, resolution_code="05",
                                       resolution="Unlocked the account and reset the password."))
    assert r.status_code == 302, r.content.decode()[:3000]
    incident = Incident.objects.get()
    assert incident.status == Status.RESOLVED and incident.first_contact_resolution
    assert incident.owner == org.desk and incident.first_response_at is not None
    page = desk.get(r["Location"]).content.decode()
    assert "is logged and resolved at first contact" in page
    assert "Unlocked the account and reset the password." in page


def test_every_mistake_shows_at_once_and_nothing_is_saved(org, settings, tmp_path):
    """A resolution code without its text, and no short description: both are pointed out."""
    settings.MEDIA_ROOT = tmp_path
    r = browser(org.desk).post("/work/log/", report(
        org, short_description="", resolution_code="05", description="Kept after the error",
        attachments=[SimpleUploadedFile("shot.png", PNG, content_type="image/png")]))
    assert r.status_code == 422
    page = r.content.decode()
    assert "Describe the resolution." in page and "This field is required." in page
    assert "Kept after the error" in page and '<option value="05" selected>' in page
    assert Incident.objects.count() == 0 and IncidentEvent.objects.count() == 0
    assert Attachment.objects.count() == 0 and files_under(tmp_path) == []


def test_a_refused_file_leaves_nothing_behind(org, settings, tmp_path):
    """The second file is refused after the incident, its history and the first file were
    written: all of it is rolled back, and the first file is removed from the disk again."""
    settings.MEDIA_ROOT = tmp_path
    r = browser(org.desk).post("/work/log/", report(org, attachments=[
        SimpleUploadedFile("ok.png", PNG, content_type="image/png"),
        SimpleUploadedFile("run.exe", b"MZ....", content_type="application/x-msdownload")]))
    assert r.status_code == 422
    assert "are not accepted" in r.content.decode()
    assert Incident.objects.count() == 0 and files_under(tmp_path) == []


def test_assign_to_a_group_and_a_person_at_logging(org):
    net2 = org.groups["NET2"]
    r = browser(org.desk).post("/work/log/", report(org, assignment_group=net2.pk,
                                                    assignee=org.engineer.pk))
    assert r.status_code == 302
    incident = Incident.objects.get()
    assert (incident.status, incident.assignment_group, incident.assignee) == (
        Status.ASSIGNED, net2, org.engineer)
    assert not incident.first_contact_resolution


def test_left_unassigned_the_routing_rules_choose_the_group(org):
    category = Category.objects.get(path="NET.VPN")
    RoutingRule.objects.create(name_zh="VPN", name_en="VPN", category=category,
                               group=org.groups["NET2"])
    desk = browser(org.desk)
    r = desk.post("/work/log/", report(org, category=category.pk))
    incident = Incident.objects.get()
    assert incident.assignment_group == org.groups["NET2"]
    assert "is logged and assigned to Support group" in desk.get(r["Location"]).content.decode()


def test_resolving_at_first_contact_is_not_routed_away(org):
    category = Category.objects.get(path="NET.VPN")
    RoutingRule.objects.create(name_zh="VPN", name_en="VPN", category=category,
                               group=org.groups["NET2"])
    r = browser(org.desk).post("/work/log/", report(
        org, category=category.pk, resolution_code="05", resolution="Reset the token."))
    assert r.status_code == 302
    incident = Incident.objects.get()
    assert incident.assignment_group is None and incident.first_contact_resolution


def test_assignee_outside_the_group_is_refused(org):
    r = browser(org.desk).post("/work/log/", report(org, assignment_group=org.groups["NET2"].pk,
                                                    assignee=org.other_engineer.pk))
    assert r.status_code == 422
    assert "Select a valid choice" in r.content.decode()
    assert Incident.objects.count() == 0


def test_assign_and_resolve_together_is_refused(org):
    r = browser(org.desk).post("/work/log/", report(
        org, assignment_group=org.groups["NET2"].pk, resolution_code="05", resolution="Done"))
    assert r.status_code == 422
    assert "Resolve it now or assign it, not both" in r.content.decode()
    assert Incident.objects.count() == 0


def test_log_and_start_another_returns_an_empty_form_with_a_link(org):
    desk = browser(org.desk)
    r = desk.post("/work/log/", {**report(org), "another": "1"})
    assert r.status_code == 302 and r["Location"] == "/work/log/"
    number = Incident.objects.get().number
    page = desk.get("/work/log/").content.decode()
    assert f'<a href="/incidents/{number}/">{number}</a> is logged.' in page
    assert "VPN drops every ten minutes" not in page


def test_link_the_report_to_a_similar_open_incident(org):
    master = incident_factory(by=org.desk, requester=org.colleague,
                              short_description="VPN gateway down")
    desk = browser(org.desk)
    r = desk.post("/work/log/", report(org, parent=master.number))
    assert r.status_code == 302
    child = Incident.objects.exclude(pk=master.pk).get()
    assert child.parent == master
    # Both pages show the link: the report names its parent, the parent lists its reports.
    assert f'href="/incidents/{master.number}/"' in desk.get(r["Location"]).content.decode()
    page = desk.get(f"/incidents/{master.number}/").content.decode()
    assert "Linked reports" in page and f'href="/incidents/{child.number}/"' in page


def test_link_to_an_unknown_incident_is_refused(org):
    r = browser(org.desk).post("/work/log/", report(org, parent="INC209901010001"))
    assert r.status_code == 422
    assert "Incident INC209901010001 was not found." in r.content.decode()
    assert Incident.objects.count() == 0


def test_page_and_errors_stay_within_a_fixed_number_of_queries(org,
                                                                django_assert_max_num_queries):
    for n in range(5):
        ConfigurationItemFactory(name=f"ci-{n}")
        incident_factory(by=org.desk, requester=org.requester, short_description=f"VPN {n}")
    desk = browser(org.desk)
    with django_assert_max_num_queries(22):
        assert desk.get("/work/log/").status_code == 200
    # + the top bar's count of approvals waiting, + the suggestions' fallback to any word,
    # + on PostgreSQL the newest document id each incident ranking starts from (two rankings).
    with django_assert_max_num_queries(34):
        assert desk.post("/work/log/", report(org, urgency="", service="")).status_code == 422


# --- Who may use it --------------------------------------------------------------------------

DESK_PAGES = ["/work/log/", "/work/log/priority/?impact=1&urgency=1",
              "/work/log/similar/?short_description=vpn", "/work/log/requester/?requester=1"]


@pytest.mark.parametrize("role, allowed", [
    ("desk", True), ("manager", True), ("requester", False), ("engineer", False),
    ("owner", False), ("admin", False)])
def test_only_the_desk_and_managers_log_for_others(org, role, allowed):
    client = browser(getattr(org, role))
    for url in DESK_PAGES:
        assert client.get(url).status_code == (200 if allowed else 403), url
    assert client.post("/work/log/", report(org)).status_code == (302 if allowed else 403)
    assert Incident.objects.count() == (1 if allowed else 0)
    nav = client.get("/portal/").content.decode()
    assert ('href="/work/log/"' in nav) is allowed


@pytest.mark.parametrize("role, allowed", [
    ("desk", True), ("engineer", True), ("manager", True), ("owner", True),
    ("requester", False), ("colleague", False)])
def test_lookups_are_for_support_staff_only(org, role, allowed):
    client = browser(getattr(org, role))
    people = client.get("/work/lookup/people/?q=requester")
    members = client.get(f"/work/lookup/members/?group={org.groups['NET2'].pk}")
    assert (people.status_code, members.status_code) == ((200, 200) if allowed else (403, 403))
    if not allowed:
        assert b"requester@example.com" not in people.content
        assert b"engineer" not in members.content


def test_anonymous_visitors_are_sent_to_sign_in(client, org):
    for url in ["/work/log/", "/work/lookup/people/?q=req", "/work/lookup/members/?group=1"]:
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/")


# --- Live helpers ----------------------------------------------------------------------------

def test_people_lookup_finds_by_name_username_phone_email_and_department(
        org, django_assert_max_num_queries):
    wang = UserFactory(username="wangwei", display_name="Wang Wei", phone="13800138000",
                       email="wei.wang@corp.example", department=org.dept)
    UserFactory(username="gone", display_name="Wang Gone", is_active=False)
    desk = browser(org.desk)
    for typed in ["Wang Wei", "wangw", "13800138", "wei.wang@corp", "Finance wang", "财务 wang"]:
        with django_assert_max_num_queries(4):
            page = desk.get("/work/lookup/people/", {"q": typed}).content.decode()
        assert f'data-person-id="{wang.pk}"' in page, typed
        assert "Wang Gone" not in page and "Finance · 13800138000" in page
    assert "Nobody matches “zzz”." in desk.get("/work/lookup/people/?q=zzz").content.decode()
    assert desk.get("/work/lookup/people/?q=w").content.decode().strip() == ""


def test_people_lookup_lists_at_most_eight(org, django_assert_max_num_queries):
    for n in range(12):
        UserFactory(username=f"zhang{n:02d}", display_name=f"Zhang {n:02d}")
    desk = browser(org.desk)
    with django_assert_max_num_queries(4):
        page = desk.get("/work/lookup/people/?q=zhang").content.decode()
    assert page.count("data-person-id=") == 8 and "8 people found." in page


def test_members_lookup_gives_options_of_that_group_only(org, django_assert_max_num_queries):
    net2 = org.groups["NET2"]
    leaver = UserFactory(username="leaver", display_name="Leaver", is_active=False)
    net2.members.add(leaver, UserFactory(username="second", display_name="Second Engineer"))
    desk = browser(org.desk)
    with django_assert_max_num_queries(4):
        page = desk.get(f"/work/lookup/members/?group={net2.pk}").content.decode()
    options = [line.strip() for line in page.strip().splitlines() if line.strip()]
    assert options[0] == '<option value="">Anyone in the group</option>'
    assert [o.split(">")[1].split("<")[0] for o in options[1:]] == [
        "Engineer (engineer)", "Second Engineer (second)"]
    assert "Leaver" not in page and "other_engineer" not in page
    for bad in ["", "abc", "999999", "9" * 40]:
        page = browser(org.desk).get(f"/work/lookup/members/?group={bad}").content.decode()
        assert page.strip() == '<option value="">Anyone in the group</option>'


def test_priority_follows_the_matrix_as_it_is_edited(org):
    desk = browser(org.desk)
    assert '<span class="prio p1"' in desk.get("/work/log/priority/?impact=1&urgency=1").content.decode()
    assert '<span class="prio p3"' in desk.get("/work/log/priority/?impact=4&urgency=3").content.decode()
    cell = PriorityMatrixCell.objects.get(impact_id=4, urgency_id=3)
    cell.priority_id = 2
    cell.save()
    assert '<span class="prio p2"' in desk.get("/work/log/priority/?impact=4&urgency=3").content.decode()
    assert "Choose the impact and the urgency" in desk.get(
        "/work/log/priority/?impact=9&urgency=x").content.decode()


def test_requester_card_shows_department_phone_and_open_incidents(
        org, django_assert_max_num_queries):
    org.requester.phone = "021-5555-0101"
    org.requester.save()
    open_one = incident_factory(by=org.desk, requester=org.requester,
                                short_description="Printer jams")
    closed = incident_in(Status.CLOSED, org, short_description="Old closed thing")
    for n in range(3):
        incident_factory(by=org.desk, requester=org.requester, short_description=f"Open {n}")
    incident_factory(by=org.desk, requester=org.colleague, short_description="Not theirs")
    desk = browser(org.desk)
    url = f"/work/log/requester/?requester={org.requester.pk}"
    desk.get(url)  # code tables are read into memory once; the guard counts what each call costs
    with django_assert_max_num_queries(6):
        page = desk.get(url).content.decode()
    assert "Finance" in page and "021-5555-0101" in page and "requester@example.com" in page
    assert open_one.number in page and "Printer jams" in page
    assert closed.number not in page and "Not theirs" not in page


def test_similar_hint_shows_open_incidents_sharing_service_ci_category_or_words(
        org, django_assert_max_num_queries):
    service, ci = ServiceFactory(), ConfigurationItemFactory(name="core-switch-1")
    category = Category.objects.get(path="NET.LAN")
    by_service = incident_factory(by=org.desk, service=service, short_description="Slow mail")
    by_ci = incident_factory(by=org.desk, configuration_items=[ci], short_description="Link flaps")
    by_category = incident_factory(by=org.desk, category=category, short_description="No Wi-Fi")
    by_words = incident_factory(by=org.desk, short_description="Printer on 3F offline")
    resolved = incident_in(Status.RESOLVED, org, service=service,
                           short_description="Printer fixed")
    unrelated = incident_factory(by=org.desk, short_description="Salary question")
    desk = browser(org.desk)
    query = {"short_description": "printer offline", "service": service.pk,
             "category": category.pk, "configuration_items": [ci.pk]}
    desk.get("/work/log/similar/", query)  # code tables are read into memory once
    with django_assert_max_num_queries(6):
        page = desk.get("/work/log/similar/", query).content.decode()
    for row in (by_service, by_ci, by_category, by_words):
        assert row.number in page
    assert resolved.number not in page and unrelated.number not in page
    assert 'type="radio" name="parent" value=""' in page
    assert desk.get("/work/log/similar/?short_description=").content.decode().strip() == ""


def test_similar_hint_lists_at_most_five_best_first_and_keeps_the_chosen_one(org):
    service = ServiceFactory()
    rows = [incident_factory(by=org.desk, service=service, short_description=f"Mail slow {n}")
            for n in range(7)]
    best = incident_factory(by=org.desk, short_description="Mail slow outlook")
    desk = browser(org.desk)
    page = desk.get("/work/log/similar/", {"short_description": "outlook mail slow",
                                           "service": service.pk,
                                           "parent": rows[0].number}).content.decode()
    shown = [r.number for r in [*rows, best] if r.number in page]
    assert len(shown) == 6 and rows[0].number in shown  # five found, plus the one chosen
    assert f'value="{rows[0].number}" checked' in page


def test_similar_incidents_are_only_those_the_person_may_see(org):
    theirs = incident_in(Status.ASSIGNED, org, short_description="Disk full on file server")
    incident_factory(by=org.desk, requester=org.outsider,
                     short_description="Disk full on HR share")
    found = incident_similar(user=org.engineer, text="disk full")
    assert [row.number for row in found] == [theirs.number]
    assert incident_similar(user=org.desk, text="", service_id=None) == []


def test_similarity_words_ignore_filler_and_pair_chinese_characters():
    assert similarity_words("The printer does not print") == ["printer", "print"]
    assert similarity_words("打印机无法打印") == ["打印", "印机", "机无", "法打"]


def test_inactive_requester_cannot_be_chosen(org):
    gone = UserFactory(username="gone", is_active=False)
    r = browser(org.desk).post("/work/log/", report(org, requester=gone.pk,
                                                    requester_query="gone"))
    assert r.status_code == 422
    assert Incident.objects.count() == 0
    assert User.objects.filter(pk=gone.pk, is_active=False).exists()


def test_empty_choices_say_what_empty_means(org):
    """No bare "---------" placeholders: each empty choice says what leaving it means."""
    desk = browser(org.desk)
    page = desk.get("/work/log/").content.decode()
    assert "---------" not in page
    assert "Not set" in page and "Not resolving now" in page and "Not now" in page
    incident = incident_factory(by=org.desk, requester=org.requester)
    assert "---------" not in desk.get(f"/incidents/{incident.number}/").content.decode()
