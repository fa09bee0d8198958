"""A mail too large to fetch (over OPSDESK_MAIL_MAX_BYTES) still reaches the desk.

Its body is never downloaded: polling asks the server for each message's RFC822.SIZE first.
Of a larger one only the headers are fetched (at most imap.HEADER_MAX_BYTES), and a stand-in
mail is stored in its place: the same headers (sender, recipients, subject, Message-ID,
In-Reply-To and References, so it is threaded, matched and filtered like the original) with
a short text instead of the body, saying the size, the limit and where the original is. It is
then processed like any mail: a new incident for the sender, a reply on their incident, or
ignored as automatic mail. The original is marked seen on the server and never deleted or
moved, since the server holds its only full copy.
"""

from email import message_from_bytes
from email.message import Message

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from opsdesk.core.upload_limits import megabytes

from ..models import Mailbox

MARK_HEADER = "X-Opsdesk-Too-Large"  # the original's size in bytes
BODY_HEADERS = ("Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
                "Content-ID", "Content-Description", "MIME-Version", MARK_HEADER)


def too_large_mail(*, header: bytes, size: int, mailbox: Mailbox) -> bytes:
    """The stand-in for a message of `size` bytes whose headers are `header`."""
    message = message_from_bytes(header.rstrip(b"\r\n") + b"\r\n\r\n")
    for name in BODY_HEADERS:
        del message[name]
    message[MARK_HEADER] = str(size)
    message["MIME-Version"] = "1.0"
    message.set_payload(too_large_text(size=size, mailbox=mailbox), charset="utf-8")
    return _as_bytes(message)


def too_large_text(*, size: int, mailbox: Mailbox) -> str:
    """What the desk reads, in the site's language: the size, the limit, where the mail is."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "This mail was not fetched because it is too large: %(size)s MB, and opsdesk takes "
            "mail of up to %(limit)s MB. Its text and attachments are not here. The original "
            "is still on the mail server, in the mailbox %(mailbox)s (folder %(folder)s), "
            "marked as read. Ask the sender to send large files through the portal (up to "
            "%(file_mb)s MB a file) or in several smaller mails.") % {
            "size": megabytes(size), "limit": megabytes(settings.OPSDESK_MAIL_MAX_BYTES),
            "mailbox": mailbox.name, "folder": mailbox.folder or "INBOX",
            "file_mb": megabytes(settings.OPSDESK_ATTACHMENT_MAX_BYTES)}


def too_large_note(*, size: int) -> str:
    """The stored mail's note, for the intake's mail list."""
    return _("Too large (%(size)s MB, the limit is %(limit)s MB): only its headers were "
             "fetched; the original stays on the mail server.") % {
        "size": megabytes(size), "limit": megabytes(settings.OPSDESK_MAIL_MAX_BYTES)}


def _as_bytes(message: Message) -> bytes:
    """The headers exactly as received (not refolded), then the new body."""
    return message.as_bytes(policy=message.policy.clone(max_line_length=0, linesep="\r\n"))
