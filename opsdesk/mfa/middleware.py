"""Nothing works for a signed-in session until it has passed multi-factor sign-in.

Installed right after django-otp's OTPMiddleware (which installs `request.user.is_verified()`).
A person who signed in with a password (local or LDAP) and has an authenticator is sent to
/mfa/verify/; one whose role requires multi-factor sign-in and who has no authenticator yet is
sent to enrolment at /mfa/. Until then only these pages answer: the verify page (and enrolment,
when that is the step), signing out, switching the language and static files.

API calls are not sent anywhere: a request with an API token (`Authorization: Bearer`) is its
own factor and is authenticated by the API. A browser session that has not passed counts as no
session at all for the API (its user becomes anonymous here), so the session cannot be used to
get around the verify page, and a bad token cannot fall back to it either.

Single sign-on: see `selectors.SSO_AMR` for the session key the OIDC app sets and
`selectors.sso_satisfies` for when the administrator lets it count.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from .selectors import VERIFIED_AT_START, pending_step

API_PREFIX = "/api/"
# Views that answer whatever the step: signing out (here, in the admin, single sign-on) and
# switching the language.
ALWAYS_OPEN = frozenset({"web:logout", "admin:logout", "sso:logout", "set_language",
                         "mfa:verify"})
OPEN_WHILE_ENROLLING = frozenset({"mfa:index", "mfa:setup"})


class MfaMiddleware:
    """Redirect a signed-in session that still owes a second factor (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Only with a session cookie: reading an empty session would add "Vary: Cookie".
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            setattr(request, VERIFIED_AT_START, DEVICE_ID_SESSION_KEY in request.session)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(API_PREFIX):
            self._api_session_only_when_passed(request)
            return None
        if not request.user.is_authenticated or self._is_static(request):
            return None
        step = pending_step(request)
        if step is None or self._open_for(request, step):
            return None
        return self._send_to(request, step)

    @staticmethod
    def _api_session_only_when_passed(request) -> None:
        """A session still owing its second factor does not authenticate API calls."""
        if request.user.is_authenticated and pending_step(request) is not None:
            request.user = AnonymousUser()

    @staticmethod
    def _is_static(request) -> bool:
        return bool(settings.STATIC_URL) and request.path_info.startswith(
            "/" + settings.STATIC_URL.lstrip("/"))

    @staticmethod
    def _open_for(request, step: str) -> bool:
        name = request.resolver_match.view_name if request.resolver_match else ""
        return name in ALWAYS_OPEN or (step == "enrol" and name in OPEN_WHILE_ENROLLING)

    @staticmethod
    def _send_to(request, step: str) -> HttpResponse:
        """To the step's page, coming back here after it (for a page that was asked for).

        Sets `request.mfa_refused` so later middleware (the audit log) can tell this redirect
        from one answering a saved form: nothing was done."""
        request.mfa_refused = True
        url = reverse("mfa:verify" if step == "verify" else "mfa:index")
        if request.method == "GET" and not getattr(request, "htmx", False):
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
