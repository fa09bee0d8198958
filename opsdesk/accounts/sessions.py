"""Session policy: idle and absolute timeouts, and "sign out everywhere".

The sign-in time and the last-seen time are kept in the session itself, so the policy works
with any session backend and with several web processes. The last-seen time is written only
after a twentieth of the idle limit has passed (24 min of 8 h; at least a minute), so page
views do not save the session on every request; an idle sign-out may come that much early.
Signing out everywhere changes the user's session hash (User._get_session_auth_hash): Django
then refuses every other session on its next request, whatever backend stores it. The list of
a person's sessions and signing out one of them: usersessions.py (this middleware calls it).
"""

import time
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from . import usersessions
from .models import User
from .signals import sessions_revoked

SIGNED_IN_AT = "opsdesk_signed_in_at"
SEEN_AT = "opsdesk_seen_at"


@receiver(user_logged_in, dispatch_uid="opsdesk.accounts.sessions.stamp")
def _stamp_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now


def session_expiry_reason(session, now: float) -> str | None:
    """Why this session is over ("idle" or "absolute"), or None while it is still good."""
    signed_in_at = session.get(SIGNED_IN_AT)
    seen_at = session.get(SEEN_AT, signed_in_at)
    if signed_in_at is None:
        return None  # a session from before this policy: stamped on its next request
    if now - signed_in_at > settings.OPSDESK_SESSION_MAX_SECONDS:
        return "absolute"
    if now - seen_at > settings.OPSDESK_SESSION_IDLE_SECONDS:
        return "idle"
    return None


class SessionPolicyMiddleware:
    """Signs out a session that sat idle too long, outlived the absolute limit or was signed
    out singly from the sessions list (usersessions.py, no extra query).

    The request then goes on anonymous: pages send the person to sign in again (with a
    message saying why), the API answers 401.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and self._expired(request):
            if request.headers.get("HX-Request") == "true":
                return _htmx_to_sign_in(request)
        response = self.get_response(request)
        if request.user.is_authenticated:  # the key may have been cycled: the row follows it
            usersessions.user_session_key_sync(request=request)
        return response

    def _expired(self, request) -> bool:
        """Sign out and say why if the session is over; else note that it was seen."""
        now = time.time()
        reason = session_expiry_reason(request.session, now)
        if reason is None and usersessions.user_session_is_ended(request=request):
            reason = "ended"
        if reason is not None:
            logout(request)
            messages.info(request, _EXPIRED[reason]())
            return True
        if SIGNED_IN_AT not in request.session:
            request.session[SIGNED_IN_AT] = int(now)
        if usersessions.SESSION_ID not in request.session:  # signed in before the list existed
            usersessions.user_session_start(request=request, user=request.user,
                                            signed_in_at=request.session[SIGNED_IN_AT])
        if now - request.session.get(SEEN_AT, 0) >= seen_write_every():
            request.session[SEEN_AT] = int(now)
            usersessions.user_session_seen(request=request, now=now)
        return False


def seen_write_every() -> int:
    """How often the last-seen time is written (session and sessions list): 1/20 idle."""
    return max(60, settings.OPSDESK_SESSION_IDLE_SECONDS // 20)


def _htmx_to_sign_in(request) -> HttpResponse:
    """htmx would swap the sign-in page into a fragment: send the whole page there instead."""
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    back = current.path + (f"?{current.query}" if current.query else "")
    url = resolve_url(settings.LOGIN_URL)
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        url += "?" + urlencode({"next": back})
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


_EXPIRED = {
    "idle": lambda: _("You were signed out after a while without activity. Sign in again."),
    "absolute": lambda: _("Your session reached its time limit. Sign in again."),
    "ended": lambda: _("This session was signed out from another session or by an "
                       "administrator. Sign in again."),
}


def sessions_revoke(*, user: User, by: User | None = None, request=None) -> None:
    """End every session of `user`; keep the current one when `request` is the user's own."""
    user.sessions_revoked_at = timezone.now()
    user.save(update_fields=["sessions_revoked_at"])
    keep = None
    if request is not None and getattr(request, "user", None) is not None \
            and request.user.pk == user.pk:
        request.user.sessions_revoked_at = user.sessions_revoked_at
        update_session_auth_hash(request, request.user)
        keep = usersessions.user_session_current_id(request=request)
    usersessions.user_sessions_forget(user=user, keep_id=keep)
    sessions_revoked.send(sender=User, user=user, by=by, request=request)
