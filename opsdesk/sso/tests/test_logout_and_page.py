"""Sign-out at the provider too, the sign-in button, SSO-only sign-in, and the settings checks."""

from html import escape
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.template.loader import render_to_string

from opsdesk.accounts.models import User

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_sign_out_also_signs_out_at_the_provider(sso, sign_in, client):
    sso.user_set("bob", email="bob@example.com", groups=[])
    browser = sso.browser()
    sign_in("bob", browser=browser)
    id_token = client.session["sso"]["id_token"]

    response = client.post("/logout/", **EN)

    assert AUTH_SESSION_KEY not in client.session
    assert response.status_code == 302 and response["Location"] == "/sso/logout/"
    # Our page moves on to the provider (a Refresh header and a link: the sign-out was a form
    # post, and CSP form-action 'self' forbids a post that redirects to another site).
    page = client.get("/sso/logout/", **EN)
    assert page.status_code == 200
    url = page["Refresh"].removeprefix("0;url=")
    assert f'href="{escape(url)}"' in page.content.decode()
    assert client.get("/sso/logout/")["Location"] == "/login/"  # used once
    end_session = urlparse(url)
    endpoint = f"{end_session.scheme}://{end_session.netloc}{end_session.path}"
    assert endpoint == f"{sso.issuer}/logout/"
    query = parse_qs(end_session.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]
    # The provider ends its own session and sends the browser back to our sign-in page.
    back = browser.get(url)
    assert back.status_code == 302 and back.headers["location"] == "http://testserver/login/"
    # Signing in again asks for the password at the provider: its session is gone.
    again = browser.get(client.get("/sso/login/")["Location"])
    assert again.status_code == 302 and "/accounts/login/" in again.headers["location"]


def test_a_password_sign_out_stays_local(sso, client):
    User.objects.create_user("carol", password="pw-123456!x")
    client.login(username="carol", password="pw-123456!x")
    response = client.post("/logout/", **EN)
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_the_sign_in_page_offers_the_provider(sso, client):
    page = client.get("/login/?next=/portal/", **EN).content.decode()
    assert 'href="/sso/login/?next=/portal/"' in page
    assert "Sign in with Test IdP" in page
    assert 'name="password"' in page


def test_no_button_without_sso(client, settings):
    settings.OPSDESK_OIDC_ISSUER = ""
    page = client.get("/login/", **EN).content.decode()
    assert "/sso/login/" not in page and 'name="password"' in page


def test_the_button_and_error_page_have_no_inline_script_or_style(sso, client, settings):
    """The strict Content-Security-Policy allows neither (what our templates add is checked)."""
    button = render_to_string("sso/_login_button.html", {"next": "/portal/"})
    assert "Test IdP" in button
    settings.OPSDESK_OIDC_ISSUER = "http://127.0.0.1:9/o"
    page = client.get("/sso/login/", **EN).content.decode()
    card = page[page.index("<h1>"):].split("</main>")[0]
    assert "cannot be reached" in card
    for html in (button, card):
        assert "<script" not in html and "style=" not in html and " on" + "click=" not in html


def test_sso_only_sends_the_sign_in_page_to_the_provider(sso, settings, client):
    settings.OPSDESK_OIDC_ONLY = True
    response = client.get("/login/?next=/portal/", **EN)
    assert response.status_code == 302
    assert response["Location"] == "/sso/login/?next=%2Fportal%2F"
    assert client.get(response["Location"])["Location"].startswith(f"{sso.issuer}/authorize/")
    # Break-glass: the password form is still there for administrators.
    assert b'name="password"' in client.get("/login/?local=1", **EN).content


def test_sso_only_refuses_passwords_but_an_administrators(sso, settings, client, auth_signals):
    settings.OPSDESK_OIDC_ONLY = True
    User.objects.create_user("dave", password="pw-123456!x", is_engineer=True)
    User.objects.create_user("root", password="pw-123456!x", is_administrator=True)

    refused = client.post("/login/?local=1", {"username": "dave", "password": "pw-123456!x"}, **EN)
    assert refused.status_code == 200 and AUTH_SESSION_KEY not in client.session
    assert auth_signals.failed and auth_signals.failed[-1]["username"] == "dave"

    allowed = client.post("/login/?local=1", {"username": "root", "password": "pw-123456!x"}, **EN)
    assert allowed.status_code == 302
    assert client.session[AUTH_SESSION_KEY] == str(User.objects.get(username="root").pk)


def test_without_sso_only_passwords_work_for_everyone(sso, client):
    User.objects.create_user("dave", password="pw-123456!x")
    response = client.post("/login/", {"username": "dave", "password": "pw-123456!x"})
    assert response.status_code == 302


@pytest.mark.parametrize("name, value, error_id", [
    ("OPSDESK_OIDC_GROUP_ROLES", {"ops": "superhero"}, "sso.E003"),
    ("OPSDESK_OIDC_MATCH_CLAIM", "sub", "sso.E002"),
    ("OPSDESK_OIDC_SCOPES", "email profile", "sso.E001"),
    ("OPSDESK_OIDC_CLAIMS", {"salary": "salary"}, "sso.E004"),
])
def test_wrong_settings_fail_the_system_check(sso, settings, name, value, error_id):
    setattr(settings, name, value)
    with pytest.raises(SystemCheckError, match=error_id):
        call_command("check")


def test_the_settings_of_the_tests_pass_the_system_check(sso):
    call_command("check")
