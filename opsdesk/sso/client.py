"""The provider, through Authlib: discovery, the authorization request, the code exchange.

Authlib does the protocol and the cryptography: PKCE (S256), state kept in the session, the
nonce, the ID token's signature against the provider's JWKS (fetched again when a new key id
appears, which is how providers rotate keys), and the claims. Three things it leaves to the
caller are done here: the audience is checked (Authlib only checks `azp`), the discovery
document must name the configured issuer (OpenID Connect Discovery §4.3: no mix-up between
providers), and only asymmetric signatures are accepted (an HS256 token would be signed with
our own client secret, which is not how a provider proves who it is).
"""

import logging
import threading
import time

import requests
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, DjangoIntegration
from joserfc.errors import JoseError

from .conf import OidcConfig

logger = logging.getLogger(__name__)

METADATA_MAX_AGE = 3600  # seconds: the discovery document and keys are read again after this
ASYMMETRIC_ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                         "ES256", "ES384", "ES512", "EdDSA"}


class SsoError(Exception):
    """A sign-in that cannot go on; `reason` picks the message and status of the error page."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class ProviderApp(DjangoOAuth2App):
    """Authlib's Django client whose discovery document expires and must name our issuer."""

    def __init__(self, config: OidcConfig):
        super().__init__(
            DjangoIntegration("opsdesk_oidc"), name="opsdesk_oidc",
            client_id=config.client_id, client_secret=config.client_secret or None,
            server_metadata_url=config.discovery_url,
            client_kwargs={
                "scope": config.scopes, "code_challenge_method": "S256",
                "default_timeout": config.timeout,
                "token_endpoint_auth_method":
                    "client_secret_basic" if config.client_secret else "none",
            })
        self.config = config
        self._metadata_lock = threading.Lock()

    def load_server_metadata(self):
        with self._metadata_lock:
            if time.time() - self.server_metadata.get("_loaded_at", 0) > METADATA_MAX_AGE:
                self.server_metadata.clear()
            metadata = super().load_server_metadata()
            if metadata.get("issuer", "").rstrip("/") != self.config.issuer.rstrip("/"):
                self.server_metadata.clear()
                raise SsoError("misconfigured",
                               f"discovery names issuer {metadata.get('issuer')!r}")
            algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
            metadata["id_token_signing_alg_values_supported"] = [
                alg for alg in algorithms if alg in ASYMMETRIC_ALGORITHMS]
            return metadata


_apps: dict[OidcConfig, ProviderApp] = {}
_apps_lock = threading.Lock()


def provider_app(config: OidcConfig) -> ProviderApp:
    """One client per configuration, so discovery and keys are fetched once, not per sign-in."""
    with _apps_lock:
        if config not in _apps:
            _apps[config] = ProviderApp(config)
        return _apps[config]


def authorization_redirect(request, config: OidcConfig, redirect_uri: str):
    """The redirect to the provider's authorization endpoint; state, nonce, PKCE in the session."""
    try:
        return provider_app(config).authorize_redirect(request, redirect_uri)
    except requests.RequestException as error:
        raise SsoError("unavailable", str(error)) from error
    except ValueError as error:  # a discovery document that is not JSON
        raise SsoError("unavailable", str(error)) from error


def authorization_complete(request, config: OidcConfig) -> tuple[dict, str, str]:
    """The verified claims (ID token, then userinfo), the raw ID token and the refresh token
    ("" when the provider gave none) of the callback."""
    app = provider_app(config)
    try:
        token = app.authorize_access_token(request, claims_options=_claims_options(app, config))
        if "userinfo" not in token:
            raise SsoError("invalid_token", "the provider sent no ID token")
        claims = dict(token["userinfo"])
        claims.update(_userinfo(app, token, claims["sub"]))
    except MismatchingStateError as error:
        raise SsoError("state", str(error)) from error
    except OAuthError as error:
        reason = "denied" if error.error in ("access_denied", "consent_required") else "refused"
        raise SsoError(reason, f"{error.error}: {error.description}") from error
    except JoseError as error:
        raise SsoError("invalid_token", f"{type(error).__name__}: {error}") from error
    except (requests.RequestException, ValueError) as error:
        raise SsoError("unavailable", str(error)) from error
    return claims, token["id_token"], str(token.get("refresh_token") or "")


def _claims_options(app: ProviderApp, config: OidcConfig) -> dict:
    issuer = app.load_server_metadata()["issuer"]
    return {"iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": config.client_id},
            "exp": {"essential": True}}


def _userinfo(app: ProviderApp, token: dict, subject: str) -> dict:
    """The userinfo endpoint's claims, when the provider has one (often richer than the token)."""
    if not app.load_server_metadata().get("userinfo_endpoint"):
        return {}
    userinfo = dict(app.userinfo(token=token))
    if userinfo.get("sub") != subject:  # OpenID Connect Core §5.3.2: must not be used then
        raise SsoError("invalid_token", "userinfo is about another subject")
    return {key: value for key, value in userinfo.items() if key not in ("iss", "aud", "sub")}


def end_session_url(config: OidcConfig, id_token: str, post_logout_redirect_uri: str) -> str:
    """The provider's end-session URL (RP-initiated logout), or "" if it has none or is down."""
    try:
        endpoint = provider_app(config).load_server_metadata().get("end_session_endpoint")
    except (requests.RequestException, ValueError, SsoError) as error:
        logger.warning("single sign-on: no logout at the provider: %s", error)
        return ""
    if not endpoint:
        return ""
    return add_params_to_uri(endpoint, {"id_token_hint": id_token, "client_id": config.client_id,
                                        "post_logout_redirect_uri": post_logout_redirect_uri})
