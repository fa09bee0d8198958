"""The second step after a password: the gate, codes from the app, recovery codes, replays,
throttling, and API tokens passing untouched."""


import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from opsdesk.accounts.services import api_token_create
from opsdesk.mfa import services
from opsdesk.mfa.models import CodeThrottle
from opsdesk.mfa.testing.helpers import code_after, code_of, signed_in

pytestmark = pytest.mark.django_db

STEP = 30


def later(device, steps: int = 1) -> str:
    """The code the app shows `steps` time steps after the one enrolment used."""
    return code_after(device, steps)


def test_a_password_alone_leads_only_to_the_verify_page(org, enrolled):
    enrolled(org.desk)
    client = signed_in(org.desk)
    for url in ("/", "/work/", "/profile/", "/mfa/", "/mfa/settings/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/mfa/verify/?next="), url
    page = client.get("/mfa/verify/?next=/work/")
    assert page.status_code == 200 and 'name="code"' in page.text
    assert 'href="/work/"' not in page.text  # no navigation before the second step
    assert client.post("/mfa/recovery/new/").status_code == 302  # no changes either
    assert client.post("/mfa/disable/", {"code": later(org.desk.authenticator_set.get())})[
        "Location"].startswith("/mfa/verify/")


def test_a_code_from_the_app_opens_the_page_asked_for(org, enrolled):
    device, _codes = enrolled(org.desk)
    client = signed_in(org.desk)
    session_before = client.cookies["sessionid"].value
    response = client.post("/mfa/verify/", {"code": later(device), "next": "/work/"})
    assert response.status_code == 302 and response["Location"] == "/work/"
    assert client.cookies["sessionid"].value != session_before  # a new key for the new privilege
    assert client.get("/work/").status_code == 200
    assert client.get("/mfa/verify/?next=/portal/")["Location"] == "/portal/"


def test_a_used_code_cannot_be_replayed(org, enrolled):
    device, _codes = enrolled(org.desk)
    code = later(device)
    first = signed_in(org.desk)
    assert first.post("/mfa/verify/", {"code": code})["Location"] == "/"
    second = signed_in(org.desk)  # someone who watched the code being typed
    response = second.post("/mfa/verify/", {"code": code})
    assert response.status_code == 422
    assert second.get("/work/")["Location"].startswith("/mfa/verify/")
    assert second.post("/mfa/verify/", {"code": later(device, 2)}).status_code == 302


def test_an_older_code_than_the_last_one_used_is_refused(org, enrolled):
    device, _codes = enrolled(org.desk)
    assert signed_in(org.desk).post("/mfa/verify/", {"code": later(device)}).status_code == 302
    assert signed_in(org.desk).post("/mfa/verify/", {"code": later(
        device, -1)}).status_code == 422  # never used, inside the window, older than the last


def test_a_recovery_code_works_once(org, enrolled):
    _device, codes = enrolled(org.desk)
    typed = services.format_recovery_code(codes[3]).upper()  # as read off paper
    client = signed_in(org.desk)
    response = client.post("/mfa/verify/", {"code": typed, "next": "/work/"}, follow=True)
    assert response.redirect_chain[0][0] == "/work/"
    assert "9 are left" in response.text
    again = signed_in(org.desk)
    assert again.post("/mfa/verify/", {"code": typed}).status_code == 422
    assert again.post("/mfa/verify/", {"code": codes[4]}).status_code == 302


def test_wrong_codes_are_counted_then_nothing_is_taken_for_a_while(org, enrolled, settings):
    device, _codes = enrolled(org.desk)
    client = signed_in(org.desk)
    for tries_left in (4, 3, 2, 1):
        response = client.post("/mfa/verify/", {"code": "000000"})
        assert response.status_code == 422
        assert f"{tries_left} tr" in response.text
    response = client.post("/mfa/verify/", {"code": "abcde-fghjk"})  # a wrong recovery code too
    assert response.status_code == 429 and "Too many wrong codes" in response.text
    locked_until = CodeThrottle.objects.get(user=org.desk).locked_until
    assert locked_until - timezone.now() > timezone.timedelta(
        seconds=settings.OPSDESK_MFA_LOCKOUT_SECONDS - 5)
    assert client.post("/mfa/verify/", {"code": later(device)}).status_code == 429  # even right
    with time_machine.travel(locked_until + timezone.timedelta(seconds=1), tick=False):
        # The app's code at that later time (the clock is the travelled one).
        assert client.post("/mfa/verify/", {"code": code_of(device)}).status_code == 302
    assert CodeThrottle.objects.get(user=org.desk).failures == 0


def test_a_right_code_resets_the_count(org, enrolled):
    device, _codes = enrolled(org.desk)
    client = signed_in(org.desk)
    for _ in range(4):
        client.post("/mfa/verify/", {"code": "123456"})
    assert client.post("/mfa/verify/", {"code": later(device)}).status_code == 302
    assert CodeThrottle.objects.get(user=org.desk).failures == 0


def test_an_empty_or_silly_code_is_a_message_not_an_error(org, enrolled):
    enrolled(org.desk)
    client = signed_in(org.desk)
    assert client.post("/mfa/verify/", {"code": ""}).status_code == 422
    assert client.post("/mfa/verify/", {"code": "x" * 40}).status_code == 422
    assert client.post("/mfa/verify/", {"code": "<script>"}).status_code == 422
    assert CodeThrottle.objects.get(user=org.desk).failures == 1  # only the one that was a code


def test_next_must_stay_on_this_site(org, enrolled):
    device, _codes = enrolled(org.desk)
    client = signed_in(org.desk)
    response = client.post("/mfa/verify/", {"code": later(device),
                                            "next": "https://evil.example/steal"})
    assert response["Location"] == "/"


def test_signing_out_switching_language_and_static_files_stay_open(org, enrolled):
    enrolled(org.desk)
    client = signed_in(org.desk)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/mfa/verify/"})[
        "Location"] == "/mfa/verify/"
    assert client.post("/logout/").status_code == 302
    assert client.get("/work/")["Location"].startswith("/login/")


def test_htmx_requests_are_told_where_to_go(org, enrolled):
    enrolled(org.desk)
    client = signed_in(org.desk)
    response = client.get("/work/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"] == "/mfa/verify/"


def test_the_api_takes_tokens_but_not_a_session_still_owing_its_code(org, enrolled):
    device, _codes = enrolled(org.desk)
    _token, secret = api_token_create(user=org.desk, name="script")
    with_token = Client(headers={"Authorization": f"Bearer {secret}"})
    assert with_token.get("/api/v1/incidents").status_code == 200

    client = signed_in(org.desk)
    assert client.get("/api/v1/incidents").status_code == 401
    # A made-up token does not fall back to the half-signed-in session.
    assert client.get("/api/v1/incidents",
                      headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get("/api/v1/incidents",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    client.post("/mfa/verify/", {"code": later(device)})
    assert client.get("/api/v1/incidents").status_code == 200


def test_people_without_an_app_are_not_asked(org):
    client = signed_in(org.desk)
    assert client.get("/work/").status_code == 200
    assert client.get("/mfa/verify/?next=/work/")["Location"] == "/work/"


def test_a_session_from_before_the_app_existed_is_worked_out_once(org, enrolled):
    client = signed_in(org.desk)
    enrolled(org.desk)  # on another device, say; this session's cached answer is stale
    session = client.session
    del session["opsdesk_mfa_device"]
    session.save()
    assert client.get("/work/")["Location"].startswith("/mfa/verify/")
