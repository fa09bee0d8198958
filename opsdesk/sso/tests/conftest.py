"""A real OpenID Connect provider for the SSO tests, and opsdesk configured to use it.

`oidc_provider` is started once per test process (per xdist worker) in a subprocess on a free
port of 127.0.0.1 (opsdesk/sso/testing). `sso` points the settings at it; `sign_in` drives a
whole sign-in: our /sso/login/, the provider's pages as a browser, our callback.
"""

from dataclasses import dataclass

import pytest
from django.contrib.auth.signals import user_logged_in, user_login_failed

from opsdesk.sso.testing.server import OidcProvider

GROUP_ROLES = {"opsdesk-desk": "desk", "opsdesk-engineers": ["engineer"],
               "opsdesk-admins": ["admin", "manager"]}


@pytest.fixture(scope="session")
def oidc_provider():
    provider = OidcProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def sso(oidc_provider, settings):
    """SSO on, pointing at the test provider; the provider's ID tokens are honest again after."""
    settings.OPSDESK_OIDC_ISSUER = oidc_provider.issuer
    settings.OPSDESK_OIDC_CLIENT_ID = oidc_provider.client_id
    settings.OPSDESK_OIDC_CLIENT_SECRET = oidc_provider.client_secret
    settings.OPSDESK_OIDC_LABEL = "Test IdP"
    settings.OPSDESK_OIDC_CLAIMS = {"department": "department"}
    settings.OPSDESK_OIDC_GROUP_ROLES = GROUP_ROLES
    settings.OPSDESK_OIDC_CREATE_USERS = True
    settings.OPSDESK_OIDC_MATCH_CLAIM = "email"
    settings.OPSDESK_OIDC_ONLY = False
    settings.OPSDESK_OIDC_TIMEOUT = 5
    yield oidc_provider
    oidc_provider.tamper()
    oidc_provider.client_set(skip_authorization=True)


@dataclass
class Signals:
    logged_in: list
    failed: list


@pytest.fixture
def auth_signals():
    """What user_logged_in and user_login_failed were sent with during the test."""
    record = Signals([], [])

    def on_login(sender, request, user, **kwargs):
        record.logged_in.append(user)

    def on_failure(sender, credentials, request=None, **kwargs):
        record.failed.append(credentials)

    user_logged_in.connect(on_login, dispatch_uid="sso-test-login")
    user_login_failed.connect(on_failure, dispatch_uid="sso-test-failed")
    yield record
    user_logged_in.disconnect(dispatch_uid="sso-test-login")
    user_login_failed.disconnect(dispatch_uid="sso-test-failed")


@pytest.fixture
def sign_in(sso, client):
    """sign_in(username, next=..., consent=True) → our callback's response (not followed)."""

    def run(username, *, next_url="", consent=True, browser=None):
        start = client.get("/sso/login/", {"next": next_url} if next_url else {})
        assert start.status_code == 302, start.content[:500]
        back = sso.sign_in(start["Location"], username, consent=consent, browser=browser)
        assert back.startswith("http://testserver/sso/callback/"), back
        return client.get(back.removeprefix("http://testserver"), HTTP_ACCEPT_LANGUAGE="en")

    return run
