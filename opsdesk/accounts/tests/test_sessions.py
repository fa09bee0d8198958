"""Session policy: idle and absolute timeouts; sign out everywhere (self, password, admin)."""

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from opsdesk.accounts.signals import sessions_revoked
from opsdesk.core.testing.factories import UserFactory
from opsdesk.accounts.testing.clients import client_for

PASSWORD = "correct horse battery staple"


def signed_in(username="worker"):
    UserFactory(username=username)
    client = Client()
    assert client.post("/login/", {"username": username, "password": PASSWORD}
                       ).status_code == 302
    return client


@pytest.fixture
def policy(settings):
    settings.OPSDESK_SESSION_IDLE_SECONDS = 30 * 60
    settings.OPSDESK_SESSION_MAX_SECONDS = 4 * 3600


def test_an_idle_session_ends_with_a_message(db, policy, english):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = signed_in()
        clock.shift(29 * 60)
        assert client.get("/profile/").status_code == 200
        clock.shift(29 * 60)  # active a moment ago: still in
        assert client.get("/profile/").status_code == 200
        clock.shift(31 * 60)
        response = client.get("/profile/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        page = client.get(response["Location"]).content.decode()
        assert "signed out after a while without activity" in page


def test_an_htmx_request_after_the_timeout_sends_the_whole_page_to_sign_in(db, policy):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = signed_in()
        clock.shift(31 * 60)
        response = client.get("/profile/", HTTP_HX_REQUEST="true",
                              HTTP_HX_CURRENT_URL="http://testserver/work/?q=vpn")
        assert response.status_code == 204
        assert response["HX-Redirect"] == "/login/?next=%2Fwork%2F%3Fq%3Dvpn"
        assert client.get("/profile/").status_code == 302


def test_the_absolute_limit_ends_even_an_active_session(db, policy):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = signed_in()
        for _ in range(9):
            clock.shift(25 * 60)
            assert client.get("/profile/").status_code == 200
        clock.shift(25 * 60)  # 4 h 10 min after signing in
        assert client.get("/profile/").status_code == 302


def test_the_api_answers_401_after_the_timeout(db, policy):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = signed_in()
        assert client.get("/api/v1/incidents").status_code == 200
        clock.shift(31 * 60)
        assert client.get("/api/v1/incidents").status_code == 401


def test_sign_out_everywhere_keeps_this_session_only(db):
    here = signed_in()
    there = Client()
    there.post("/login/", {"username": "worker", "password": PASSWORD})
    events = []
    sessions_revoked.connect(lambda sender, **kw: events.append(kw), weak=False,
                             dispatch_uid="t1")
    try:
        assert here.post("/profile/sessions/end/").status_code == 302
    finally:
        sessions_revoked.disconnect(dispatch_uid="t1")
    assert here.get("/profile/").status_code == 200
    assert there.get("/profile/").status_code == 302
    assert events[0]["user"].username == "worker" and events[0]["by"].username == "worker"


def test_sign_out_everywhere_needs_post(db):
    assert signed_in().get("/profile/sessions/end/").status_code == 405


def test_a_password_change_ends_the_other_sessions(db):
    here = signed_in()
    there = Client()
    there.post("/login/", {"username": "worker", "password": PASSWORD})
    response = here.post("/profile/password/", {
        "old_password": PASSWORD, "new_password1": "Quartz-Lamp-91!",
        "new_password2": "Quartz-Lamp-91!"})
    assert response.status_code == 302
    assert here.get("/profile/").status_code == 200
    assert there.get("/profile/").status_code == 302


def test_the_administrator_signs_a_person_out_everywhere(org):
    victim = Client()
    victim.post("/login/", {"username": org.requester.username, "password": PASSWORD})
    assert victim.get("/profile/").status_code == 200
    response = client_for(org.admin).post("/admin/accounts/user/", {
        "action": "sign_out_everywhere", "_selected_action": [org.requester.pk]})
    assert response.status_code == 302
    assert victim.get("/profile/").status_code == 302
    org.requester.refresh_from_db()
    assert org.requester.sessions_revoked_at is not None


def test_sessions_from_before_the_policy_stay_valid(db):
    client = signed_in()
    session = client.session
    del session["opsdesk_signed_in_at"]
    session.save()
    assert client.get("/profile/").status_code == 200
    assert "opsdesk_signed_in_at" in client.session


def test_profile_shows_sessions_and_password_links(db, english):
    page = signed_in().get("/profile/").content.decode()
    assert "Sign out everywhere else" in page and "/profile/password/" in page
