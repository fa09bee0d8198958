"""The workspace queues as an agent uses them: filters, sorting, saved views, bulk work."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Action, Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_transition
from opsdesk.reference.models import Impact, ResolutionCode, Urgency
from opsdesk.web.models import SavedView


def browser(user, language="en"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def log(org, name, *, p=None, group=None, assignee=None, **values):
    """An incident named `name`; p=1/2 sets impact and urgency so the matrix gives that priority."""
    if p:
        values.update(impact=Impact.objects.get(pk=p), urgency=Urgency.objects.get(pk=p))
    incident = incident_factory(by=org.desk, requester=org.requester, short_description=name,
                                **values)
    if group:
        incident = incident_transition(incident=incident, action=Action.ASSIGN, by=org.desk,
                                       assignment_group=org.groups[group], assignee=assignee)
    return incident


def listed(page: str) -> list[str]:
    """Short descriptions of the rows of the queue table, top to bottom."""
    return re.findall(r'<td data-label="Short description" class="desc">([^<]*)</td>', page)


@pytest.fixture
def queue_data(org):
    made = {
        "vpn": log(org, "VPN down", p=1, group="NET2"),
        "mail": log(org, "Mail slow", p=1, group="APP2"),
        "printer": log(org, "Printer jam", p=2),
        "laptop": log(org, "Laptop broken", group="NET2", assignee=org.engineer),
    }
    back = made["printer"]
    back = incident_transition(incident=back, action=Action.RESOLVE, by=org.desk,
                               resolution="Cleared", resolution_code=ResolutionCode.objects.first())
    made["printer"] = incident_transition(incident=back, action=Action.REJECT, by=org.requester,
                                          reason="Jams again")
    return made


# --- Filters: the links of the manager overview ---------------------------------------------------

def test_manager_overview_links_filter_the_queues(org, queue_data):
    manager = browser(org.manager)
    assert listed(manager.get("/work/open/", {"priority": 1, "group": "NET2"}).content.decode()) \
        == ["VPN down"]
    assert listed(manager.get("/work/open/?reopened=1").content.decode()) == ["Printer jam"]
    assert listed(manager.get("/work/unassigned/?priority=2").content.decode()) == ["Printer jam"]
    assert listed(manager.get("/work/open/?stale_hours=24").content.decode()) == []
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        # A day later the idle session has ended (the session policy): sign in again.
        stale = listed(browser(org.manager).get("/work/open/?stale_hours=24").content.decode())
    assert sorted(stale) == ["Laptop broken", "Mail slow", "Printer jam", "VPN down"]


def test_every_filter_of_the_api_works_on_a_queue(org, queue_data):
    desk = browser(org.desk)
    assert listed(desk.get("/work/open/?assignee=engineer").content.decode()) == ["Laptop broken"]
    assert listed(desk.get("/work/open/?assignee=none").content.decode()) == ["Printer jam"]
    assert listed(desk.get("/work/open/?status=in_progress").content.decode()) == ["Printer jam"]
    assert listed(desk.get("/work/open/?q=mail").content.decode()) == ["Mail slow"]
    assert listed(desk.get("/work/open/?source=03&group=APP2").content.decode()) == ["Mail slow"]
    today = timezone.localdate().isoformat()
    assert len(listed(desk.get(f"/work/open/?created_after={today}").content.decode())) == 4
    assert listed(desk.get(f"/work/open/?created_before={today}").content.decode()) == []
    # A filter outside the queue (closed incidents in "All open") lists nothing, without error.
    r = desk.get("/work/open/?status=closed")
    assert r.status_code == 200 and listed(r.content.decode()) == []


def test_engineer_filters_their_group_queue(org, queue_data):
    engineer = browser(org.engineer)
    assert sorted(listed(engineer.get("/work/group/").content.decode())) == [
        "Laptop broken", "VPN down"]
    assert listed(engineer.get("/work/group/?assignee=me").content.decode()) == ["Laptop broken"]
    assert listed(engineer.get("/work/group/?group=APP2").content.decode()) == []  # not theirs


@pytest.mark.parametrize("query, param", [
    ("priority=high", "priority"), ("group=NOPE", "group"), ("created_after=yesterday",
    "created_after"), ("stale_hours=soon", "stale_hours"), ("assignee=ghost", "assignee"),
    ("status=sleeping", "status"), ("reopened=perhaps", "reopened"),
])
def test_bad_filter_values_show_a_message_not_an_error_page(org, queue_data, query, param):
    r = browser(org.manager).get(f"/work/open/?{query}")
    assert r.status_code == 422
    page = r.content.decode()
    assert "These filters cannot be used:" in page and f"<code>{param}</code>" in page
    assert listed(page) == [] and "Correct the filters above" in page
    assert 'href="/work/open/"' in page  # the queue tabs still work


def test_filters_keep_their_values_in_the_form(org, queue_data):
    page = browser(org.desk).get("/work/open/?priority=1&group=NET2&reopened=1").content.decode()
    assert '<option value="1" selected>' in page and '<option value="NET2" selected>' in page
    assert 'name="reopened" value="1" checked' in page
    assert "Clear filters" in page


# --- Sorting and columns --------------------------------------------------------------------------

def test_column_headers_sort_both_ways_and_keep_the_filters(org, queue_data):
    desk = browser(org.desk)
    page = desk.get("/work/open/?group=NET2").content.decode()
    assert 'aria-sort="descending"><a href="?group=NET2&amp;sort=registered_at">Number' in page
    assert '<a href="?group=NET2&amp;sort=priority">Priority' in page
    assert listed(page) == ["Laptop broken", "VPN down"]
    by_priority = desk.get("/work/open/?group=NET2&sort=priority").content.decode()
    assert listed(by_priority) == ["VPN down", "Laptop broken"]
    assert 'aria-sort="ascending"><a href="?group=NET2&amp;sort=-priority">Priority' in by_priority
    oldest = desk.get("/work/open/?sort=registered_at").content.decode()
    assert listed(oldest)[0] == "VPN down"
    by_status = listed(desk.get("/work/open/?sort=-status").content.decode())
    assert by_status[0] == "Printer jam"  # in progress (30) before assigned (20)
    assert listed(desk.get("/work/open/?sort=colour").content.decode())[0] == "Laptop broken"


def test_rows_show_every_column_with_exact_times_on_hover(org, queue_data):
    page = browser(org.desk).get("/work/open/").content.decode()
    for header in ("Number", "Priority", "Short description", "Status", "Requester", "Group",
                   "Assignee", "Age", "Last update"):
        assert f">{header}<" in page
    laptop = queue_data["laptop"]
    local = timezone.localtime(laptop.updated_at)
    assert f'title="{local:%Y-%m-%d %H:%M:%S} CST"' in page  # Asia/Shanghai, the active zone
    assert "minutes ago" in page
    assert f'value="{laptop.number}" form="bulk"' in page


def test_live_refresh_asks_for_the_same_filters_and_sort(org, queue_data):
    page = browser(org.desk).get("/work/open/?priority=1&sort=priority").content.decode()
    assert 'hx-get="/work/open/?priority=1&amp;sort=priority" hx-trigger="every 30s"' in page
    assert 'hx-select-oob="#queue-tabs"' in page


# --- Saved views ----------------------------------------------------------------------------------

def test_save_see_and_delete_a_view(org, queue_data):
    manager = browser(org.manager)
    r = manager.post("/work/open/views/", {"name": " P1  NET2 ",
                                           "query": "group=NET2&priority=1&cursor=abc"})
    view = SavedView.objects.get()
    assert (view.name, view.queue, view.query) == ("P1 NET2", "open", "priority=1&group=NET2")
    assert r["Location"] == "/work/open/?priority=1&group=NET2"
    page = manager.get(r["Location"]).content.decode()
    assert re.search(r'aria-current="page"\s*>P1 NET2\s*<span class="badge">1</span>', page)
    assert listed(page) == ["VPN down"]
    other_page = manager.get("/work/open/").content.decode()
    assert "P1 NET2" in other_page and not re.search(r'aria-current="page"\s*>P1 NET2', other_page)
    r = manager.post(f"/work/views/{view.pk}/delete/", {"next": "/work/open/"})
    assert r["Location"] == "/work/open/" and not SavedView.objects.exists()


def test_view_names_are_unique_per_person_and_bad_views_are_not_saved(org, queue_data):
    manager = browser(org.manager)
    manager.post("/work/open/views/", {"name": "Mine", "query": "priority=1"})
    r = manager.post("/work/open/views/", {"name": "Mine", "query": "priority=2"}, follow=True)
    assert "You already have a view named “Mine”." in r.content.decode()
    browser(org.desk).post("/work/open/views/", {"name": "Mine", "query": "priority=2"})
    assert SavedView.objects.filter(name="Mine").count() == 2
    r = manager.post("/work/open/views/", {"name": "Broken", "query": "group=NOPE"}, follow=True)
    assert "Unknown group: NOPE." in r.content.decode()
    assert not SavedView.objects.filter(name="Broken").exists()


def test_a_view_shared_with_a_group_shows_for_its_members_only(org, queue_data):
    browser(org.engineer).post("/work/group/views/", {
        "name": "Mine to do", "query": "assignee=me", "group": org.groups["NET2"].pk})
    view = SavedView.objects.get()
    assert view.group == org.groups["NET2"]
    colleague = org.people["expert"]
    org.groups["NET2"].members.add(colleague)
    page = browser(colleague).get("/work/group/").content.decode()
    assert "Mine to do" in page and "Shared by Engineer" in page
    assert f"/work/views/{view.pk}/delete/" not in page  # only its owner deletes it
    assert browser(colleague).post(f"/work/views/{view.pk}/delete/").status_code == 404
    assert "Mine to do" not in browser(org.other_engineer).get("/work/group/").content.decode()
    r = browser(org.engineer).post("/work/group/views/", {
        "name": "Theirs", "query": "", "group": org.groups["APP2"].pk}, follow=True)
    assert "Share a view only with a group you belong to." in r.content.decode()


def test_a_view_whose_filter_no_longer_resolves_shows_no_count(org, queue_data):
    SavedView.objects.create(owner=org.manager, name="Gone", queue="open", query="group=GONE")
    page = browser(org.manager).get("/work/open/").content.decode()
    assert re.search(r'>Gone\s*<span class="badge">\?</span>', page)


# --- Bulk work ------------------------------------------------------------------------------------

def test_bulk_assign_reports_each_success_and_refusal(org, queue_data):
    closed = log(org, "Closed one")
    closed = incident_transition(incident=closed, action=Action.CANCEL, by=org.desk,
                                 reason="Logged twice")
    printer, vpn = queue_data["printer"], queue_data["vpn"]
    desk = browser(org.desk)
    r = desk.post("/work/open/bulk/", {
        "bulk": "assign", "numbers": [printer.number, closed.number, vpn.number],
        "assignment_group": "NET3", "assignee": "expert", "next": "/work/open/?priority=1"})
    assert r["Location"] == "/work/open/?priority=1"
    page = desk.get(r["Location"]).content.decode()
    assert f"2 incidents changed: {printer.number}, {vpn.number}." in page
    assert f"{closed.number} was not changed: An incident that is cancelled" in page
    assert Incident.objects.get(pk=printer.pk).assignee == org.expert
    assert Incident.objects.get(pk=closed.pk).status == Status.CANCELLED


def test_engineer_bulk_assign_is_checked_per_record(org, queue_data):
    engineer = browser(org.engineer)
    r = engineer.post("/work/group/bulk/", {
        "bulk": "assign", "numbers": [queue_data["vpn"].number, queue_data["mail"].number],
        "assignment_group": "NET3"}, follow=True)
    page = r.content.decode()
    assert f"1 incidents changed: {queue_data['vpn'].number}." in page
    assert f"{queue_data['mail'].number} was not changed: Not found." in page
    assert Incident.objects.get(pk=queue_data["mail"].pk).assignment_group == org.groups["APP2"]


def test_bulk_update_with_priority_override_needs_a_reason(org, queue_data):
    desk = browser(org.desk)
    numbers = [queue_data["laptop"].number, queue_data["printer"].number]
    page = desk.post("/work/open/bulk/", {"bulk": "update", "numbers": numbers,
                                          "priority": "1"}, follow=True).content.decode()
    assert page.count("was not changed: Give a reason for overriding the priority") == 2
    page = desk.post("/work/open/bulk/", {"bulk": "update", "numbers": numbers, "priority": "1",
                                          "priority_override_reason": "Board meeting",
                                          "category": "HW.PC", "impact": ""},
                     follow=True).content.decode()
    assert "2 incidents changed" in page
    for incident in Incident.objects.filter(number__in=numbers):
        assert incident.priority_id == 1 and incident.category.path == "HW.PC"


def test_bulk_without_selection_or_choice_says_what_is_missing(org, queue_data):
    desk = browser(org.desk)
    page = desk.post("/work/open/bulk/", {"bulk": "assign", "assignment_group": "NET2"},
                     follow=True).content.decode()
    assert "Select at least one incident first." in page
    page = desk.post("/work/open/bulk/", {"bulk": "assign", "numbers": [
        queue_data["printer"].number]}, follow=True).content.decode()
    assert "Choose the group to assign to." in page
    page = desk.post("/work/open/bulk/", {"bulk": "update", "numbers": [
        queue_data["printer"].number]}, follow=True).content.decode()
    assert "Choose at least one field to change." in page
    r = desk.post("/work/open/bulk/", {"bulk": "assign", "assignment_group": "NOPE",
                                       "numbers": [queue_data["printer"].number],
                                       "next": "https://evil.example/"})
    assert r["Location"] == "/work/open/"
    assert desk.get("/work/open/bulk/").status_code == 405


# --- Queries --------------------------------------------------------------------------------------

def _queries(django_assert_max_num_queries, client, url, limit):
    client.get(url)  # code tables, groups and services stay in memory after the first request
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_queue_queries_do_not_grow_with_rows_or_filters(org, django_assert_max_num_queries):
    manager = browser(org.manager)
    SavedView.objects.create(owner=org.manager, name="P1", queue="open", query="priority=1")
    SavedView.objects.create(owner=org.manager, name="Mine", queue="open", query="assignee=me")
    SavedView.objects.create(owner=org.manager, name="Stale", queue="unassigned",
                             query="stale_hours=24&reopened=1")
    url = "/work/open/?priority=3&group=NET2&assignee=engineer&reopened=0&sort=-updated_at"
    for n in range(3):
        log(org, f"Case {n}", group="NET2", assignee=org.engineer)
    few = _queries(django_assert_max_num_queries, manager, url, 22)
    for n in range(3, 20):
        log(org, f"Case {n}", group="NET2", assignee=org.engineer)
    many = _queries(django_assert_max_num_queries, manager, url, 22)
    assert many == few
    assert len(listed(manager.get(url).content.decode())) == 20
