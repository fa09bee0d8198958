"""The list of a person's signed-in sessions ("Your sessions"), and signing out one of them.

Why our own small model and not django-user-sessions: that library *is* a session backend (a
database table keyed by the raw session key), so it rules out the cache backend and Redis,
stores the credential itself, saves the row on every request, and its last release (2022)
predates Django 5.2. Ours sits beside whatever SESSION_ENGINE is configured:

- `UserSession` rows hold the SHA-256 of the session key, never the key. The session data holds
  the row's id, which survives the key being cycled (sign-in, multi-factor verification, "sign
  out everywhere else", a password change); the middleware notices a new key at the end of the
  request and writes its digest, so the row follows the session.
- Ending one session must work without the raw key (which we do not keep), with any backend and
  any number of web processes. The ended row's id is appended to `User.sessions_ended`; the
  user row is read by Django's authentication on every request anyway, so the middleware's
  check costs no query, and the next request with that cookie is signed out and its session
  data flushed from the backend. Entries older than the absolute session limit are pruned:
  such a session has expired anyway.
- `last_seen_at` is written with the session's own last-seen stamp (a twentieth of the idle
  limit), never on every request. Sign-out and expiry delete the row; `user_sessions_cleanup`
  (the periodic loop, hourly) deletes rows of sessions that ended without a request to notice.
"""

import ipaddress
import time
from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from .lockout import client_ip
from .models import User, UserSession
from .signals import password_changed, sessions_revoked

SESSION_ID = "opsdesk_session_id"        # the UserSession row's id, in the session data
KEY_DIGEST = "opsdesk_session_digest"    # the digest of the session key the row last knew


# ---- selectors ------------------------------------------------------------------------------

def user_session_list(*, user: User) -> list[UserSession]:
    """The person's sessions, most recently active first."""
    return list(UserSession.objects.filter(user=user).order_by("-last_seen_at", "-created_at"))


def user_session_current_id(*, request) -> str | None:
    """The id of the row of the request's own session (None before it is tracked)."""
    return request.session.get(SESSION_ID)


def user_session_is_ended(*, request) -> bool:
    """Was this session signed out singly? Reads only the user row already loaded."""
    current = request.session.get(SESSION_ID)
    return bool(current) and any(
        entry[0] == current for entry in request.user.sessions_ended or [])


def user_session_device(session: UserSession) -> str:
    """"Chrome 126 on Windows 10" in the reader's language (product names stay as they are)."""
    browser = session.browser or _("Unknown browser")
    system = session.os or _("unknown system")
    if session.device:
        return _("%(browser)s on %(os)s (%(device)s)") % {
            "browser": browser, "os": system, "device": session.device}
    return _("%(browser)s on %(os)s") % {"browser": browser, "os": system}


# ---- services -------------------------------------------------------------------------------

def user_session_start(*, request, user: User, signed_in_at: float | None = None) -> UserSession:
    """Record the request's session as one of `user`'s and remember the row in the session."""
    from .useragents import user_agent_parse

    agent = request.META.get("HTTP_USER_AGENT", "")[:400]
    parsed = user_agent_parse(agent)
    stamp = _aware(signed_in_at) if signed_in_at else timezone.now()
    row = UserSession.objects.create(
        user=user, key_digest=_key_digest(request), user_agent=agent,
        browser=parsed.browser, os=parsed.os, device=parsed.device,
        ip_address=_ip(request), created_at=stamp, last_seen_at=timezone.now())
    request.session[SESSION_ID] = str(row.pk)
    request.session[KEY_DIGEST] = row.key_digest
    return row


def user_session_seen(*, request, now: float) -> None:
    """Note that the session was active (called as often as the session's last-seen stamp)."""
    updated = UserSession.objects.filter(pk=request.session.get(SESSION_ID),
                                         user=request.user).update(
        last_seen_at=_aware(now), ip_address=_ip(request))
    if not updated:  # the row went (cleanup, a password change): the session lives on
        user_session_start(request=request, user=request.user,
                           signed_in_at=request.session.get("opsdesk_signed_in_at"))


def user_session_key_sync(*, request) -> None:
    """After a request that cycled the session key, point the row at the new key's digest."""
    if SESSION_ID not in request.session:
        return
    digest = _key_digest(request)
    if request.session.get(KEY_DIGEST) == digest:
        return
    updated = UserSession.objects.filter(pk=request.session[SESSION_ID],
                                         user=request.user).update(key_digest=digest)
    if updated:
        request.session[KEY_DIGEST] = digest
    else:
        user_session_start(request=request, user=request.user,
                           signed_in_at=request.session.get("opsdesk_signed_in_at"))


def user_session_end(*, session: UserSession, by: User, request=None) -> None:
    """Sign out one session: its next request is anonymous, whatever backend stores it.

    The user row is locked while the ended id is appended, so two administrators ending two
    sessions of one person at once both count. The audit log hears `sessions_revoked`.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=session.user_id)
        now = time.time()
        keep_after = now - settings.OPSDESK_SESSION_MAX_SECONDS
        ended = [e for e in user.sessions_ended or [] if e[1] > keep_after]
        user.sessions_ended = ended + [[str(session.pk), int(now)]]
        user.save(update_fields=["sessions_ended"])
        described = f"{user_session_device(session)}, {session.ip_address or '?'}"
        UserSession.objects.filter(pk=session.pk).delete()
        sessions_revoked.send(sender=User, user=user, by=by, request=request,
                              method="one session", session=described)


def user_sessions_forget(*, user: User, keep_id: str | None = None) -> int:
    """Delete the person's rows, but `keep_id`'s: those sessions were ended another way."""
    rows = UserSession.objects.filter(user=user)
    if keep_id:
        rows = rows.exclude(pk=keep_id)
    return rows.delete()[0]


def user_sessions_cleanup(*, now: datetime | None = None) -> int:
    """Delete the rows of sessions past the idle or the absolute limit (the periodic loop).

    The idle cut-off allows one last-seen interval more than the limit, because the row's
    time is written only that often.
    """
    from .sessions import seen_write_every

    now = now or timezone.now()
    idle = timedelta(seconds=settings.OPSDESK_SESSION_IDLE_SECONDS + seen_write_every())
    absolute = timedelta(seconds=settings.OPSDESK_SESSION_MAX_SECONDS)
    return UserSession.objects.filter(
        Q(last_seen_at__lt=now - idle) | Q(created_at__lt=now - absolute)).delete()[0]


# ---- signals: signing in and out, a new password ------------------------------------------

@receiver(user_logged_in, dispatch_uid="opsdesk.accounts.usersessions.start")
def _on_signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        if previous := request.session.get(SESSION_ID):  # signing in again over a session
            UserSession.objects.filter(pk=previous).delete()
        user_session_start(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="opsdesk.accounts.usersessions.forget")
def _on_signed_out(sender, request, user, **kwargs):
    current = request.session.get(SESSION_ID) if request is not None else None
    if current and user is not None:
        UserSession.objects.filter(pk=current, user=user).delete()


@receiver(password_changed, dispatch_uid="opsdesk.accounts.usersessions.password")
def _on_password_changed(sender, user, **kwargs):
    # Django's session hash changed: every session ends. The one the person changed it from
    # keeps going (update_session_auth_hash) and gets a new row at the end of that request.
    if user.pk is not None:
        user_sessions_forget(user=user)


# ---- helpers --------------------------------------------------------------------------------

def _key_digest(request) -> str:
    key = request.session.session_key
    return UserSession.digest_of(key) if key else ""


def _ip(request) -> str | None:
    """The client's address, or None when it is no address (a proxy header can say anything)."""
    try:
        return str(ipaddress.ip_address(client_ip(request).strip()))
    except ValueError:
        return None


def _aware(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=dt_timezone.utc)
