"""The profile page: time zone and language, and dates shown in the person's own zone."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from opsdesk.accounts.models import ApiToken
from opsdesk.accounts.services import api_token_create

ROLES = ("requester", "desk", "engineer", "manager", "owner", "admin")


def browser(user, language="en"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_everyone_signed_in_has_a_profile_linked_from_their_name(org, role):
    person = getattr(org, role)
    page = browser(person).get("/profile/").content.decode()
    assert "Your profile" in page and 'href="/tokens/"' in page
    assert re.search(rf'<a href="/profile/"[^>]*>{re.escape(person.label)}</a>', page)


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get("/profile/")["Location"].startswith("/login/")


def test_profile_shows_roles_groups_and_common_zones_first(org):
    page = browser(org.engineer).get("/profile/").content.decode()
    assert "Support engineer" in page and "NET2" in page
    select = re.search(r'<select name="time_zone".*?</select>', page, re.S).group(0)
    assert select.index("Asia/Shanghai") < select.index("Africa/Abidjan")
    assert "Company default (Asia/Shanghai)" in select


def test_choose_a_time_zone_and_language(org):
    person = browser(org.requester)
    response = person.post("/profile/", {"time_zone": "Europe/London", "language": "zh-hans"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "zh-hans"
    org.requester.refresh_from_db()
    assert (org.requester.time_zone, org.requester.language) == ("Europe/London", "zh-hans")
    page = person.get("/profile/").content.decode()
    assert "我的事件" in page  # the page now speaks Chinese
    assert re.search(r'<option value="Europe/London" selected>', page)


def test_a_time_zone_not_in_the_list_is_refused(org):
    response = browser(org.requester).post("/profile/", {"time_zone": "Mars/Olympus",
                                                          "language": "en"})
    assert response.status_code == 422
    assert re.search(r'id="id_time_zone_error"[^>]*>.*?valid choice', response.content.decode(),
                     re.S)
    org.requester.refresh_from_db()
    assert (org.requester.time_zone, org.requester.language) == ("", "")


def token_created_at(user) -> None:
    token, _secret = api_token_create(user=user, name="clock")
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=datetime(2026, 1, 1, 0, 30, tzinfo=UTC))


@pytest.mark.parametrize("zone, shown", [
    ("", "2026-01-01 08:30"),  # the company's TIME_ZONE, Asia/Shanghai
    ("America/New_York", "2025-12-31 19:30"),
    ("Europe/London", "2026-01-01 00:30"),
])
def test_dates_on_pages_show_in_the_persons_time_zone(org, zone, shown):
    org.engineer.time_zone = zone
    org.engineer.save()
    token_created_at(org.engineer)
    page = browser(org.engineer).get("/tokens/").content.decode()
    assert shown in page


def test_a_zone_chosen_on_the_profile_applies_to_the_next_page(org):
    token_created_at(org.engineer)
    person = browser(org.engineer)
    person.post("/profile/", {"time_zone": "Asia/Tokyo", "language": ""})
    assert "2026-01-01 09:30" in person.get("/tokens/").content.decode()


def test_the_stored_language_applies_until_the_browser_chooses(org):
    org.requester.language = "zh-hans"
    org.requester.save()
    person = browser(org.requester, language="en")
    assert "我的事件" in person.get("/portal/").content.decode()
    person.cookies["django_language"] = "en"
    assert "My incidents" in person.get("/portal/").content.decode()
