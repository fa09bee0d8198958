"""Roles checked again during a long SSO session, without the person: the refresh token grant.

Sign-in syncs the roles; a session may then last a working day. With
OPSDESK_OIDC_ROLES_RECHECK_MINUTES set, a session whose roles were checked longer ago than that
asks the provider again on its next request: the refresh token (kept encrypted in SsoSession)
buys a new access token, and userinfo's groups claim gives the roles (the same mapping as at
sign-in, for the accounts single sign-on manages). A provider that refuses the refresh token
(the person was disabled, or their provider session revoked) ends the session; a provider that
cannot be reached leaves the session as it is until the next interval.
"""

import logging

import requests
from authlib.integrations.base_client import OAuthError
from django.db import transaction
from django.utils import timezone

from . import services
from .client import SsoError, provider_app
from .conf import OidcConfig
from .models import SsoSession

logger = logging.getLogger(__name__)


def sso_session_recheck_due(*, config: OidcConfig, sso_session: SsoSession) -> bool:
    """Whether this session's roles should be asked for again now."""
    if not config.roles_recheck_seconds or not sso_session.refresh_token:
        return False
    checked = sso_session.roles_checked_at or sso_session.created_at
    return (timezone.now() - checked).total_seconds() >= config.roles_recheck_seconds


def sso_session_recheck(*, config: OidcConfig, sso_session: SsoSession, user) -> bool:
    """Refresh the person's fields and roles from the provider; False when it refused them.

    The new refresh token replaces the old one (providers rotate them).
    """
    try:
        token = _refresh(config, sso_session.refresh_token)
        claims = _userinfo(config, token, sso_session.subject)
    except OAuthError as error:
        logger.warning("single sign-on: %s's refresh token refused (%s): session ended",
                       user, error.error)
        SsoSession.objects.filter(pk=sso_session.pk).update(ended_at=timezone.now())
        return False
    except (requests.RequestException, ValueError, SsoError) as error:
        logger.warning("single sign-on: roles of %s not checked, provider unavailable: %s",
                       user, error)
        _checked(sso_session, sso_session.refresh_token)
        return True
    with transaction.atomic():
        services.sso_claims_apply(config=config, user=user, claims=claims)
        _checked(sso_session, str(token.get("refresh_token") or sso_session.refresh_token))
    return True


def _refresh(config: OidcConfig, refresh_token: str) -> dict:
    app = provider_app(config)
    metadata = app.load_server_metadata()
    with app._get_oauth_client(**metadata) as session:  # Authlib's configured client session
        token = session.refresh_token(metadata["token_endpoint"], refresh_token=refresh_token)
    if "error" in token:
        raise OAuthError(error=token["error"], description=token.get("error_description"))
    return dict(token)


def _userinfo(config: OidcConfig, token: dict, subject: str) -> dict:
    claims = dict(provider_app(config).userinfo(token=token))
    if str(claims.get("sub")) != subject:
        raise SsoError("invalid_token", "userinfo is about another subject")
    return claims


def _checked(sso_session: SsoSession, refresh_token: str) -> None:
    sso_session.refresh_token, sso_session.roles_checked_at = refresh_token, timezone.now()
    sso_session.save(update_fields=["refresh_token", "roles_checked_at", "updated_at"])
