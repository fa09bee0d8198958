"""GET/PUT /me/notification-preferences: anyone signed in, only for themselves."""

import pytest
from django.test import Client

from opsdesk.accounts.models import NotificationKind, User

ALL = list(NotificationKind.values)


@pytest.mark.parametrize("person", ["requester", "desk", "engineer", "manager", "owner",
                                    "admin"])
def test_everyone_reads_and_sets_their_own_preferences(api, org, person):
    client = getattr(api, person)
    body = client.get("/me/notification-preferences").json()
    assert body["email_on"] == ALL  # all on by default
    assert [k["code"] for k in body["kinds"]] == ALL and all(k["name"] for k in body["kinds"])
    r = client.put("/me/notification-preferences", {"email_on": ["closed", "resolved"]})
    assert r.status_code == 200, r.content
    assert r.json()["email_on"] == ["resolved", "closed"]
    user = User.objects.get(username=person)
    assert not user.wants_email("created") and user.wants_email("resolved")
    assert client.get("/me/notification-preferences").json()["email_on"] == ["resolved",
                                                                              "closed"]
    others = [u for u in User.objects.exclude(username=person) if u.email_notifications_off]
    assert others == []  # nobody else changed


def test_an_empty_list_switches_everything_off(api, org):
    r = api.requester.put("/me/notification-preferences", {"email_on": []})
    assert r.json()["email_on"] == []
    assert User.objects.get(username="requester").email_notifications_off == ALL


def test_labels_follow_the_language(api):
    r = api.requester.client.get("/api/v1/me/notification-preferences",
                                 HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.json()["kinds"][0] == {"code": "created", "name": "我的事件已登记"}


@pytest.mark.parametrize("body, field, words", [
    ({"email_on": ["created", "bogus"]}, "email_on", "bogus"),
    ({"email_on": "created"}, "email_on", None),
    ({"email_on": ["created"], "sms_on": ["created"]}, "sms_on", None),
    ({}, "email_on", None),
    ({"email_on": ["created"] * 40}, "email_on", None),
])
def test_bad_input_is_a_422_that_names_the_field_and_changes_nothing(api, body, field, words):
    r = api.requester.client.put("/api/v1/me/notification-preferences", body,
                                 content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422, r.content
    assert r.json()["detail"] and field in r.json()["errors"], r.json()
    if words:
        assert words in r.json()["errors"][field] and "public_reply" in r.json()["errors"][field]
    assert User.objects.get(username="requester").email_notifications_off == []


def test_malformed_json_is_a_4xx(api):
    r = api.requester.put("/me/notification-preferences", "{not json")
    assert 400 <= r.status_code < 500 and r.json()["detail"]


def test_signed_out_is_401_and_a_session_write_needs_csrf(client, org):
    assert client.get("/api/v1/me/notification-preferences").status_code == 401
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(org.requester)
    assert browser.get("/api/v1/me/notification-preferences").status_code == 200
    r = browser.put("/api/v1/me/notification-preferences", {"email_on": []},
                    content_type="application/json")
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert User.objects.get(username="requester").email_notifications_off == []
