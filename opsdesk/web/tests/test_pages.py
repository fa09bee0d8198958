"""The pages render for each role, offer only allowed actions, and keep input on errors."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident


def browser(user, language="en"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


@pytest.mark.parametrize("language, words", [("en", "Sign in to opsdesk"),
                                             ("zh-hans", "登录")])
def test_sign_in_page_in_both_languages(client, language, words):
    page = client.get("/login/", headers={"Accept-Language": language})
    assert page.status_code == 200 and words in page.content.decode()


def test_sign_in_and_out(client, org):
    r = client.post("/login/", {"username": "requester",
                                "password": "correct horse battery staple"})
    assert r.status_code == 302
    assert client.get("/", follow=True).request["PATH_INFO"] == "/portal/"
    client.post("/logout/")
    assert client.get("/portal/").status_code == 302


def test_home_sends_each_role_to_its_start_page(org):
    assert browser(org.requester).get("/")["Location"] == "/portal/"
    assert browser(org.desk).get("/")["Location"] == "/work/"
    assert browser(org.engineer).get("/")["Location"] == "/work/"


def test_portal_report_with_file_then_see_it(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = browser(org.requester)
    shot = SimpleUploadedFile("screen.png", b"\x89PNG\r\n\x1a\n....", content_type="image/png")
    r = user.post("/portal/report/", {"short_description": "Printer offline", "urgency": "2",
                                       "impact": "4", "attachments": [shot]})
    assert r.status_code == 302, r.content.decode()[:2000]
    incident = Incident.objects.get()
    assert r["Location"] == f"/incidents/{incident.number}/"
    page = user.get(r["Location"]).content.decode()
    assert "Printer offline" in page and "screen.png" in page
    listing = user.get("/portal/").content.decode()
    assert incident.number in listing


def test_report_errors_keep_what_was_typed(org):
    r = browser(org.requester).post("/portal/report/", {"short_description": "",
                                                        "description": "Long text I typed",
                                                        "urgency": "2", "impact": "4"})
    assert r.status_code == 422
    page = r.content.decode()
    assert "Long text I typed" in page and "has-error" in page
    assert Incident.objects.count() == 0


def test_incident_page_offers_only_allowed_actions(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    desk_page = browser(org.desk).get(f"/incidents/{incident.number}/").content.decode()
    assert "/actions/assign/" in desk_page and "/actions/confirm/" not in desk_page
    user_page = browser(org.requester).get(f"/incidents/{incident.number}/").content.decode()
    assert "/actions/assign/" not in user_page and "/actions/cancel/" in user_page
    assert browser(org.outsider).get(f"/incidents/{incident.number}/").status_code == 404


def test_action_with_missing_field_shows_message_and_changes_nothing(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    r = browser(org.desk).post(f"/incidents/{incident.number}/actions/resolve/",
                               {"resolve-resolution": "Typed text stays"})
    assert r.status_code == 422
    assert "Typed text stays" in r.content.decode()
    incident.refresh_from_db()
    assert incident.status == Status.LOGGED


def test_engineer_cannot_close(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    desk = browser(org.desk)
    desk.post(f"/incidents/{incident.number}/actions/assign/", {"assign-assignment_group":
                                                                org.groups["NET2"].pk})
    r = browser(org.engineer).post(f"/incidents/{incident.number}/actions/close/",
                                   {"close-closure_code": "01"})
    assert r.status_code == 403
    incident.refresh_from_db()
    assert incident.status == Status.ASSIGNED


def test_work_notes_are_hidden_from_the_user(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    browser(org.desk).post(f"/incidents/{incident.number}/comments/",
                           {"body": "Secret root cause", "visibility": "internal"})
    browser(org.desk).post(f"/incidents/{incident.number}/comments/",
                           {"body": "We are on it", "visibility": "public"})
    page = browser(org.requester).get(f"/incidents/{incident.number}/").content.decode()
    assert "We are on it" in page and "Secret root cause" not in page


def test_queues_render_with_counts(org, django_assert_max_num_queries):
    for n in range(3):
        incident_factory(by=org.desk, requester=org.requester, short_description=f"Case {n}")
    desk = browser(org.desk)
    desk.get("/work/unassigned/")  # code tables, groups and services stay in memory after this
    with django_assert_max_num_queries(20):
        page = desk.get("/work/unassigned/").content.decode()
    assert page.count("/incidents/INC") == 3
    assert browser(org.requester).get("/work/").status_code == 403


def test_error_pages(org):
    r = browser(org.requester).get("/incidents/INC000/")
    assert r.status_code == 404 and "Not found" in r.content.decode()


def test_tokens_page_creates_and_revokes(org):
    user = browser(org.engineer)
    page = user.post("/tokens/", {"name": "script"}).content.decode()
    assert "odk_" in page
    token = org.engineer.api_tokens.get()
    user.post("/tokens/", {"revoke": str(token.pk)})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert user.post("/tokens/", {"revoke": "abc"}).status_code == 404


def test_desk_edits_the_record_and_history_keeps_each_change(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    desk = browser(org.desk)
    page = desk.get(f"/incidents/{incident.number}/").content.decode()
    assert f"/incidents/{incident.number}/edit/" in page
    r = desk.post(f"/incidents/{incident.number}/edit/", {
        "edit-short_description": "Printer on floor 3 does not print",
        "edit-description": "", "edit-nature": "01", "edit-impact": "2", "edit-urgency": "1"})
    assert r.status_code == 302
    incident.refresh_from_db()
    assert (incident.impact_id, incident.urgency_id, incident.priority_id) == (2, 1, 1)
    fields = set(incident.events.filter(kind="field").values_list("field", flat=True))
    assert {"impact", "urgency", "priority"} <= fields and "short_description" not in fields
    assert f"/incidents/{incident.number}/edit/" not in browser(org.requester).get(
        f"/incidents/{incident.number}/").content.decode()


def test_edit_errors_keep_what_was_typed(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    r = browser(org.desk).post(f"/incidents/{incident.number}/edit/", {
        "edit-short_description": "", "edit-description": "My new details",
        "edit-nature": "01", "edit-impact": "2", "edit-urgency": "1"})
    assert r.status_code == 422 and "My new details" in r.content.decode()
    incident.refresh_from_db()
    assert incident.impact_id == 4


def test_user_is_told_when_the_team_waits_for_them_and_when_to_confirm(org):
    from opsdesk.incidents.refs import resolve_refs
    from opsdesk.incidents.services import incident_transition

    incident = incident_factory(by=org.desk, requester=org.requester)
    incident_transition(incident=incident, action="start", by=org.desk)
    incident_transition(incident=incident, action="pend", by=org.desk,
                        **resolve_refs({"pending_reason": "01"}))
    user = browser(org.requester)
    assert "waiting for your answer" in user.get(f"/incidents/{incident.number}/").content.decode()
    user.post(f"/incidents/{incident.number}/comments/", {"body": "Here you go",
                                                           "visibility": "public"})
    incident_transition(incident=incident, action="resolve", by=org.desk,
                        **resolve_refs({"resolution": "Fixed", "resolution_code": "01"}))
    page = user.get(f"/incidents/{incident.number}/").content.decode()
    assert "Does it work for you again?" in page and "waiting for your answer" not in page


def test_staff_choose_work_note_or_reply_with_separate_buttons(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    page = browser(org.desk).get(f"/incidents/{incident.number}/").content.decode()
    assert 'name="visibility" value="internal"' in page
    assert 'name="visibility" value="public"' in page


def test_workspace_search_opens_a_number_or_filters_the_queue(org):
    first = incident_factory(by=org.desk, requester=org.requester, short_description="VPN down")
    incident_factory(by=org.desk, requester=org.requester, short_description="Printer jam")
    desk = browser(org.desk)
    r = desk.get("/work/open/", {"q": first.number.lower()})
    assert r.status_code == 302 and r["Location"] == f"/incidents/{first.number}/"
    page = desk.get("/work/open/", {"q": "printer"}).content.decode()
    assert "Printer jam" in page and "VPN down" not in page
