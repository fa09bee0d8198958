"""A person signs in with the provider in a real browser (Chromium) and signs out again.

opsdesk runs as pytest-django's live server, the provider as its own process; the browser
clicks "Sign in with Test IdP", types the password on the provider's page, lands in the desk's
workspace, and "Sign out" takes it through the provider's sign-out back to our sign-in page.
"""

import re

import pytest
from playwright.sync_api import expect

from opsdesk.accounts.models import User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider_knows_live_server(sso, live_server):
    sso.client_set(redirect_uris=[f"{live_server.url}/sso/callback/"],
                   post_logout_redirect_uris=[f"{live_server.url}/login/"])
    yield sso
    sso.client_set(redirect_uris=list(sso.redirect_uris),
                   post_logout_redirect_uris=list(sso.post_logout_redirect_uris))


def test_sign_in_and_out_through_the_provider(provider_knows_live_server, new_page, live_server):
    provider = provider_knows_live_server
    provider.user_set("erin", password="erin-secret", email="erin@example.com", name="Erin Wu",
                      groups=["opsdesk-desk"])
    page = new_page("en")
    page.goto("/login/?next=/work/")

    page.get_by_role("link", name="Sign in with Test IdP").click()
    provider_origin = provider.issuer.removesuffix("/o")
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider_origin)}/accounts/login/"))
    page.locator("#id_username").fill("erin")
    page.locator("#id_password").fill("erin-secret")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{live_server.url}/work/")
    user = User.objects.get(username="erin")
    assert user.display_name == "Erin Wu" and user.is_service_desk

    page.locator("form[action='/logout/'] button").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/login/"))
    page.goto("/work/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/work/"))
