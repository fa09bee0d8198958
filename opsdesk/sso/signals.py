"""Receivers of Django's auth signals (connected in apps.SsoConfig.ready)."""

from django.conf import settings
from django.shortcuts import resolve_url

from .client import end_session_url
from .conf import oidc_config
from .middleware import END_SESSION_ATTRIBUTE

SESSION_KEY = "sso"  # the session's record of an SSO sign-in: issuer, sub, id_token, amr, acr


def end_session_remember(sender, request, user, **kwargs):
    """On sign-out, before the session is flushed: where the provider's sign-out is.

    The ID token is the id_token_hint the provider wants; it lives in the session that
    logout() is about to flush, so the URL is worked out now and kept on the request for
    SingleSignOnMiddleware.
    """
    if request is None or not ({"HTTP_HOST", "SERVER_NAME"} & set(request.META)):
        return  # a sign-out without a browser request (a script, Client.logout()): nothing to do
    data = request.session.get(SESSION_KEY)
    config = oidc_config()
    if not data or config is None or data.get("issuer") != config.issuer:
        return
    back = request.build_absolute_uri(
        resolve_url(settings.LOGOUT_REDIRECT_URL or settings.LOGIN_URL))
    url = end_session_url(config, data.get("id_token", ""), back)
    if url:
        setattr(request, END_SESSION_ATTRIBUTE, url)
