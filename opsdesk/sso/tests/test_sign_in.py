"""Single sign-on against a real OpenID Connect provider (django-oauth-toolkit in a subprocess).

Each test goes the whole way a browser does: our /sso/login/ redirects to the provider, the
provider's login form is filled in over HTTP, the provider redirects back with a code, and our
callback exchanges it, verifies the ID token and signs the person in.
"""

from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY

from opsdesk.accounts.models import Organisation, User
from opsdesk.sso.models import SsoIdentity
from opsdesk.sso.signals import SESSION_KEY

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def alice(provider, **claims):
    defaults = {"email": "alice@example.com", "name": "Alice Zhang", "given_name": "Alice",
                "family_name": "Zhang", "phone_number": "+86 10 5555 0101",
                "department": "NET", "groups": ["opsdesk-desk"], "amr": ["pwd", "otp"]}
    return provider.user_set("alice", **{**defaults, **claims})


def test_the_authorization_request_uses_pkce_state_and_nonce(sso, client):
    response = client.get("/sso/login/")
    assert response.status_code == 302
    url = urlparse(response["Location"])
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{sso.issuer}/authorize/"
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [sso.client_id]
    assert query["redirect_uri"] == ["http://testserver/sso/callback/"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20


def test_first_sign_in_creates_the_account_with_its_claims_and_roles(sso, sign_in, client,
                                                                      auth_signals):
    department = Organisation.objects.create(code="NET", name_zh="网络部", name_en="Network")
    subject = alice(sso)

    response = sign_in("alice")

    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(username="alice")
    assert (user.email, user.display_name, user.first_name, user.last_name, user.phone) == (
        "alice@example.com", "Alice Zhang", "Alice", "Zhang", "+86 10 5555 0101")
    assert user.department == department
    assert user.is_service_desk and not user.is_engineer and not user.is_administrator
    assert not user.has_usable_password()
    assert SsoIdentity.objects.get(user=user).subject == subject
    assert auth_signals.logged_in == [user] and auth_signals.failed == []
    assert client.session[AUTH_SESSION_KEY] == str(user.pk)
    assert client.session[SESSION_KEY]["issuer"] == sso.issuer
    assert client.session["opsdesk_sso_amr"] == ["pwd", "otp"]  # for the MFA step
    # The desk's home is the workspace.
    assert client.get("/", **EN)["Location"] == "/work/"
    assert client.get("/work/", **EN).status_code == 200


def test_a_person_without_mapped_groups_lands_on_the_portal(sso, sign_in, client):
    alice(sso, groups=["marketing"])
    sign_in("alice")
    user = User.objects.get(username="alice")
    assert user.roles == {"user"}
    assert client.get("/", **EN)["Location"] == "/portal/"


def test_next_is_followed_on_this_site_only(sso, sign_in):
    alice(sso)
    assert sign_in("alice", next_url="/portal/")["Location"] == "/portal/"
    assert sign_in("alice", next_url="https://evil.example/steal")["Location"] == "/"


def test_roles_follow_the_groups_at_every_sign_in(sso, sign_in, client):
    alice(sso, groups=["opsdesk-desk", "opsdesk-admins"])
    sign_in("alice")
    user = User.objects.get(username="alice")
    assert user.is_service_desk and user.is_administrator and user.is_incident_manager
    # An administrator grants a role that no group maps to: sign-in leaves it alone.
    User.objects.filter(pk=user.pk).update(is_process_owner=True)

    client.logout()
    alice(sso, groups=["opsdesk-engineers"])
    sign_in("alice")

    user.refresh_from_db()
    assert user.is_engineer
    assert not user.is_service_desk and not user.is_administrator
    assert not user.is_incident_manager
    assert user.is_process_owner
    assert client.get("/", **EN)["Location"] == "/work/"

    client.logout()
    alice(sso, groups=[])
    sign_in("alice")
    user.refresh_from_db()
    assert user.roles == {"user", "process_owner"}


def test_an_existing_account_is_matched_by_email_and_then_by_subject(sso, sign_in):
    existing = User.objects.create_user("azhang", email="Alice@Example.com", password="pw-123456!")
    subject = alice(sso)
    sign_in("alice")
    assert SsoIdentity.objects.get(subject=subject).user == existing
    assert User.objects.filter(username="alice").count() == 0

    # She changes her address at the provider: the subject still finds her account.
    alice(sso, email="alice.zhang@example.com")
    sign_in("alice")
    existing.refresh_from_db()
    assert existing.email == "alice.zhang@example.com"
    assert User.objects.count() == 1


def test_match_by_preferred_username(sso, sign_in, settings):
    settings.OPSDESK_OIDC_MATCH_CLAIM = "preferred_username"
    existing = User.objects.create_user("alice", email="other@example.com")
    alice(sso)
    sign_in("alice")
    assert SsoIdentity.objects.get().user == existing


def test_an_unverified_email_is_not_matched(sso, sign_in, auth_signals):
    User.objects.create_user("azhang", email="alice@example.com")
    alice(sso, email_verified=False)
    response = sign_in("alice")
    assert response.status_code == 403
    assert b"has not verified your email address" in response.content
    assert not SsoIdentity.objects.exists()
    assert auth_signals.failed[0]["reason"] == "unverified_email"


def test_unknown_people_are_refused_when_creating_accounts_is_off(sso, sign_in, settings,
                                                                  client, auth_signals):
    settings.OPSDESK_OIDC_CREATE_USERS = False
    alice(sso)
    response = sign_in("alice")
    assert response.status_code == 403
    assert b"There is no opsdesk account for you yet" in response.content
    assert not User.objects.exists()
    assert AUTH_SESSION_KEY not in client.session
    assert auth_signals.failed == [
        {"username": "alice@example.com", "method": "oidc", "reason": "unknown_user"}]
    assert auth_signals.logged_in == []


def test_an_inactive_account_is_refused(sso, sign_in, client, auth_signals):
    User.objects.create_user("azhang", email="alice@example.com", is_active=False,
                             is_service_desk=False)
    alice(sso)
    response = sign_in("alice")
    assert response.status_code == 403
    assert b"Your opsdesk account is disabled" in response.content
    assert AUTH_SESSION_KEY not in client.session
    assert not User.objects.get(username="azhang").is_service_desk  # nothing was synced
    assert [f["reason"] for f in auth_signals.failed] == ["inactive"]


def test_a_tampered_or_replayed_state_is_refused(sso, client, auth_signals):
    alice(sso)
    start = client.get("/sso/login/")
    back = sso.sign_in(start["Location"], "alice")
    query = parse_qs(urlparse(back).query)
    tampered = client.get("/sso/callback/", {"code": query["code"][0], "state": "forged"}, **EN)
    assert tampered.status_code == 400
    assert b"Start again from the sign-in page" in tampered.content
    assert AUTH_SESSION_KEY not in client.session

    # The genuine answer still works once; used again it is refused.
    assert client.get(back.removeprefix("http://testserver"), **EN).status_code == 302
    client.logout()
    replay = client.get(back.removeprefix("http://testserver"), **EN)
    assert replay.status_code == 400
    assert [f["reason"] for f in auth_signals.failed] == ["state", "state"]


def test_a_callback_from_another_browser_is_refused(sso, client):
    from django.test import Client

    alice(sso)
    back = sso.sign_in(client.get("/sso/login/")["Location"], "alice")
    other = Client()
    assert other.get(back.removeprefix("http://testserver"), **EN).status_code == 400


def test_declined_consent_says_so(sso, sign_in, client, auth_signals):
    sso.client_set(skip_authorization=False)
    alice(sso)
    response = sign_in("alice", consent=False)
    assert response.status_code == 403
    assert b"You did not allow opsdesk to sign you in with Test IdP" in response.content
    assert AUTH_SESSION_KEY not in client.session
    assert auth_signals.failed[0]["reason"] == "denied"


def test_consent_given_signs_in(sso, sign_in, client):
    sso.client_set(skip_authorization=False)
    alice(sso)
    assert sign_in("alice", consent=True).status_code == 302
    assert AUTH_SESSION_KEY in client.session


@pytest.mark.parametrize("spoil", [
    {"claims": {"aud": "someone-else"}},
    {"claims": {"aud": ["someone-else", "another"]}},
    {"claims": {"iss": "http://127.0.0.1:1/evil"}},
    {"claims": {"nonce": "replayed-nonce"}},
    {"exp_offset": -600},
    {"bad_signature": True},
], ids=["wrong-audience", "wrong-audiences", "wrong-issuer", "wrong-nonce", "expired",
        "bad-signature"])
def test_a_bad_id_token_signs_no_one_in(sso, sign_in, client, auth_signals, spoil):
    alice(sso)
    sso.tamper(**spoil)
    response = sign_in("alice")
    assert response.status_code == 502
    assert b"could not be verified" in response.content
    assert AUTH_SESSION_KEY not in client.session
    assert not User.objects.exists()
    assert [f["reason"] for f in auth_signals.failed] == ["invalid_token"]


def test_a_provider_that_is_down_gets_a_clear_page(sso, settings, client, auth_signals):
    from opsdesk.core.testing.daemon import dead_port

    with dead_port() as port:
        settings.OPSDESK_OIDC_ISSUER = f"http://127.0.0.1:{port}/o"
        response = client.get("/sso/login/", **EN)
    assert response.status_code == 503
    assert b"cannot be reached right now" in response.content
    assert auth_signals.failed[0]["reason"] == "unavailable"


def test_a_discovery_document_for_another_issuer_is_refused(sso, settings, client):
    settings.OPSDESK_OIDC_ISSUER = sso.issuer.replace("127.0.0.1", "localhost")
    response = client.get("/sso/login/", **EN)
    assert response.status_code == 502
    assert b"does not answer as opsdesk is configured to expect" in response.content


def test_sso_pages_are_not_found_when_not_configured(client, settings):
    settings.OPSDESK_OIDC_ISSUER = ""
    assert client.get("/sso/login/").status_code == 404
    assert client.get("/sso/callback/?code=x&state=y").status_code == 404


def test_a_provider_that_goes_down_during_the_sign_in_gets_a_clear_page(settings, client,
                                                                        auth_signals):
    """The provider answers the redirect, then is gone when our callback exchanges the code."""
    from opsdesk.sso.testing.server import OidcProvider

    provider = OidcProvider().start()
    try:
        settings.OPSDESK_OIDC_ISSUER = provider.issuer
        settings.OPSDESK_OIDC_CLIENT_ID = provider.client_id
        settings.OPSDESK_OIDC_CLIENT_SECRET = provider.client_secret
        provider.user_set("alice", email="alice@example.com")
        back = provider.sign_in(client.get("/sso/login/")["Location"], "alice")
    finally:
        provider.stop()
    response = client.get(back.removeprefix("http://testserver"), **EN)
    assert response.status_code == 503
    assert b"cannot be reached right now" in response.content
    assert AUTH_SESSION_KEY not in client.session
    assert [f["reason"] for f in auth_signals.failed] == ["unavailable"]


def test_a_new_account_gets_a_user_name_of_its_own(sso, sign_in):
    User.objects.create_user("alice", email="someone.else@example.com")
    User.objects.create_user("alice-2", email="another@example.com")
    alice(sso)
    sign_in("alice")
    assert SsoIdentity.objects.get().user.username == "alice-3"


def test_the_audit_log_records_sso_sign_ins_role_changes_and_failures(sso, sign_in, client):
    from opsdesk.audit.models import AuditEvent, AuditKind

    alice(sso, groups=["opsdesk-desk"])
    sign_in("alice")
    user = User.objects.get(username="alice")
    signed_in = AuditEvent.objects.get(kind=AuditKind.SIGN_IN, actor=user)
    assert signed_in.details["backend"] == "opsdesk.sso.backends.OidcBackend"

    client.logout()
    alice(sso, groups=[])
    sign_in("alice")
    assert AuditEvent.objects.filter(kind=AuditKind.ROLE_CHANGED, target_id=str(user.pk)).exists()

    User.objects.filter(pk=user.pk).update(is_active=False)
    sign_in("alice")
    failed = AuditEvent.objects.get(kind=AuditKind.SIGN_IN_FAILED)
    assert failed.actor_username == "alice@example.com"
