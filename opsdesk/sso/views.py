"""The two ends of the sign-in: off to the provider, and back from it."""

import logging

from django.conf import settings
from django.contrib.auth import login, user_login_failed
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import client, logout, services
from .backends import OidcBackend
from .client import SsoError
from .conf import oidc_config
from .errors import error_page
from .middleware import END_SESSION_KEY
from .signals import SESSION_KEY

logger = logging.getLogger(__name__)
BACKEND = f"{OidcBackend.__module__}.{OidcBackend.__qualname__}"
NEXT_KEY = "sso_next"
AMR_KEY = "opsdesk_sso_amr"  # the contract with opsdesk.mfa (selectors.SSO_AMR)


def _configured():
    config = oidc_config()
    if config is None:
        raise Http404("single sign-on is not configured")
    return config


@never_cache
@require_GET
def sso_login(request):
    """Send the browser to the provider; where to go afterwards waits in the session."""
    config = _configured()
    request.session[NEXT_KEY] = _safe_next(request, request.GET.get("next", ""))
    try:
        return client.authorization_redirect(
            request, config, request.build_absolute_uri(reverse("sso:callback")))
    except SsoError as error:
        return _failed(request, config, error)


@never_cache
@require_GET
def sso_callback(request):
    """The provider's answer: verify it, find the account, sign in, go on to `next`."""
    config = _configured()
    claims: dict = {}
    try:
        claims, id_token, refresh_token = client.authorization_complete(request, config)
        user = services.sso_user_sign_in(config=config, claims=claims)
    except SsoError as error:
        return _failed(request, config, error, claims)
    next_url = request.session.pop(NEXT_KEY, "") or resolve_url(settings.LOGIN_REDIRECT_URL)
    user.backend = BACKEND  # as authenticate() marks a user: listeners of user_logged_in read it
    login(request, user)
    _session_record(request, config, claims, id_token, user, refresh_token)
    return redirect(next_url)


def _session_record(request, config, claims: dict, id_token: str, user,
                    refresh_token: str) -> None:
    """What later requests need to know about this sign-in.

    The ID token is the id_token_hint of the provider's sign-out. `amr` (RFC 8176: how the
    provider authenticated the person) is kept for the MFA step (opsdesk/mfa/selectors.py),
    which decides whether the provider's second factor counts; it reads AMR_KEY or the record.
    `session` is the SsoSession a back-channel logout ends (by the token's sid or sub).
    """
    amr = [str(method) for method in claims.get("amr") or [] if isinstance(method, str)]
    sso_session = services.sso_session_start(
        config=config, user=user, claims=claims, refresh_token=refresh_token)
    request.session[SESSION_KEY] = {
        "issuer": config.issuer, "sub": str(claims["sub"]), "id_token": id_token,
        "amr": amr, "acr": str(claims.get("acr") or ""), "auth_time": claims.get("auth_time"),
        "session": sso_session.pk,
    }
    request.session[AMR_KEY] = amr


def _safe_next(request, next_url: str) -> str:
    """`next` if it stays on this site, else "" (no open redirect through the sign-in)."""
    allowed = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return next_url if next_url and allowed else ""


def _failed(request, config, error: SsoError, claims: dict | None = None):
    """Tell listeners (the audit log, lock-out) and the person; never a 500."""
    claims = claims or {}
    username = str(claims.get(config.match_claim) or claims.get("preferred_username") or "")
    logger.warning("single sign-on failed (%s) for %r: %s", error.reason, username, error.detail)
    user_login_failed.send(
        sender=OidcBackend, request=request,
        credentials={"username": username, "method": "oidc", "reason": error.reason})
    if error.reason == "name_conflict":
        services.name_conflict_audit(config=config, claims=claims, request=request)
    return error_page(request, config, error.reason)


@never_cache
@require_GET
def sso_logout(request):
    """After the local sign-out: on to the provider's sign-out, which sends the browser back.

    The Refresh header moves on at once; the link is for a browser that ignores it.
    """
    end_session = request.session.pop(END_SESSION_KEY, "")
    if not end_session:
        return redirect(settings.LOGOUT_REDIRECT_URL or settings.LOGIN_URL)
    response = render(request, "sso/logout.html", {"end_session": end_session})
    response["Refresh"] = f"0;url={end_session}"  # a header: no inline script, no form post
    return response


@csrf_exempt  # a server-to-server POST without cookies: the signed logout token is the proof
@require_POST
@never_cache
def sso_backchannel_logout(request):
    """The provider's back-channel logout (OpenID Connect Back-Channel Logout 1.0, §2.5, §2.8).

    200 when the token is valid (whether or not a session matched), 400 with an OAuth error
    body when it is not, 503 when the provider's keys cannot be fetched (it may retry).
    """
    config = _configured()
    token = request.POST.get("logout_token", "")
    try:
        claims = logout.logout_token_verify(config=config, token=token)
        ended = logout.sso_sessions_end(config=config, claims=claims, request=request)
    except logout.LogoutTokenError as error:
        logger.warning("back-channel logout refused: %s", error)
        return JsonResponse({"error": "invalid_request", "error_description": str(error)},
                            status=400)
    except SsoError as error:
        logger.warning("back-channel logout impossible: %s", error.detail)
        return JsonResponse({"error": "temporarily_unavailable"}, status=503)
    logger.info("back-channel logout: %s session(s) ended", ended)
    return JsonResponse({"sessions_ended": ended})
