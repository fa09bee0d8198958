"""Throttling and lock-out: per user name and per address, LDAP users too, admin unlock."""

import pytest
import time_machine
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.test import Client
from django.utils import timezone

from opsdesk.accounts.testing.slapd import SEED
from opsdesk.core.testing.factories import UserFactory
from opsdesk.accounts.testing.clients import client_for

PASSWORD = "correct horse battery staple"
ALICE = SEED[0]


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.OPSDESK_LOGIN_IP_FAILURE_LIMIT = 6
    return settings


def sign_in(username, password, ip="10.0.0.1", client=None):
    client = client or Client(REMOTE_ADDR=ip)
    return client.post("/login/", {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def test_an_account_locks_after_the_limit_and_says_when_to_retry(db, limits, english):
    UserFactory(username="victim")
    for _ in range(2):
        assert sign_in("victim", "guess").status_code == 200
    response = sign_in("victim", "guess")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-in attempts. Try again after" in page
    assert "in about 15 minutes" in page
    assert int(response["Retry-After"]) > 14 * 60
    # Even the right password is refused now, from any address, in any letter case.
    assert sign_in("victim", PASSWORD, ip="10.9.9.9").status_code == 429
    assert sign_in("VICTIM", PASSWORD, ip="10.9.9.8").status_code == 429


def test_the_lock_ends_after_the_cool_off(db, limits):
    UserFactory(username="victim")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            sign_in("victim", "guess")
        assert sign_in("victim", PASSWORD).status_code == 429
        clock.shift(16 * 60)
        assert sign_in("victim", PASSWORD).status_code == 302


def test_an_address_locks_after_guessing_many_names(db, limits):
    UserFactory(username="someone")
    for n in range(6):
        sign_in(f"name{n}", "guess", ip="10.0.0.7")
    assert sign_in("someone", PASSWORD, ip="10.0.0.7").status_code == 429
    assert sign_in("someone", PASSWORD, ip="10.0.0.8").status_code == 302  # others unaffected


def test_a_success_resets_the_count(db, limits):
    UserFactory(username="typo")
    sign_in("typo", "guess")
    sign_in("typo", "guess")
    assert sign_in("typo", PASSWORD).status_code == 302
    sign_in("typo", "guess")
    assert sign_in("typo", PASSWORD).status_code == 302


def test_directory_accounts_lock_too(ldap, db, limits):
    for _ in range(3):
        sign_in("alice", "wrong")
    assert sign_in("alice", ALICE.password).status_code == 429


def test_lock_out_fires_user_login_failed_and_user_locked_out(db, limits):
    UserFactory(username="victim")
    failed, locked = [], []

    def on_failed(sender, credentials, request=None, **kwargs):
        failed.append((credentials["username"], request is not None))

    def on_locked(sender, request, username, ip_address, **kwargs):
        locked.append((username, ip_address))

    user_login_failed.connect(on_failed)
    user_locked_out.connect(on_locked)
    try:
        for _ in range(4):
            sign_in("victim", "guess")
    finally:
        user_login_failed.disconnect(on_failed)
        user_locked_out.disconnect(on_locked)
    assert failed == [("victim", True)] * 4  # the fourth is refused by the lock itself
    assert locked and locked[0] == ("victim", "10.0.0.1")


def test_the_administrator_unlocks_a_person(org, limits):
    for _ in range(3):
        sign_in(org.requester.username, "guess")
    assert sign_in(org.requester.username, PASSWORD).status_code == 429
    response = client_for(org.admin).post("/admin/accounts/user/", {
        "action": "unlock_sign_in", "_selected_action": [org.requester.pk]})
    assert response.status_code == 302
    assert sign_in(org.requester.username, PASSWORD).status_code == 302


def test_the_administrator_sees_and_clears_failed_attempts(org, limits):
    for _ in range(6):
        sign_in("x", "guess", ip="10.0.0.9")
    admin = client_for(org.admin)
    page = admin.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and "10.0.0.9" in page.content.decode()
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    admin.post("/admin/axes/accessattempt/", {"action": "unlock_selected",
                                              "_selected_action": ids})
    assert not AccessAttempt.objects.exists()
    assert client_for(org.desk).get("/admin/axes/accessattempt/").status_code == 302


def test_the_admin_login_is_throttled_too(db, limits):
    UserFactory(username="boss", is_administrator=True)
    client = Client(REMOTE_ADDR="10.0.0.3")
    for _ in range(3):
        client.post("/admin/login/", {"username": "boss", "password": "guess"})
    response = client.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert response.status_code == 429


def test_proxy_address_is_used_only_as_configured(db, limits, settings):
    from django.test import RequestFactory

    from opsdesk.accounts.lockout import client_ip

    request = RequestFactory().get("/", REMOTE_ADDR="10.1.1.1",
                                   HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5")
    assert client_ip(request) == "10.1.1.1"
    settings.OPSDESK_LOGIN_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.5"  # not the client-supplied 6.6.6.6
