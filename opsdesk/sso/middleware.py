"""Sign-out at the provider too, and the sign-in page's redirect when SSO is the only way in."""

from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.urls import reverse

from .conf import oidc_config

END_SESSION_ATTRIBUTE = "sso_end_session_url"  # set by signals.end_session_remember
END_SESSION_KEY = "sso_end_session_url"        # kept in the new, empty session for views.sso_logout


class SingleSignOnMiddleware:
    """Two redirects that the shared sign-in and sign-out views cannot know about.

    - After a local sign-out of someone who came by SSO, the browser goes on to the provider's
      end-session endpoint (RP-initiated logout), which sends it back to our sign-in page.
      It goes through our own /sso/logout/ page: the sign-out is a form post, and the
      Content-Security-Policy's form-action 'self' forbids a form post that redirects to
      another site, so that page moves on to the provider with a meta refresh and a link.
    - With OPSDESK_OIDC_ONLY, opening the sign-in page goes straight to the provider;
      `?local=1` keeps the password form for administrators (break-glass).

    Before those, a session whose SsoSession a back-channel logout ended is signed out: one
    primary-key query per request of an SSO session, so the logout takes effect at once in
    every web process and with any session backend. With OPSDESK_OIDC_ROLES_RECHECK_SECONDS,
    a session whose roles are due is checked again at the provider (recheck.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._ended_session_sign_out(request)
        if request.method == "GET" and "local" not in request.GET and self._is_login(request):
            config = oidc_config()
            if config is not None and config.only and not request.user.is_authenticated:
                query = urlencode({"next": request.GET["next"]}) if "next" in request.GET else ""
                return HttpResponseRedirect(reverse("sso:login") + (f"?{query}" if query else ""))
        response = self.get_response(request)
        end_session = getattr(request, END_SESSION_ATTRIBUTE, "")
        if end_session and response.status_code in (301, 302, 303):
            request.session[END_SESSION_KEY] = end_session
            response = HttpResponseRedirect(reverse("sso:logout"))
        return response

    @staticmethod
    def _ended_session_sign_out(request) -> None:
        """Sign out a session the provider ended; check its roles again when they are due."""
        from .models import SsoSession
        from .recheck import sso_session_recheck, sso_session_recheck_due
        from .signals import SESSION_KEY

        record = request.session.get(SESSION_KEY) or {}
        if not isinstance(record, dict) or not record.get("session"):
            return
        sso_session = SsoSession.objects.filter(pk=record["session"]).first()
        ended = sso_session is None or sso_session.ended_at is not None
        config = oidc_config()
        if not ended and config is not None and sso_session_recheck_due(
                config=config, sso_session=sso_session):
            ended = not sso_session_recheck(config=config, sso_session=sso_session,
                                            user=request.user)
        if ended:
            del request.session[SESSION_KEY]  # the provider has signed them out already
            logout(request)

    @staticmethod
    def _is_login(request) -> bool:
        return request.path == reverse("web:login")
