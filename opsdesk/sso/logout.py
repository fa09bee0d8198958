"""OpenID Connect Back-Channel Logout 1.0: the provider tells us, server to server, that a
person signed out there (or was disabled), and we end their opsdesk sessions.

The logout token is a JWT the provider signs like an ID token, checked here as §2.6 of the
specification asks: an asymmetric signature by a key of the provider's JWKS (fetched again once
when the key id is unknown: key rotation), our issuer, our client id among the audiences, `iat`
not in the future nor older than LOGOUT_TOKEN_MAX_AGE, `exp` (when sent) not passed, the
back-channel logout event, no `nonce` (so an ID token cannot be passed off as a logout token),
a `sid` or a `sub`, and a `jti` never seen before (a replayed token is refused).
"""

import logging
import time
from datetime import timedelta

import requests
from django.db import IntegrityError, transaction
from django.utils import timezone
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from opsdesk.audit.models import AuditKind
from opsdesk.audit.services import audit_record

from .client import ASYMMETRIC_ALGORITHMS, SsoError, provider_app
from .conf import OidcConfig
from .models import SsoIdentity, SsoLogoutToken, SsoSession

logger = logging.getLogger(__name__)
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_MAX_AGE = 600  # seconds: an older token is refused (and its jti forgotten)
CLOCK_SKEW = 60  # seconds of disagreement between the provider's clock and ours


class LogoutTokenError(Exception):
    """A logout token that must be refused; the message says why (for the provider's logs)."""


def logout_token_verify(*, config: OidcConfig, token: str) -> dict:
    """The claims of a valid logout token; LogoutTokenError otherwise.

    SsoError("unavailable") when the provider's keys cannot be fetched: the provider may retry.
    """
    header = _header(token)
    claims = _signature_verify(config, token, header)
    _claims_check(config, claims)
    return claims


def _header(token: str) -> dict:
    try:
        header = jws.extract_compact(token.encode("ascii")).protected
    except (JoseError, ValueError, UnicodeError) as error:
        raise LogoutTokenError(f"not a signed JWT: {error}") from error
    if header.get("alg") not in ASYMMETRIC_ALGORITHMS:
        raise LogoutTokenError(f"algorithm {header.get('alg')!r} is not accepted")
    return header


def _signature_verify(config: OidcConfig, token: str, header: dict) -> dict:
    app = provider_app(config)
    try:
        keys = KeySet.import_key_set(app.fetch_jwk_set())
        if header.get("kid") and not any(k.kid == header["kid"] for k in keys.keys):
            keys = KeySet.import_key_set(app.fetch_jwk_set(force=True))  # rotated keys
        return dict(jwt.decode(token, keys, algorithms=[header["alg"]]).claims)
    except (requests.RequestException, RuntimeError) as error:
        raise SsoError("unavailable", str(error)) from error
    except (JoseError, ValueError) as error:
        raise LogoutTokenError(f"bad signature: {type(error).__name__}: {error}") from error


def _claims_check(config: OidcConfig, claims: dict) -> None:
    """Every check of the specification's §2.6 except the signature and the jti."""
    issuer = provider_app(config).load_server_metadata()["issuer"]
    if claims.get("iss") != issuer:
        raise LogoutTokenError(f"issuer {claims.get('iss')!r} is not {issuer!r}")
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else audiences or []
    if config.client_id not in audiences:
        raise LogoutTokenError(f"audience {claims.get('aud')!r} is not this client")
    _times_check(claims)
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise LogoutTokenError("no back-channel logout event")
    if "nonce" in claims:
        raise LogoutTokenError("a logout token must not have a nonce")
    if not (_text(claims.get("sid")) or _text(claims.get("sub"))):
        raise LogoutTokenError("neither sid nor sub")
    if not _text(claims.get("jti")):
        raise LogoutTokenError("no jti")


def _times_check(claims: dict) -> None:
    now, iat, exp = time.time(), claims.get("iat"), claims.get("exp")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        raise LogoutTokenError("no iat")
    if iat > now + CLOCK_SKEW or iat < now - LOGOUT_TOKEN_MAX_AGE:
        raise LogoutTokenError("issued too long ago or in the future")
    if exp is not None and (not isinstance(exp, (int, float)) or exp < now - CLOCK_SKEW):
        raise LogoutTokenError("expired")


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def sso_sessions_end(*, config: OidcConfig, claims: dict, request=None) -> int:
    """End the sessions a verified logout token names; how many. A replayed jti is refused.

    With a `sid`, that session (of that `sub`, when given); with only a `sub`, every session of
    the person at this provider. One audit event per person concerned.
    """
    issuer, sid, subject = claims["iss"], _text(claims.get("sid")), _text(claims.get("sub"))
    try:
        with transaction.atomic():
            _jti_remember(issuer, claims["jti"])
            sessions = SsoSession.objects.filter(issuer=issuer, ended_at__isnull=True)
            sessions = sessions.filter(sid=sid) if sid else sessions
            sessions = sessions.filter(subject=subject) if subject else sessions
            users = _users(sessions, issuer, subject)
            ended = sessions.update(ended_at=timezone.now())
            for user in users.values():
                audit_record(kind=AuditKind.SIGN_OUT, target=user, request=request, details={
                    "method": "oidc_backchannel", "sid": sid, "sessions_ended": ended})
    except IntegrityError as error:
        raise LogoutTokenError("this logout token was already used (jti)") from error
    return ended


def _jti_remember(issuer: str, jti: str) -> None:
    """Record the jti (a second one fails the unique constraint) and forget expired ones."""
    SsoLogoutToken.objects.filter(
        received_at__lt=timezone.now() - timedelta(seconds=LOGOUT_TOKEN_MAX_AGE * 2)).delete()
    with transaction.atomic():
        SsoLogoutToken.objects.create(issuer=issuer, jti=jti[:255])


def _users(sessions, issuer: str, subject: str) -> dict:
    """The people the token is about: those of the sessions, or the subject's account."""
    from django.contrib.auth import get_user_model

    ids = set(sessions.values_list("user_id", flat=True))
    if subject:
        ids |= set(SsoIdentity.objects.filter(issuer=issuer, subject=subject)
                   .values_list("user_id", flat=True))
    return {user.pk: user for user in get_user_model().objects.filter(pk__in=ids)}
