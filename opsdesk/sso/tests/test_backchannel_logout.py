"""OpenID Connect Back-Channel Logout: the provider's signed logout token ends opsdesk sessions.

The tokens are signed with the test provider's own RSA key, under the key id its JWKS
publishes, and posted to /sso/backchannel-logout/ as the provider would post them
(django-oauth-toolkit has no back-channel logout of its own to send them).
"""

import base64
import json
import time
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from opsdesk.audit.models import AuditEvent, AuditKind
from opsdesk.sso.logout import BACKCHANNEL_EVENT
from opsdesk.sso.models import SsoSession

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
URL = "/sso/backchannel-logout/"


def browser_sign_in(sso, browser: Client, username: str) -> dict:
    """Sign `browser` in by SSO with its own provider session; the session's SSO record."""
    start = browser.get("/sso/login/")
    back = sso.sign_in(start["Location"], username, browser=sso.browser())
    assert browser.get(back.removeprefix("http://testserver")).status_code == 302
    return browser.session["sso"]


def id_token_claims(record: dict) -> dict:
    payload = record["id_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def logout_claims(sso, record: dict | None = None, **overrides) -> dict:
    claims = {"iss": sso.issuer, "aud": sso.client_id, "iat": int(time.time()),
              "exp": int(time.time()) + 120, "jti": uuid.uuid4().hex,
              "events": {BACKCHANNEL_EVENT: {}}}
    if record is not None:
        claims.update(sub=record["sub"], sid=id_token_claims(record)["sid"])
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def post(token: str):
    """As the provider posts it: no cookies, no CSRF token (CSRF checks on)."""
    return Client(enforce_csrf_checks=True).post(URL, {"logout_token": token})


def signed_in(browser: Client) -> bool:
    browser.get("/", **EN)
    return "_auth_user_id" in browser.session


@pytest.fixture
def two_sessions(sso, client):
    """Alice signed in by SSO in two browsers (two sessions at the provider too)."""
    sso.user_set("alice", email="alice@example.com", groups=["opsdesk-desk"])
    other = Client()
    return (client, browser_sign_in(sso, client, "alice")), (other, browser_sign_in(sso, other,
                                                                                   "alice"))


def test_a_logout_token_with_a_sid_ends_that_session_only(sso, two_sessions):
    (first, record), (second, _other) = two_sessions
    assert id_token_claims(record)["sid"] != id_token_claims(_other)["sid"]

    response = post(sso.logout_token(logout_claims(sso, record)))

    assert response.status_code == 200 and response.json() == {"sessions_ended": 1}
    assert response["Cache-Control"].startswith("max-age=0")
    landing = first.get("/work/", **EN)
    assert landing.status_code == 302 and landing["Location"].startswith("/login/")
    assert "_auth_user_id" not in first.session  # signed out, and not sent to the provider
    assert signed_in(second)
    event = AuditEvent.objects.get(kind=AuditKind.SIGN_OUT, details__method="oidc_backchannel")
    assert event.target_text and event.details["sessions_ended"] == 1
    assert event.actor is None


def test_a_logout_token_with_only_a_sub_ends_every_session_of_the_person(sso, two_sessions):
    (first, record), (second, _) = two_sessions
    response = post(sso.logout_token(logout_claims(sso, sub=record["sub"])))
    assert response.status_code == 200 and response.json() == {"sessions_ended": 2}
    assert not signed_in(first) and not signed_in(second)
    # She signs in again: a new session, untouched by the old token.
    browser_sign_in(sso, first, "alice")
    assert signed_in(first)


def test_a_token_for_a_session_we_do_not_have_is_accepted_and_ends_nothing(sso, two_sessions):
    (first, record), _ = two_sessions
    response = post(sso.logout_token(logout_claims(sso, record, sid="unknown-session")))
    assert response.status_code == 200 and response.json() == {"sessions_ended": 0}
    assert signed_in(first)


def _other_key() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _unsigned(claims: dict) -> str:
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none'})}.{part(claims)}."


def _hs256(sso, claims: dict) -> str:
    from joserfc import jwt
    from joserfc.jwk import OctKey

    return jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(sso.client_secret.encode()))


BAD_TOKENS = {
    "bad-signature": lambda sso, c: sso.logout_token(c, key_pem=_other_key()),
    "unknown-key-id": lambda sso, c: sso.logout_token(c, key_pem=_other_key(), kid="rotated"),
    "unsigned": lambda sso, c: _unsigned(c),
    "hs256-with-client-secret": _hs256,
    "wrong-audience": lambda sso, c: sso.logout_token({**c, "aud": "someone-else"}),
    "wrong-issuer": lambda sso, c: sso.logout_token({**c, "iss": "http://127.0.0.1:1/evil"}),
    "expired": lambda sso, c: sso.logout_token(
        {**c, "iat": int(time.time()) - 300, "exp": int(time.time()) - 120}),
    "issued-long-ago": lambda sso, c: sso.logout_token({**c, "iat": int(time.time()) - 3600,
                                                         "exp": int(time.time()) + 60}),
    "issued-in-the-future": lambda sso, c: sso.logout_token({**c, "iat": int(time.time()) + 900}),
    "with-a-nonce": lambda sso, c: sso.logout_token({**c, "nonce": "n-0S6_WzA2Mj"}),
    "no-event": lambda sso, c: sso.logout_token({**c, "events": {}}),
    "no-jti": lambda sso, c: sso.logout_token({k: v for k, v in c.items() if k != "jti"}),
    "neither-sid-nor-sub": lambda sso, c: sso.logout_token(
        {k: v for k, v in c.items() if k not in ("sid", "sub")}),
    "not-a-jwt": lambda sso, c: "not-a-token",
}


@pytest.mark.parametrize("make", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_a_bad_logout_token_is_refused_and_ends_nothing(sso, two_sessions, make):
    (first, record), _ = two_sessions
    response = post(make(sso, logout_claims(sso, record)))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert signed_in(first)
    assert not SsoSession.objects.filter(ended_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(details__method="oidc_backchannel").exists()


def test_a_replayed_logout_token_is_refused(sso, two_sessions):
    (first, record), (second, other) = two_sessions
    claims = logout_claims(sso, record)
    assert post(sso.logout_token(claims)).status_code == 200
    replay = post(sso.logout_token({**claims, "sid": id_token_claims(other)["sid"]}))
    assert replay.status_code == 400
    assert "already used" in replay.json()["error_description"]
    assert signed_in(second)


def test_only_a_post_and_only_with_sso_on(sso, client, settings):
    assert client.get(URL).status_code == 405
    assert post("").status_code == 400
    settings.OPSDESK_OIDC_ISSUER = ""
    assert post("x").status_code == 404


def test_a_provider_whose_keys_cannot_be_fetched_gets_503(sso, settings):
    from opsdesk.core.testing.daemon import dead_port

    token = sso.logout_token(logout_claims(sso, sub="1"))
    with dead_port() as port:
        settings.OPSDESK_OIDC_ISSUER = f"http://127.0.0.1:{port}/o"
        assert post(token).status_code == 503
