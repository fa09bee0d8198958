"""Your sessions: two real browsers of one person, the list, signing out one, the admin's list."""

import re
import uuid

import pytest
import time_machine
from django.test import Client
from django.utils import timezone, translation

from opsdesk.accounts.models import UserSession
from opsdesk.accounts.testing.clients import client_for
from opsdesk.accounts.usersessions import user_sessions_cleanup
from opsdesk.audit.models import AuditEvent
from opsdesk.core.testing.factories import UserFactory

PASSWORD = "correct horse battery staple"
CHROME_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/126.0.0.0 Safari/537.36")
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def browser(username, agent, address, **extra) -> Client:
    """A client that signs in through the sign-in page, as a person's browser would."""
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address, **extra)
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


@pytest.fixture
def worker(db):
    return UserFactory(username="worker", language="en")


@pytest.fixture
def office(worker):
    return browser("worker", CHROME_WINDOWS, "10.1.1.1")


@pytest.fixture
def laptop(worker):
    return browser("worker", FIREFOX_LINUX, "10.2.2.2")


def rows_of(page: str) -> list[str]:
    return re.findall(r"<tr(?: class=\"current-session\")?>.*?</tr>", page, flags=re.S)


def current_row(page: str) -> str:
    [row] = re.findall(r'<tr class="current-session">(.*?)</tr>', page, flags=re.S)
    return row


def session_id(client) -> str:
    return client.session["opsdesk_session_id"]


def test_two_browsers_are_listed_and_each_marks_itself(office, laptop, english):
    page = office.get("/profile/").content.decode()
    assert "Chrome 126 on Windows 10" in page and "Firefox 128 on Linux" in page
    assert "10.1.1.1" in page and "10.2.2.2" in page
    assert "Chrome 126" in current_row(page) and "This session" in current_row(page)
    other = laptop.get("/profile/").content.decode()
    assert "Firefox 128" in current_row(other) and "10.2.2.2" in current_row(other)
    assert len([r for r in rows_of(page) if "/end/" in r]) == 2


def test_signing_out_the_other_session_ends_it_at_its_next_request(office, laptop, english):
    response = office.post(f"/profile/sessions/{session_id(laptop)}/end/")
    assert response.status_code == 302 and response["Location"] == "/profile/#sessions"
    page = office.get("/profile/").content.decode()
    assert "Signed out: Firefox 128 on Linux." in page and "10.2.2.2" not in page
    response = laptop.get("/profile/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "signed out from another session" in laptop.get(response["Location"]).content.decode()
    assert laptop.get("/api/v1/incidents").status_code == 401
    assert office.get("/profile/").status_code == 200
    assert UserSession.objects.filter(user__username="worker").count() == 1


def test_signing_out_one_is_in_the_audit_log(office, laptop, worker):
    office.post(f"/profile/sessions/{session_id(laptop)}/end/")
    event = AuditEvent.objects.filter(kind="sessions_revoked").get()
    assert event.actor_id == worker.pk and event.target_id == str(worker.pk)
    assert event.details["method"] == "one session" and "10.2.2.2" in event.details["session"]


def test_htmx_gets_the_sessions_card_back(office, laptop, english):
    response = office.post(f"/profile/sessions/{session_id(laptop)}/end/", HTTP_HX_REQUEST="true")
    card = response.content.decode()
    assert response.status_code == 200 and card.lstrip().startswith('<div class="card" id="sessions">')
    assert "Signed out: Firefox 128 on Linux." in card and "10.2.2.2" not in card
    assert "<html" not in card
    assert laptop.get("/profile/").status_code == 302


def test_signing_out_this_session_from_the_list_is_signing_out(office, laptop):
    response = office.post(f"/profile/sessions/{session_id(office)}/end/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert office.get("/profile/").status_code == 302
    assert laptop.get("/profile/").status_code == 200
    assert UserSession.objects.filter(pk=session_id(laptop)).exists()


def test_no_one_ends_another_persons_session(office, db):
    UserFactory(username="mallory")
    mallory = browser("mallory", FIREFOX_LINUX, "10.6.6.6")
    assert mallory.post(f"/profile/sessions/{session_id(office)}/end/").status_code == 404
    assert mallory.post(f"/profile/sessions/{uuid.uuid4()}/end/").status_code == 404
    assert mallory.post("/profile/sessions/not-a-uuid/end/").status_code == 404
    assert office.get("/profile/").status_code == 200
    assert not AuditEvent.objects.filter(kind="sessions_revoked").exists()


def test_signing_out_one_needs_post_and_csrf(office, worker):
    target = Client(enforce_csrf_checks=True)
    target.cookies = browser("worker", FIREFOX_LINUX, "10.2.2.2").cookies
    url = f"/profile/sessions/{session_id(office)}/end/"
    assert target.get(url).status_code == 405
    assert target.post(url).status_code == 403  # no CSRF token
    assert office.get("/profile/").status_code == 200


def test_the_administrator_sees_and_ends_a_persons_sessions(org, english):
    phone = browser(org.requester.username, SAFARI_IPHONE, "10.3.3.3")
    admin = client_for(org.admin)
    person = admin.get(f"/admin/accounts/user/{org.requester.pk}/change/").content.decode()
    assert f"/admin/accounts/usersession/?user__id__exact={org.requester.pk}" in person
    assert "1 session: see or sign out" in person
    listing = admin.get(f"/admin/accounts/usersession/?user__id__exact={org.requester.pk}")
    assert "Mobile Safari 17 on iOS 17 (iPhone)" in listing.content.decode()
    response = admin.post("/admin/accounts/usersession/", {
        "action": "sign_out_selected", "_selected_action": [session_id(phone)]})
    assert response.status_code == 302
    assert phone.get("/profile/").status_code == 302
    event = AuditEvent.objects.filter(kind="sessions_revoked").get()
    assert event.actor_id == org.admin.pk and event.target_id == str(org.requester.pk)


def test_only_administrators_open_the_sessions_list(org):
    assert client_for(org.owner).get("/admin/accounts/usersession/").status_code == 403
    assert client_for(org.desk).get("/admin/accounts/usersession/").status_code == 302


def test_signing_out_and_expiry_remove_the_rows(worker, settings):
    settings.OPSDESK_SESSION_IDLE_SECONDS = 30 * 60
    with time_machine.travel(timezone.now(), tick=False) as clock:
        office = browser("worker", CHROME_WINDOWS, "10.1.1.1")
        laptop = browser("worker", FIREFOX_LINUX, "10.2.2.2")
        assert UserSession.objects.filter(user=worker).count() == 2
        office.post("/logout/")
        assert list(UserSession.objects.values_list("pk", flat=True)) == [
            uuid.UUID(session_id(laptop))]
        clock.shift(31 * 60)
        assert laptop.get("/profile/").status_code == 302  # idle: signed out, row gone
        assert not UserSession.objects.exists()


def test_the_cleanup_forgets_sessions_that_never_came_back(worker, settings):
    settings.OPSDESK_SESSION_IDLE_SECONDS = 30 * 60
    with time_machine.travel(timezone.now(), tick=False) as clock:
        browser("worker", CHROME_WINDOWS, "10.1.1.1")
        assert user_sessions_cleanup() == 0
        clock.shift(31 * 60)  # idle past the limit, but within one last-seen interval (90 s)
        active = browser("worker", FIREFOX_LINUX, "10.2.2.2")
        assert user_sessions_cleanup() == 0
        clock.shift(60)
        assert user_sessions_cleanup() == 1
        assert list(UserSession.objects.values_list("pk", flat=True)) == [
            uuid.UUID(session_id(active))]


def test_last_active_is_written_only_every_twentieth_of_the_idle_limit(office, settings):
    settings.OPSDESK_SESSION_IDLE_SECONDS = 40 * 60  # written every 2 minutes
    row = UserSession.objects.get()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        clock.shift(60)
        office.get("/profile/")
        assert UserSession.objects.get().last_seen_at == row.last_seen_at
        clock.shift(61)
        office.get("/profile/")
        assert UserSession.objects.get().last_seen_at > row.last_seen_at


def test_only_a_digest_of_the_session_key_is_kept_and_it_follows_a_new_key(office, laptop):
    row = UserSession.objects.get(pk=session_id(office))
    key = office.cookies["sessionid"].value
    assert row.key_digest == UserSession.digest_of(key)
    assert key not in str(UserSession.objects.values_list().get(pk=row.pk))
    office.post("/profile/sessions/end/")  # sign out everywhere else: this key is cycled
    new_key = office.cookies["sessionid"].value
    assert new_key != key
    assert UserSession.objects.get().key_digest == UserSession.digest_of(new_key)
    assert laptop.get("/profile/").status_code == 302


def test_a_password_change_leaves_only_this_session_listed(office, laptop, english):
    response = office.post("/profile/password/", {
        "old_password": PASSWORD, "new_password1": "Quartz-Lamp-91!",
        "new_password2": "Quartz-Lamp-91!"})
    assert response.status_code == 302
    page = office.get("/profile/").content.decode()
    assert "Chrome 126" in current_row(page) and "Firefox" not in page
    assert laptop.get("/profile/").status_code == 302


def test_a_session_from_before_the_list_is_added_at_its_next_request(office, english):
    UserSession.objects.all().delete()
    session = office.session
    del session["opsdesk_session_id"]
    session.save()
    page = office.get("/profile/").content.decode()
    assert "Chrome 126" in current_row(page)


def test_with_sessions_in_the_redis_cache_signing_out_one_ends_it(worker, settings, english):
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0", "KEY_PREFIX": f"usersessions-{uuid.uuid4()}"}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    office = browser("worker", CHROME_WINDOWS, "10.1.1.1")
    laptop = browser("worker", FIREFOX_LINUX, "10.2.2.2")
    assert "Firefox 128 on Linux" in office.get("/profile/").content.decode()
    office.post(f"/profile/sessions/{session_id(laptop)}/end/")
    assert laptop.get("/profile/").status_code == 302
    assert office.get("/profile/").status_code == 200


def test_the_list_reads_the_device_in_chinese_too(office, laptop, worker, zh_sentence):
    worker.language = "zh-hans"
    worker.save(update_fields=["language"])
    office.cookies["django_language"] = "zh-hans"
    page = office.get("/profile/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Windows 10 上的 Chrome 126" in page and "Linux 上的 Firefox 128" in page
    assert "IP 地址" in page and "在其他所有设备上退出登录" in page


@pytest.fixture
def zh_sentence():
    """The device sentence in Chinese, as the lead's catalogue will have it (the .po files are
    translated at the end): proves the sentence goes through gettext with its placeholders."""
    catalog = translation.trans_real.translation("zh-hans")._catalog._catalogs[0]
    catalog["%(browser)s on %(os)s"] = "%(os)s 上的 %(browser)s"
    yield
    catalog.pop("%(browser)s on %(os)s", None)
