"""OAuth2 access tokens for mailboxes that sign in with XOAUTH2 (Microsoft 365, Gmail).

Two grants of RFC 6749: client credentials (§4.4), which Microsoft 365 uses for app-only IMAP
access, and refresh token (§6), for Gmail and delegated Microsoft 365 access. The client
authenticates with its id and secret in the form body (client_secret_post), which both accept.

The access token is kept, encrypted, in the mailbox's row until EXPIRY_MARGIN before it
expires, so every worker and the settings page share one token instead of asking for a new
one at each poll. A new one is fetched under a lock on the mailbox's row: two workers never
refresh at once, which matters when the server rotates refresh tokens (Microsoft does): the
second would present a refresh token the first has just used up. A rotated refresh token is
saved in the same short transaction, before the access token is used for anything.

Every failure raises OAuthError with a message that says what the administrator can do.
"""

import ssl
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.netguard import OutboundBlocked, outbound_client, outbound_url_error

from .models import Mailbox

TOKEN_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
EXPIRY_MARGIN = timedelta(seconds=60)
# expires_in is only RECOMMENDED (RFC 6749 §5.1): without it, ask again after a short while.
DEFAULT_LIFETIME = timedelta(minutes=5)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
DESCRIPTION_SHOWN = 300


class OAuthError(Exception):
    """OAuth2 sign-in failed; str() is the reason, written for the administrator."""


def token_url_error(url: str) -> str:
    """Why the token endpoint URL cannot be used, or "": it must be https, except on this
    machine, because the client secret and the refresh token travel in the request; and it
    may not be an internal address unless OPSDESK_OUTBOUND_ALLOW allows it."""
    parts = urlsplit(url or "")
    if parts.scheme == "https" and parts.hostname or (
            parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS):
        return outbound_url_error(url)  # and not an internal address (core/netguard.py)
    return _("The token endpoint must be an https:// address (http:// only to localhost): "
             "the client secret is sent to it.")


def access_token(*, mailbox: Mailbox, refused: str = "") -> str:
    """A current access token for the mailbox: the kept one, or a new one.

    `refused` is a token the IMAP server has just turned down (revoked, or expired before its
    time): it is not handed out again, unless another worker has replaced it meanwhile.
    """
    if not refused and token_kept(mailbox):
        return mailbox.oauth_access_token
    with transaction.atomic():
        row = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        if token_kept(row) and row.oauth_access_token != refused:
            token = row.oauth_access_token
        else:
            token = _fetch(row)
    _copy_token(row, mailbox)
    return token


def access_token_forget(*, mailbox: Mailbox) -> None:
    """Drop the kept access token (the sign-in settings changed)."""
    mailbox.oauth_access_token, mailbox.oauth_access_expires_at = "", None
    Mailbox.objects.filter(pk=mailbox.pk).update(oauth_access_token="",
                                                 oauth_access_expires_at=None)


def token_kept(mailbox: Mailbox) -> bool:
    """Whether the mailbox keeps an access token that is not about to expire."""
    expires = mailbox.oauth_access_expires_at
    return bool(mailbox.oauth_access_token and expires
                and expires - EXPIRY_MARGIN > timezone.now())


def _copy_token(source: Mailbox, target: Mailbox) -> None:
    for name in ("oauth_access_token", "oauth_access_expires_at", "oauth_refresh_token"):
        setattr(target, name, getattr(source, name))


def _fetch(row: Mailbox) -> str:
    """Ask the token endpoint, keep the answer on the locked row, and return the token."""
    answer = _token_request(row)
    lifetime = _lifetime(answer.get("expires_in"))
    row.oauth_access_token = answer["access_token"]
    row.oauth_access_expires_at = timezone.now() + lifetime
    fields = {"oauth_access_token": row.oauth_access_token,
              "oauth_access_expires_at": row.oauth_access_expires_at}
    rotated = answer.get("refresh_token")
    if row.oauth_grant == Mailbox.OAuthGrant.REFRESH_TOKEN and isinstance(rotated, str) \
            and rotated and rotated != row.oauth_refresh_token:
        row.oauth_refresh_token = fields["oauth_refresh_token"] = rotated
    Mailbox.objects.filter(pk=row.pk).update(**fields)
    return row.oauth_access_token


def _lifetime(expires_in) -> timedelta:
    try:
        seconds = int(expires_in)
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME
    return timedelta(seconds=seconds) if seconds > 0 else DEFAULT_LIFETIME


def _token_request(row: Mailbox) -> dict:
    """POST the grant to the token endpoint; the parsed answer, or OAuthError."""
    if message := token_url_error(row.oauth_token_url):
        raise OAuthError(_("OAuth2: %(reason)s") % {"reason": message})
    try:
        with outbound_client(timeout=TOKEN_TIMEOUT, verify=ssl.create_default_context()) as client:
            response = client.post(row.oauth_token_url, data=_grant_form(row),
                                   headers={"Accept": "application/json"})
    except OutboundBlocked as exc:  # an internal address (core/netguard.py)
        raise OAuthError(_("OAuth2: %(reason)s") % {"reason": exc}) from None
    except httpx.TimeoutException:
        raise OAuthError(_("OAuth2: the token endpoint %(url)s did not answer in time.")
                         % {"url": row.oauth_token_url}) from None
    except httpx.HTTPError as exc:
        raise OAuthError(_("OAuth2: could not reach the token endpoint %(url)s: %(error)s")
                         % {"url": row.oauth_token_url,
                            "error": f"{type(exc).__name__}: {exc}"}) from None
    answer = _json_object(response)
    if response.status_code != 200 or not isinstance(answer.get("access_token"), str) \
            or not answer["access_token"]:
        raise OAuthError(_refusal(row, response.status_code, answer))
    if str(answer.get("token_type", "Bearer")).lower() != "bearer":
        raise OAuthError(_("OAuth2: the token endpoint gave a %(type)s token; IMAP needs a "
                           "Bearer token.") % {"type": answer.get("token_type")})
    return answer


def _grant_form(row: Mailbox) -> dict:
    form = {"grant_type": row.oauth_grant, "client_id": row.oauth_client_id}
    if row.oauth_client_secret:
        form["client_secret"] = row.oauth_client_secret
    if row.oauth_scope.strip():
        form["scope"] = " ".join(row.oauth_scope.split())
    if row.oauth_grant == Mailbox.OAuthGrant.REFRESH_TOKEN:
        form["refresh_token"] = row.oauth_refresh_token
    return form


def _json_object(response: httpx.Response) -> dict:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _refusal(row: Mailbox, status: int, answer: dict) -> str:
    """The administrator's reading of an error answer (RFC 6749 §5.2)."""
    code = str(answer.get("error") or "")
    description = " ".join(str(answer.get("error_description") or "").split())
    detail = f" ({description[:DESCRIPTION_SHOWN]})" if description else ""
    values = {"code": code, "detail": detail, "status": status, "scope": row.oauth_scope}
    if not code:
        return _("OAuth2: the token endpoint answered HTTP %(status)d without an access "
                 "token.") % values
    if code == "invalid_client":
        return _("OAuth2: the token endpoint refused the client: invalid_client%(detail)s. "
                 "Check the client ID and the client secret.") % values
    if code == "invalid_grant" and row.oauth_grant == Mailbox.OAuthGrant.REFRESH_TOKEN:
        return _("OAuth2: the token endpoint refused the refresh token: invalid_grant"
                 "%(detail)s. It has expired or was revoked: sign in again to get a new one "
                 "and save it with the mailbox.") % values
    if code == "invalid_scope":
        return _("OAuth2: the token endpoint refused the scope “%(scope)s”: invalid_scope"
                 "%(detail)s.") % values
    return _("OAuth2: the token endpoint refused the request: %(code)s%(detail)s.") % values
