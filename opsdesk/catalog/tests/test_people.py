"""Person fields and the desk's caller: a type-ahead for staff (the people list is theirs), and
without JavaScript the typed username or email still works."""

import re

from django.test import Client

from opsdesk.catalog.models import ServiceRequest
from opsdesk.incidents.models import Incident


def browser(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def input_tag(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page).group(0)


def test_the_desk_gets_a_type_ahead_for_the_caller_and_person_fields(org, catalog):
    page = browser(org.desk).get("/work/requests/new/", {"type": "vpn"}).content.decode()
    for name in ("requester", "deputy"):
        tag = input_tag(page, name)
        assert 'hx-get="/work/lookup/people/"' in tag and 'data-lookup-param="q"' in tag
        assert f'hx-target="#id_{name}-results"' in tag
        assert f'name="pick:{name}"' in page and f'id="id_{name}-results"' in page
    assert "web/catalog.js" in page
    # The list the type-ahead shows finds the caller.
    people = browser(org.desk).get("/work/lookup/people/", {"q": "colleague"}).content.decode()
    assert f'data-person-id="{org.colleague.pk}"' in people


def test_a_user_types_a_username_in_the_portal_without_the_staff_only_people_list(org,
                                                                                  catalog):
    page = browser(org.requester).get("/catalog/vpn/").content.decode()
    tag = input_tag(page, "deputy")
    assert "hx-get" not in tag and 'placeholder="username or email"' in tag
    assert "pick:deputy" not in page
    assert browser(org.requester).get("/work/lookup/people/", {"q": "coll"}).status_code == 403


def test_the_people_chosen_from_the_type_ahead_are_the_caller_and_the_deputy(org, catalog):
    response = browser(org.desk).post("/work/requests/new/", {
        "type": "vpn", "requester": f"{org.requester.label} ({org.requester.username})",
        "pick:requester": str(org.requester.pk), "start": "2026-05-01",
        "deputy": "whatever the label said", "pick:deputy": str(org.colleague.pk)})
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.requester == org.requester
    deputy = ServiceRequest.objects.get(incident=incident).answers[1]
    assert deputy["value"] == "colleague"


def test_without_javascript_a_typed_username_or_email_names_the_people(org, catalog):
    org.colleague.email = "colleague@example.com"
    org.colleague.save(update_fields=["email"])
    response = browser(org.desk).post("/work/requests/new/", {
        "type": "vpn", "requester": org.requester.username, "start": "2026-05-01",
        "deputy": "Colleague@Example.com"})
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.requester == org.requester
    assert ServiceRequest.objects.get(incident=incident).answers[1]["value"] == "colleague"


def test_a_person_label_as_the_type_ahead_shows_it_is_understood(org, catalog):
    response = browser(org.requester).post("/catalog/vpn/", {
        "start": "2026-05-01", "deputy": f"{org.colleague.label} (colleague)"})
    assert response.status_code == 302
    assert ServiceRequest.objects.get().answers[1]["value"] == "colleague"


def test_nobody_found_is_an_error_next_to_the_field_and_the_text_stays(org, catalog):
    client = browser(org.desk)
    response = client.post("/work/requests/new/", {
        "type": "vpn", "requester": "nobody-here", "pick:requester": "999999",
        "start": "2026-05-01", "deputy": "ghost", "pick:deputy": "not-an-id"})
    assert response.status_code == 422
    page = response.content.decode()
    assert re.search(r'id="id_requester_error".*?Nobody with this username or email', page,
                     re.S)
    assert 'value="nobody-here"' in page
    assert not Incident.objects.exists()
    response = client.post("/work/requests/new/", {
        "type": "vpn", "requester": "requester", "start": "2026-05-01", "deputy": "ghost"})
    assert response.status_code == 422
    assert re.search(r'id="id_deputy_error".*?Nobody with the username or email “ghost”',
                     response.content.decode(), re.S)


def test_an_inactive_person_cannot_be_smuggled_in_by_id(org, catalog):
    org.colleague.is_active = False
    org.colleague.save(update_fields=["is_active"])
    response = browser(org.desk).post("/work/requests/new/", {
        "type": "vpn", "requester": "requester", "start": "2026-05-01",
        "deputy": "typed", "pick:deputy": str(org.colleague.pk)})
    assert response.status_code == 422
    assert not Incident.objects.exists()
