"""Sign-in throttling and lock-out, with django-axes counting failures in the database.

Two limits: AXES_FAILURE_LIMIT failures for one user name (guessing one password), and the
higher OPSDESK_LOGIN_IP_FAILURE_LIMIT from one address (trying many names: password spraying;
higher because a whole office may sit behind one NAT address). Either locks for
AXES_COOLOFF_TIME after the last failure. Failures during the lock are not counted, so the
"try again at" time shown stays true. Every failure, LDAP ones included, reaches axes through
Django's user_login_failed signal, so the count is the same whichever backend refused.
"""

from datetime import datetime

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import Max, Q, Sum
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out user name or address before any password is checked.

    A call without a request (scripts, the test client's login()) cannot be throttled by
    address and comes from no browser, so it passes on to the other backends.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LockoutHandler(AxesDatabaseHandler):
    """Counts by user name and by address separately, each against its own limit."""

    def get_failures(self, request, credentials=None) -> int:
        # AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]: one queryset for each.
        by_username, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials))
        # Axes compares one number with AXES_FAILURE_LIMIT: scale the address count so it
        # reaches that limit exactly when it reaches the address limit.
        account_limit = settings.AXES_FAILURE_LIMIT
        address_limit = max(settings.OPSDESK_LOGIN_IP_FAILURE_LIMIT, 1)
        return max(by_username, by_address * account_limit // address_limit)


def username_of(request, credentials) -> str | None:
    """The user name failures are counted under: case and spaces do not make a new one."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    return username.strip().casefold() if isinstance(username, str) else None


def client_ip(request) -> str:
    """The client's address: the peer's, or the one OPSDESK_LOGIN_PROXY_COUNT proxies saw.

    Only the entries our own proxies appended are trusted; a client can prepend anything.
    """
    count = settings.OPSDESK_LOGIN_PROXY_COUNT
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                 if p.strip()]
    if count > 0 and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")


def locked_until(*, username: str | None, ip_address: str) -> datetime | None:
    """When the newest failure counted for this name or address stops counting."""
    cool_off = get_cool_off()
    if cool_off is None:
        return None
    since = timezone.now() - cool_off
    match = Q(ip_address=ip_address)
    if username:
        match |= Q(username=username)
    last = AccessAttempt.objects.filter(match, attempt_time__gte=since).aggregate(
        last=Max("attempt_time"))["last"]
    return last + cool_off if last else None


def lockout_response(request, original_response=None, credentials=None):
    """The sign-in page again, status 429, saying until when sign-in is refused."""
    from .forms import SignInForm

    username = username_of(request, credentials)
    until = locked_until(username=username, ip_address=client_ip(request))
    if until is None:
        message = _("Too many failed sign-in attempts. Ask an administrator to unlock it.")
    else:
        minutes = max(1, round((until - timezone.now()).total_seconds() / 60))
        message = _("Too many failed sign-in attempts. Try again after %(time)s (in about "
                    "%(minutes)d minutes), or ask an administrator to unlock it.") % {
            "time": formats.time_format(timezone.localtime(until), "H:i"), "minutes": minutes}
    form = SignInForm(request, initial={"username": (credentials or {}).get("username", "")})
    response = render(request, "registration/login.html", {
        "form": form, "lockout_message": message, "next": request.POST.get("next", "")},
        status=settings.AXES_HTTP_RESPONSE_CODE)
    if until is not None:
        response["Retry-After"] = str(max(1, int((until - timezone.now()).total_seconds())))
    return response


def sign_in_unlock(*, username: str) -> int:
    """Forget the failures counted for this user name; return how many records went."""
    return reset(username=username.strip().casefold())
