"""The incident page and the portal form as an agent and a user read them (issue 3 review).

Assignee lists follow the chosen group; people and the vendor's ticket are edited on the page;
the timeline speaks in labels (never codes or usernames); a requester withdraws, staff cancel;
errors sit next to their field with the typed value kept; times are in the active time zone;
the page's query count does not grow with its history.
"""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from opsdesk.core.testing.factories import LocationFactory, VendorFactory, incident_factory
from opsdesk.incidents.choices import Action, Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.refs import resolve_refs
from opsdesk.incidents.services import (
    comment_create,
    incident_transition,
    incident_update,
    people_add,
)
from opsdesk.reference.models import Impact, ResolutionCode


def browser(user, language="en"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def page_of(user, incident, language="en") -> str:
    response = browser(user, language).get(f"/incidents/{incident.number}/")
    assert response.status_code == 200
    return response.content.decode()


def field_box(html: str, control_id: str) -> str:
    """The <div class="field"> holding the control with this id (label, control, errors)."""
    match = re.search(rf'<div class="field[^"]*">(?:(?!<div class="field).)*?id="{control_id}"'
                      rf'(?:(?!<div class="field).)*', html, re.DOTALL)
    assert match, f"no field box for #{control_id}"
    return match.group(0)


def select_options(html: str, control_id: str) -> list[str]:
    """The visible texts of a select's options."""
    select = re.search(rf'<select[^>]*id="{control_id}"[^>]*>(.*?)</select>', html, re.DOTALL)
    assert select, f"no select #{control_id}"
    return [text.strip() for text in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1),
                                                re.DOTALL)]


def visible_text(html: str) -> str:
    """What a person reads: the text without tags and attributes."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def timeline(html: str) -> str:
    return re.search(r'<ol class="timeline">(.*?)</ol>', html, re.DOTALL).group(1)


@pytest.fixture
def named(org):
    """Display names unlike usernames, so a username on the page is a failure."""
    for user, name in ((org.engineer, "Wang Wei"), (org.expert, "Li Na"),
                       (org.desk, "Zhao Min"), (org.requester, "Chen Jing")):
        user.display_name = name
        user.save(update_fields=["display_name"])
    return org


# --- 1. Assign, reassign, escalate -----------------------------------------------------------

def test_assignee_list_follows_the_chosen_group(named):
    org = named
    incident = incident_factory(by=org.desk, requester=org.requester)
    html = page_of(org.desk, incident)
    group = re.search(r'<select[^>]*id="id_assign-assignment_group"[^>]*>', html).group(0)
    assert 'hx-get="/work/lookup/members/"' in group
    assert 'hx-target="#id_assign-assignee"' in group
    # Nobody to choose before a group is chosen: no list of every engineer of the company.
    assert select_options(html, "id_assign-assignee") == ["Anyone in the group"]

    members = Client()
    members.force_login(org.desk)
    options = members.get("/work/lookup/members/", {"group": org.groups["NET2"].pk})
    assert "Wang Wei" in options.content.decode() and "Li Na" not in options.content.decode()


def test_assignee_outside_the_group_is_refused_next_to_the_field(named):
    org = named
    incident = incident_factory(by=org.desk, requester=org.requester)
    r = browser(org.desk).post(f"/incidents/{incident.number}/actions/assign/", {
        "assign-assignment_group": org.groups["NET2"].pk, "assign-assignee": org.expert.pk})
    assert r.status_code == 422
    html = r.content.decode()
    box = field_box(html, "id_assign-assignee")
    assert "is not a member of" in box and "has-error" in box
    # The chosen group stays chosen and the list shows its members again.
    assert re.search(rf'<option value="{org.groups["NET2"].pk}" selected>', html)
    assert select_options(html, "id_assign-assignee") == ["Anyone in the group",
                                                          "Wang Wei (engineer)"]
    assert 'id="action-assign" open' in html
    incident.refresh_from_db()
    assert incident.status == Status.LOGGED


def test_assign_to_a_member_then_reassign_or_escalate(named):
    org = named
    incident = incident_factory(by=org.desk, requester=org.requester)
    desk = browser(org.desk)
    r = desk.post(f"/incidents/{incident.number}/actions/assign/", {
        "assign-assignment_group": org.groups["NET2"].pk, "assign-assignee": org.engineer.pk})
    assert r.status_code == 302
    incident.refresh_from_db()
    assert (incident.assignment_group, incident.assignee) == (org.groups["NET2"], org.engineer)
    html = page_of(org.desk, incident)
    assert "<summary>Reassign or escalate</summary>" in html
    r = desk.post(f"/incidents/{incident.number}/actions/assign/", {
        "assign-assignment_group": org.groups["NET3"].pk, "assign-assignee": org.expert.pk})
    assert r.status_code == 302
    entries = timeline(page_of(org.desk, incident))
    net2, net3 = org.groups["NET2"].name_en, org.groups["NET3"].name_en
    assert f"from “{net2} / Wang Wei” to “{net3} / Li Na”" in entries
    assert "Escalated" in entries


def test_the_group_escalates_to_its_next_line_in_one_click(named):
    org = named
    incident = incident_factory(by=org.desk, requester=org.requester)
    incident_transition(incident=incident, action=Action.ASSIGN, by=org.desk,
                        assignment_group=org.groups["NET2"])
    net3 = org.groups["NET3"]
    html = page_of(org.engineer, incident)
    assert f"Escalate to {net3.name_en}" in html
    r = browser(org.engineer).post(f"/incidents/{incident.number}/actions/assign/",
                                   {"assign-assignment_group": net3.pk})
    assert r.status_code == 302
    incident.refresh_from_db()
    assert incident.assignment_group == net3 and incident.escalation_count == 1
    entries = timeline(page_of(org.desk, incident))
    assert f"Escalated: from “{org.groups['NET2'].name_en}” to “{net3.name_en}”" in entries
    assert "form escalate" not in page_of(org.desk, incident)  # NET3 has no next line


# --- 2. Collaborators, watchers, vendor ------------------------------------------------------

def test_desk_adds_and_removes_a_collaborator(named):
    org = named
    incident = incident_factory(by=org.desk, requester=org.requester)
    desk = browser(org.desk)
    html = page_of(org.desk, incident)
    assert "Wang Wei" in select_options(html, "id_collaborators-person")
    assert "Chen Jing" not in select_options(html, "id_collaborators-person")  # not staff
    r = desk.post(f"/incidents/{incident.number}/people/collaborators/",
                  {"collaborators-person": "engineer"})
    assert r.status_code == 302
    assert list(incident.collaborators.all()) == [org.engineer]
    html = desk.get(r["Location"]).content.decode()
    assert "Wang Wei now collaborates on this incident." in html
    assert 'aria-label="Remove Wang Wei"' in html
    assert "Collaborators changed" in timeline(html) and "added: Wang Wei" in timeline(html)

    r = desk.post(f"/incidents/{incident.number}/people/collaborators/",
                  {"collaborators-person": "engineer", "collaborators-remove": "on"})
    assert r.status_code == 302 and incident.collaborators.count() == 0
    assert "removed: Wang Wei" in timeline(page_of(org.desk, incident))


def test_a_requester_cannot_be_a_collaborator_error_next_to_the_field(named):
    org = named
    incident = incident_factory(by=org.desk, requester=org.requester)
    r = browser(org.desk).post(f"/incidents/{incident.number}/people/collaborators/",
                               {"collaborators-person": "colleague"})
    assert r.status_code == 422
    assert "Only support staff can collaborate" in field_box(r.content.decode(),
                                                             "id_collaborators-person")
    assert incident.collaborators.count() == 0


def test_watcher_by_email_and_unknown_person_keeps_what_was_typed(named):
    org = named
    incident = incident_factory(by=org.desk, requester=org.requester)
    desk = browser(org.desk)
    r = desk.post(f"/incidents/{incident.number}/people/watchers/",
                  {"watchers-person": "Colleague@Example.com"})
    assert r.status_code == 302 and list(incident.watchers.all()) == [org.colleague]
    r = desk.post(f"/incidents/{incident.number}/people/watchers/",
                  {"watchers-person": "nobody-here"})
    assert r.status_code == 422
    box = field_box(r.content.decode(), "id_watchers-person")
    assert "Nobody with the username or e-mail “nobody-here”." in box
    assert 'value="nobody-here"' in box


def test_people_are_edited_by_staff_only(named):
    org = named
    incident = incident_factory(by=org.desk, requester=org.requester)
    html = page_of(org.requester, incident)
    assert "/people/" not in html
    r = browser(org.requester).post(f"/incidents/{incident.number}/people/watchers/",
                                    {"watchers-person": "colleague"})
    assert r.status_code == 403 and incident.watchers.count() == 0
    # The process owner sees every incident and may watch it, but not add other people.
    owner = browser(org.owner)
    assert "Watch it myself" in page_of(org.owner, incident)
    assert owner.post(f"/incidents/{incident.number}/people/watchers/",
                      {"watchers-person": "owner"}).status_code == 302
    assert list(incident.watchers.all()) == [org.owner]
    assert owner.post(f"/incidents/{incident.number}/people/watchers/",
                      {"watchers-person": "colleague"}).status_code == 403
    assert owner.post(f"/incidents/{incident.number}/people/nobody/",
                      {"nobody-person": "owner"}).status_code == 404


def test_staff_record_the_vendor_and_its_ticket_number(named):
    org = named
    vendor = VendorFactory(name="Acme Printers", phone="400-800-1234")
    incident = incident_factory(by=org.desk, requester=org.requester)
    desk = browser(org.desk)
    data = {"edit-short_description": incident.short_description, "edit-nature": "01",
            "edit-impact": "4", "edit-urgency": "3", "edit-vendor_reference": "ACME-77"}
    r = desk.post(f"/incidents/{incident.number}/edit/", data)
    assert r.status_code == 422
    assert "Choose the vendor whose ticket number this is." in field_box(
        r.content.decode(), "id_edit-vendor")
    assert 'value="ACME-77"' in r.content.decode()
    r = desk.post(f"/incidents/{incident.number}/edit/", {**data, "edit-vendor": vendor.pk})
    assert r.status_code == 302
    incident.refresh_from_db()
    assert (incident.vendor, incident.vendor_reference) == (vendor, "ACME-77")
    html = page_of(org.desk, incident)
    assert "Acme Printers · ticket ACME-77" in html and "400-800-1234" in html
    assert "Vendor changed" in timeline(html) and "“Acme Printers”" in timeline(html)
    assert "Acme Printers" not in page_of(org.requester, incident).split('id="record-h"')[1]


# --- 3. The timeline in labels ---------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_requester_reads_names_never_codes(named, language):
    org = named
    site = LocationFactory(code="B3F2", name_en="Building 3, floor 2", name_zh="三号楼二层")
    incident = incident_factory(by=org.desk, requester=org.requester)
    incident_update(incident=incident, by=org.desk, data={
        **resolve_refs({"impact": 2, "category": "HW.PRINTER"}), "location": site})
    incident_transition(incident=incident, action=Action.ASSIGN, by=org.desk,
                        assignment_group=org.groups["NET2"], assignee=org.engineer)
    incident_transition(incident=incident, action=Action.START, by=org.engineer)
    incident_transition(incident=incident, action=Action.RESOLVE, by=org.engineer,
                        resolution="Replaced the toner",
                        resolution_code=ResolutionCode.objects.get(pk="08"))
    zh = language == "zh-hans"

    def name(row):
        return row.name_zh if zh else row.name_en

    html = page_of(org.requester, incident, language)
    entries = timeline(html)
    assert name(Impact.objects.get(pk=2)) in entries and name(Impact.objects.get(pk=4)) in entries
    assert name(site) in entries and "B3F2" not in html
    assert name(incident.priority.__class__.objects.get(pk=3)) in entries  # priority 4 → 3
    assert "Wang Wei" in entries and "Zhao Min" in entries
    code = ResolutionCode.objects.get(pk="08")
    assert name(code) in entries and name(code) in html.split('id="timeline-h"')[0]
    # No code and no username anywhere the requester reads.
    assert not re.search(r"“\d+”", html)
    assert "08" not in re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "", visible_text(entries))
    for username in ("engineer", "desk", "NET2"):
        assert username not in entries


def test_owner_taken_and_fields_changed_show_display_names(named):
    org = named
    incident = incident_factory(by=org.requester)  # from the portal: no owner yet
    comment_create(incident=incident, by=org.desk, body="Looking at it")
    entries = timeline(page_of(org.desk, incident))
    assert "from “—” to “Zhao Min”" in entries


# --- 4. Withdraw, not cancel, for the requester ----------------------------------------------

def test_the_requester_withdraws_and_staff_cancel(named):
    org = named
    incident = incident_factory(by=org.desk, requester=org.requester)
    assert "<summary>Withdraw</summary>" in page_of(org.requester, incident)
    desk_page = page_of(org.desk, incident)
    assert "<summary>Cancel</summary>" in desk_page
    assert "<summary>Withdraw</summary>" not in desk_page
    user = browser(org.requester)
    r = user.post(f"/incidents/{incident.number}/actions/cancel/",
                  {"cancel-reason": "It works again"})
    assert r.status_code == 302
    html = user.get(r["Location"]).content.decode()
    assert "Withdraw: done." in html
    assert "Withdraw (status: Logged → Cancelled)" in timeline(html)
    incident.refresh_from_db()
    assert incident.status == Status.CANCELLED and incident.closure_code_id == "07"


# --- 5. The portal form ----------------------------------------------------------------------

def test_report_with_location_and_start_time(org):
    site = LocationFactory(code="HQ5", name_en="Head office, 5th floor", name_zh="总部五楼")
    html = browser(org.requester).get("/portal/report/").content.decode()
    started = re.search(r'<input type="datetime-local" name="occurred_at"[^>]*>', html).group(0)
    assert 'max="' in started
    assert "Head office, 5th floor" in select_options(html, "id_location")
    local = timezone.localtime() - timedelta(hours=2)
    r = browser(org.requester).post("/portal/report/", {
        "short_description": "Cannot print", "urgency": "3", "impact": "3",
        "location": site.pk, "occurred_at": local.strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 302
    incident = Incident.objects.get()
    assert incident.location == site
    assert incident.occurred_at == local.replace(second=0, microsecond=0)


def test_report_start_time_in_the_future_is_refused_and_typed_values_stay(org):
    tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = browser(org.requester).post("/portal/report/", {
        "short_description": "Cannot print", "urgency": "3", "impact": "2",
        "occurred_at": tomorrow})
    assert r.status_code == 422
    html = r.content.decode()
    assert "This is in the future" in field_box(html, "id_occurred_at")
    assert f'value="{tomorrow}"' in html and 'value="Cannot print"' in html
    assert re.search(r'<option value="2" selected>', html)
    assert Incident.objects.count() == 0


# --- 6. Inline edits -------------------------------------------------------------------------

def test_edit_error_sits_next_to_its_field_and_keeps_every_typed_value(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = browser(org.desk).post(f"/incidents/{incident.number}/edit/", {
        "edit-short_description": "Printer jams on every page", "edit-nature": "01",
        "edit-impact": "2", "edit-urgency": "1", "edit-occurred_at": tomorrow})
    assert r.status_code == 422
    html = r.content.decode()
    assert "This is in the future" in field_box(html, "id_edit-occurred_at")
    assert 'value="Printer jams on every page"' in html and f'value="{tomorrow}"' in html
    assert "<details open>" in html
    incident.refresh_from_db()
    assert incident.short_description == "Printer on floor 3 does not print"


def test_saving_the_edit_form_unchanged_records_nothing(org):
    incident = incident_factory(by=org.desk, requester=org.requester,
                                occurred_at=timezone.now() - timedelta(minutes=90, seconds=17))
    html = page_of(org.desk, incident)
    shown = re.search(r'name="edit-occurred_at" value="([^"]+)"', html).group(1)
    before = incident.events.count()
    r = browser(org.desk).post(f"/incidents/{incident.number}/edit/", {
        "edit-short_description": incident.short_description, "edit-nature": "01",
        "edit-impact": "4", "edit-urgency": "3", "edit-occurred_at": shown})
    assert r.status_code == 302 and incident.events.count() == before


# --- 7. Time zones ---------------------------------------------------------------------------

@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
def test_times_are_shown_in_the_active_time_zone(org, settings, zone, time_machine):
    settings.TIME_ZONE = zone
    # A fixed instant: at some wall-clock times an SLA due date shown in local time happened
    # to read like the registration time in UTC.
    time_machine.move_to(datetime(2025, 3, 10, 1, 13, tzinfo=UTC), tick=False)
    incident = incident_factory(by=org.desk, requester=org.requester)
    local = incident.registered_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
    utc = incident.registered_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M")
    html = page_of(org.requester, incident)
    assert local in html.split('id="record-h"')[1] and local in timeline(html)
    assert utc not in html


# --- Query count -----------------------------------------------------------------------------

def _busy_incident(org, size: int):
    """An incident with `size` of every kind of entry, by different people."""
    incident = incident_factory(by=org.desk, requester=org.requester)
    incident_transition(incident=incident, action=Action.ASSIGN, by=org.desk,
                        assignment_group=org.groups["NET2"], assignee=org.engineer)
    for n in range(size):
        author = (org.desk, org.engineer, org.requester)[n % 3]
        comment_create(incident=incident, by=author, body=f"Message {n}")
        incident_update(incident=incident, by=org.desk,
                        data=resolve_refs({"impact": 1 + n % 4, "urgency": 1 + (n + 1) % 4}))
    people_add(incident=incident, by=org.desk, field="collaborators",
               users=[org.expert, org.other_engineer][:max(1, size // 5)])
    people_add(incident=incident, by=org.desk, field="watchers", users=[org.colleague])
    return incident


@pytest.mark.parametrize("who", ["desk", "requester"])
def test_incident_page_queries_do_not_grow_with_its_history(org, who,
                                                            django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small, big = _busy_incident(org, 2), _busy_incident(org, 12)
    user = browser(getattr(org, who))
    user.get(f"/incidents/{small.number}/")  # warm the code-table cache
    with CaptureQueriesContext(connection) as few:
        user.get(f"/incidents/{small.number}/")
    with django_assert_max_num_queries(len(few)):
        html = user.get(f"/incidents/{big.number}/").content.decode()
    assert "Message 11" in html
    # 25 + the top bar's count of approvals waiting + one query per panel of issue 7 for staff
    # (major incident, tasks, problems) and two for the vendor panel.
    with django_assert_max_num_queries(32):
        user.get(f"/incidents/{big.number}/")


def test_a_persons_own_time_zone_applies_to_what_they_type_and_read(org):
    from datetime import UTC, datetime

    org.requester.time_zone = "Europe/London"
    org.requester.save(update_fields=["time_zone"])
    r = browser(org.requester).post("/portal/report/", {
        "short_description": "VPN drops", "urgency": "3", "impact": "4",
        "occurred_at": "2025-01-15T09:30"})
    assert r.status_code == 302
    incident = Incident.objects.get()
    assert incident.occurred_at == datetime(2025, 1, 15, 9, 30, tzinfo=UTC)  # London = UTC then
    assert "2025-01-15 09:30" in page_of(org.requester, incident).split('id="record-h"')[1]
    assert "2025-01-15 17:30" in page_of(org.desk, incident).split('id="record-h"')[1]  # Shanghai
