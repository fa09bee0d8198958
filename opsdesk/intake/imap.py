"""IMAP transport of the intake mailboxes, on imap-tools: connect, list, fetch raw, settle.

Messages are read with BODY.PEEK[] (mark_seen=False), so reading alone changes nothing on the
server; `settle` marks, deletes or moves them, and the caller calls it only after the store has
committed. Sizes are asked first (`unseen_by_size`, RFC822.SIZE only): of a message over the
limit only the headers are fetched (`header_batches`), never the body. TLS certificates are
checked against the system's CAs; a private CA can be given with the standard SSL_CERT_FILE
environment variable. Plain IMAP is refused unless the host
is this machine, where the password never crosses a network.

A mailbox signs in with its password (LOGIN) or with OAuth2 (AUTHENTICATE XOAUTH2, imap-tools'
`xoauth2`) using an access token from oauth.py. A kept token the server turns down (revoked, or
expired early) is replaced by a fresh one once; a fresh token turned down is an OAuthError.
Nothing is fetched before the sign-in succeeds, so a refused sign-in leaves every message
unseen on the server for the next poll.
"""

import imaplib
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.utils.translation import gettext as _
from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage, MailMessageFlags
from imap_tools.errors import (MailboxFetchError, MailboxFlagError, MailboxLoginError,
                               MailboxLogoutError)
from imap_tools.mailbox import BaseMailBox
from imap_tools.utils import check_command_status

from .models import Mailbox
from .oauth import OAuthError, access_token, token_kept, token_url_error

PLAIN_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
FETCH_BATCH = 20          # messages per UID FETCH: bounded memory, few round trips
SIZE_BATCH = 500          # messages per UID FETCH of sizes only (a short command line)
HEADER_MAX_BYTES = 64 * 1024  # of a message too large to fetch, the headers up to this size
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
TIMEOUT_SECONDS = 30


class ImapSettingsError(ValueError):
    """A mailbox setting that can never work, such as plain IMAP to another machine.

    `field` names the setting to correct.
    """

    def __init__(self, message: str, *, field: str = "security"):
        super().__init__(message)
        self.field = field


class RawMessage(MailMessage):
    """A fetched message kept as its exact bytes (imap-tools' own parsing is skipped)."""

    def __init__(self, fetch_data: list) -> None:
        raw, uid_data, flag_data = self._get_message_data_parts(fetch_data)
        self.raw, self._raw_uid_data, self._raw_flag_data = raw, uid_data, flag_data


def settings_check(mailbox: Mailbox) -> None:
    """Refuse plain IMAP to any host but this machine (the password would travel in clear),
    a move after storing without a folder to move to, and OAuth2 without what it needs."""
    host = mailbox.host.strip().strip("[]").lower()
    if mailbox.security == Mailbox.Security.PLAIN and host not in PLAIN_HOSTS:
        raise ImapSettingsError(_(
            "Plain IMAP sends the password unencrypted, so it is only allowed to localhost "
            "(127.0.0.1, ::1). Choose TLS or STARTTLS for %(host)s.") % {"host": mailbox.host})
    if mailbox.after_store == Mailbox.AfterStore.MOVE and not mailbox.move_to_folder.strip():
        raise ImapSettingsError(_("Name the folder stored mail is moved to."),
                                field="move_to_folder")
    if mailbox.auth_method == Mailbox.AuthMethod.OAUTH2:
        _oauth_settings_check(mailbox)


def _oauth_settings_check(mailbox: Mailbox) -> None:
    if message := token_url_error(mailbox.oauth_token_url):
        raise ImapSettingsError(message, field="oauth_token_url")
    if not mailbox.oauth_client_id.strip():
        raise ImapSettingsError(_("OAuth2 needs the client ID the app was registered with."),
                                field="oauth_client_id")
    grant = mailbox.oauth_grant
    if grant == Mailbox.OAuthGrant.CLIENT_CREDENTIALS and not mailbox.oauth_client_secret:
        raise ImapSettingsError(_("The client-credentials grant needs the client secret."),
                                field="oauth_client_secret")
    if grant == Mailbox.OAuthGrant.CLIENT_CREDENTIALS and not mailbox.oauth_scope.strip():
        raise ImapSettingsError(_("The client-credentials grant needs a scope, for Microsoft "
                                  "365 https://outlook.office365.com/.default."),
                                field="oauth_scope")
    if grant == Mailbox.OAuthGrant.REFRESH_TOKEN and not mailbox.oauth_refresh_token:
        raise ImapSettingsError(_("The refresh-token grant needs a refresh token."),
                                field="oauth_refresh_token")


@contextmanager
def imap_open(mailbox: Mailbox) -> Iterator[BaseMailBox]:
    """A logged-in client with the mailbox's folder selected; logs out when the block ends."""
    settings_check(mailbox)
    box = _client(mailbox)
    box.email_message_class = RawMessage
    try:
        _sign_in(box, mailbox)
        box.folder.set(mailbox.folder or "INBOX")
        yield box
    finally:
        # The server may have hung up already, or refused the sign-in.
        with suppress(OSError, imaplib.IMAP4.error, MailboxLogoutError):
            box.logout()


def _sign_in(box: BaseMailBox, mailbox: Mailbox) -> None:
    if mailbox.auth_method != Mailbox.AuthMethod.OAUTH2:
        box.login(mailbox.username, mailbox.password, initial_folder=None)
        return
    kept = token_kept(mailbox)
    token = access_token(mailbox=mailbox)
    try:
        box.xoauth2(mailbox.username, token, initial_folder=None)
    except (imaplib.IMAP4.error, MailboxLoginError) as exc:
        if not kept:  # a token fresh from the endpoint: another one would fare no better
            raise _token_refused(mailbox, exc) from None
        token = access_token(mailbox=mailbox, refused=token)
        try:
            box.xoauth2(mailbox.username, token, initial_folder=None)
        except (imaplib.IMAP4.error, MailboxLoginError) as again:
            raise _token_refused(mailbox, again) from None


def _token_refused(mailbox: Mailbox, exc: Exception) -> OAuthError:
    return OAuthError(_(
        "OAuth2: the IMAP server %(host)s refused the access token for %(user)s: %(answer)s. "
        "Check that the app may read this mailbox and that the user name is the mailbox's "
        "address.") % {"host": mailbox.host, "user": mailbox.username,
                       "answer": _server_answer(exc)})


def _server_answer(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def _client(mailbox: Mailbox) -> BaseMailBox:
    host, port = mailbox.host.strip().strip("[]"), mailbox.port
    if mailbox.security == Mailbox.Security.TLS:
        return MailBox(host, port, timeout=TIMEOUT_SECONDS, ssl_context=ssl.create_default_context())
    if mailbox.security == Mailbox.Security.STARTTLS:
        return MailBoxStartTls(host, port, timeout=TIMEOUT_SECONDS,
                               ssl_context=ssl.create_default_context())
    return MailBoxUnencrypted(host, port, timeout=TIMEOUT_SECONDS)


def unseen_uids(box: BaseMailBox) -> list[str]:
    """UIDs of the folder's unseen messages, oldest first."""
    return sorted(box.uids("UNSEEN"), key=int)


def unseen_by_size(box: BaseMailBox, uids: list[str], *,
                   limit: int) -> tuple[list[str], dict[str, int]]:
    """The UIDs whose message is at most `limit` bytes, and {UID: size} of the larger ones.

    Only RFC822.SIZE is asked for, so no message body crosses the network to find out. A UID
    the server no longer answers for (expunged meanwhile) is in neither.
    """
    sizes = {}
    for start in range(0, len(uids), SIZE_BATCH):
        chunk = ",".join(uids[start:start + SIZE_BATCH])
        result = box.client.uid("FETCH", chunk, "(UID RFC822.SIZE)")
        check_command_status(result, MailboxFetchError)
        sizes.update(_sizes(result[1]))
    fitting = [uid for uid in uids if uid in sizes and sizes[uid] <= limit]
    return fitting, {uid: sizes[uid] for uid in uids if sizes.get(uid, 0) > limit}


def _sizes(lines: list) -> dict[str, int]:
    found = {}
    for line in lines:
        line = line[0] if isinstance(line, tuple) else line
        uid, size = _UID.search(line or b""), _SIZE.search(line or b"")
        if uid and size:
            found[uid.group(1).decode()] = int(size.group(1))
    return found


def header_batches(box: BaseMailBox, uids: list[str]) -> Iterator[list[tuple[str, bytes]]]:
    """(UID, header bytes) of the messages, at most HEADER_MAX_BYTES each, without \\Seen."""
    for start in range(0, len(uids), FETCH_BATCH):
        chunk = ",".join(uids[start:start + FETCH_BATCH])
        result = box.client.uid("FETCH", chunk, f"(UID BODY.PEEK[HEADER]<0.{HEADER_MAX_BYTES}>)")
        check_command_status(result, MailboxFetchError)
        yield [(uid.group(1).decode(), part[1]) for part in result[1]
               if isinstance(part, tuple) and (uid := _UID.search(part[0]))]


def raw_batches(box: BaseMailBox, uids: list[str]) -> Iterator[list[tuple[str, bytes]]]:
    """(UID, raw bytes) of the messages, FETCH_BATCH at a time, without setting \\Seen."""
    for start in range(0, len(uids), FETCH_BATCH):
        chunk = uids[start:start + FETCH_BATCH]
        yield [(message.uid, message.raw)
               for message in box.fetch(uid_list=chunk, mark_seen=False, bulk=True)]


def folder_ensure(box: BaseMailBox, mailbox: Mailbox) -> None:
    """Create the folder stored mail is moved to, when the mailbox moves mail and it is missing."""
    if mailbox.after_store == Mailbox.AfterStore.MOVE and not box.folder.exists(
            mailbox.move_to_folder):
        box.folder.create(mailbox.move_to_folder)


def settle(box: BaseMailBox, mailbox: Mailbox, uids: list[str]) -> None:
    """Mark stored messages seen, delete them, or move them, as the mailbox says."""
    if not uids:
        return
    if mailbox.after_store == Mailbox.AfterStore.DELETE:
        box.delete(uids)
    elif mailbox.after_store == Mailbox.AfterStore.MOVE:
        box.move(uids, mailbox.move_to_folder)
    else:
        mark_seen(box, uids)


def mark_seen(box: BaseMailBox, uids: list[str]) -> None:
    """Flag the messages \\Seen, so that the next poll passes them by."""
    if not uids:
        return
    # Not box.flag(): it also expunges, which would purge messages others marked deleted.
    result = box.client.uid("STORE", ",".join(uids), "+FLAGS", f"({MailMessageFlags.SEEN})")
    check_command_status(result, MailboxFlagError)
