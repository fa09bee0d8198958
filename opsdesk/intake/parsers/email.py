"""Email intake: raw RFC 5322 bytes to ParsedMail, and a key that spots the same mail twice.

Pure functions, no database. Reading is forgiving: broken MIME still gives readable text, with
what was wrong listed in `defects`; ParseError only when the bytes hold no mail at all. Charsets
are decoded by parsers.email_charset, quoted text is cut by parsers.email_quotes.

`auto_kind`, the first rule that holds (such a mail must never be answered):

- "loop": From is one of `own_addresses`; an X-Opsdesk-Loop header (our own outgoing mail sets
  it); an X-Loop header (the procmail and list-manager convention) naming one of our addresses.
- "bounce", "delayed" or "delivery-report": a delivery status notification, told apart by the
  Action of its recipients (parsers.email_dsn): multipart/report with
  report-type=delivery-status (RFC 3464, RFC 6522). Without one: an X-Failed-Recipients header
  (Exim) is a bounce; from MAILER-DAEMON or postmaster (RFC 5321 §4.5.1), or with the null
  reverse path Return-Path: <> that RFC 5321 §4.5.5 requires of notifications, a delay subject
  ("Warning: could not send message for past 4 hours", "Delivery delayed" …) is "delayed" and a
  failure subject ("Undeliverable", "Returned mail", "退信" …) a bounce.
- "auto-reply": Auto-Submitted other than "no" (RFC 3834 §5; RFC 5436 adds auto-notified);
  the null Return-Path <> that RFC 3834 §3.3 asks responders to use; a read receipt
  (multipart/report; report-type=disposition-notification, RFC 8098); X-Autoreply or
  X-Autorespond (vacation programs); Precedence: auto_reply; Exchange's X-Auto-Response-Suppress
  with All, OOF or AutoReply ([MS-OXCMAIL] §2.2.3.2.20) together with an "Automatic reply:" or
  "自动回复:" subject, because Exchange out-of-office replies carry no Auto-Submitted (fixture 11).

`auto_response_suppressed` is set for every auto_kind, and also for mail that asks not to be
answered automatically yet may be a person's: Precedence bulk, junk or list and List-Id (RFC 3834
§2), or X-Auto-Response-Suppress alone (Exchange puts it on application and list mail). A person's
reply relayed with Precedence: bulk (fixture 07) so still threads as a reply, unacknowledged.
"""

import hashlib
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.errors import MessageDefect
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

import nh3

from .email_charset import (
    address_list,
    author,
    charset_hints,
    codec_for,
    decode_8bit_header,
    decode_bytes,
    header_return_path,
    mail_date,
    message_ids,
    meta_charset,
    one_line,
    parameter_text,
)
from .email_dsn import DELAY_SUBJECT, dsn_kind, dsn_recipients
from .email_quotes import html_text, html_too_deep, reply_text, tags_removed
from .types import MailAttachment, ParsedMail, ParseError

_MAIL_HEADERS = {
    "from", "sender", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references",
    "received", "return-path", "delivered-to", "mime-version", "content-type", "reply-to",
}
# Parts of a report that describe a delivery; they are what auto_kind reads, not files.
_REPORT_PARTS = {
    "message/delivery-status", "message/global-delivery-status", "text/rfc822-headers",
    "message/global-headers", "message/disposition-notification",
    "message/global-disposition-notification",
}
_IDENTITY_HEADERS = ("message-id", "date", "from", "subject")
_DAEMONS = {"mailer-daemon", "postmaster"}
_SUPPRESS_TOKENS = {"all", "oof", "autoreply"}
_FAILURE_SUBJECT = re.compile(
    r"undeliver|returned mail|delivery (status|failure|failed|has failed|notification)"
    r"|failure notice|mail delivery|could not send|not delivered"
    r"|退信|退回|未送达|无法送达|投递失败|发送失败", re.IGNORECASE)
_OOF_SUBJECT = re.compile(
    r"\s*(automatic reply|auto reply|autoreply|out of office|自动回复|自動回覆|自動回复"
    r"|réponse automatique|automatische antwort|abwesend)\s*[:：]", re.IGNORECASE)
_FORWARD_SUBJECT = re.compile(r"\s*(fwd?|转发|轉寄|转寄)\s*[:：]", re.IGNORECASE)
# An RFC 5322 field, a folded continuation, or an mbox "From " line (the parser knows it).
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+[ \t]*:|[ \t]|From ")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_HAS_EXTENSION = re.compile(r"\.\w{1,5}$")
_UNSAFE_IN_FILENAME = re.compile(r"[\x00-\x1f\x7f]")
# mimetypes answers from the host's mime.types; the common mail types should not vary by host.
_EXTENSIONS = {
    "image/jpeg": ".jpg", "image/jpg": ".jpg", "image/png": ".png", "image/gif": ".gif",
    "text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics",
    "application/pdf": ".pdf", "application/octet-stream": ".bin",
}
# cid: stays so the web page can point inline images at their stored attachments.
_URL_SCHEMES = set(nh3.ALLOWED_URL_SCHEMES) | {"cid"}
_DROPPED_WITH_CONTENT = set(nh3.CLEAN_CONTENT_TAGS) | {"title"}  # a <title> is no body text
_MAX_DEPTH = 40


class _TolerantPolicy(type(compat32)):
    """compat32, except that headers sent as raw 8-bit bytes read back as decoded text."""

    def header_fetch_parse(self, name, value):
        """The stored value, its raw 8-bit bytes (surrogate escapes) decoded by our fallbacks."""
        if any("\udc80" <= char <= "\udcff" for char in value):
            return decode_8bit_header(value)
        return value


_POLICY = _TolerantPolicy()


@dataclass
class _Parts:
    """What the walk over a MIME tree has found so far."""

    hints: tuple[str, ...]
    text: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[MailAttachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def mail_parse(raw: bytes, *, own_addresses: Iterable[str] = ()) -> ParsedMail:
    """Read a raw mail into a ParsedMail; ParseError only when the bytes hold no mail at all.

    `own_addresses` are the desk's own mailboxes: a mail from one of them is a "loop".
    """
    message = _message(_mail_bytes(raw))
    if isinstance(own_addresses, str):  # one address passed bare must not become its letters
        own_addresses = (own_addresses,)
    try:
        return _parsed(message, {address.strip().lower() for address in own_addresses})
    except Exception as exc:  # a parser bug must quarantine the mail, never crash intake
        raise ParseError(f"unreadable mail: {exc!r}") from exc


def dedup_key(raw: bytes) -> str:
    """A sha256 hex naming one mail, the same however often it is fetched.

    Message-ID alone is not enough: Icinga sends different alerts under one Message-ID. The key
    digests Message-ID, Date, From, Subject and the body bytes, and leaves out the trace headers
    servers add on the way (Received, Delivered-To, X-*) and differences in line endings.
    """
    data = _mail_bytes(raw).replace(b"\r\n", b"\n")
    head, _, body = data.partition(b"\n\n")
    headers = BytesParser(policy=_POLICY).parsebytes(head + b"\n\n", headersonly=True)
    digest = hashlib.sha256(b"opsdesk-mail-v1")
    for name in _IDENTITY_HEADERS:
        value = " ".join((headers.get(name) or "").split())
        digest.update(b"\0" + value.encode("utf-8", "replace"))
    digest.update(b"\0" + body.rstrip())
    return digest.hexdigest()


def _mail_bytes(raw: bytes) -> bytes:
    """`raw` as bytes without leading blank lines; ParseError for no bytes or only blanks."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise ParseError(f"a mail is bytes, not {type(raw).__name__}")
    data = bytes(raw).lstrip(b"\r\n")  # a leading blank line would end the header block at once
    if not data.strip():
        raise ParseError("empty mail")
    return data


def _message(data: bytes) -> Message:
    """The MIME tree of a mail, or ParseError when it has no mail headers at all."""
    data, dropped = _without_broken_header_lines(data)
    message = _mime_tree(data)
    if not _MAIL_HEADERS & {name.lower() for name in message}:
        raise ParseError("no mail headers found")
    message.defects.extend(HeaderWithoutColonDefect() for _ in range(dropped))
    return message


def _mime_tree(data: bytes) -> Message:
    """The parsed mail; past the stdlib parser's recursion limit, headers and the raw body."""
    try:
        return BytesParser(policy=_POLICY).parsebytes(data)
    except RecursionError:  # thousands of nested multiparts: a hostile or broken mail
        message = BytesParser(policy=_POLICY).parsebytes(data, headersonly=True)
        message.defects.append(MimeTooDeepDefect())
        return message


class HeaderWithoutColonDefect(MessageDefect):
    """A line in the header block that is neither a header nor its continuation was dropped."""


class MimeTooDeepDefect(MessageDefect):
    """The MIME tree nests too deep to split; its body is kept as raw text."""


def _without_broken_header_lines(data: bytes) -> tuple[bytes, int]:
    """`data` without header-block lines lacking a colon, and how many there were.

    The stdlib parser ends the header block at such a line and reads every header after it as
    body text, losing Message-ID and Content-Type; dropping the one line keeps them.
    """
    blank = _BLANK_LINE.search(data)
    end = blank.start() + 1 if blank else len(data)
    lines = data[:end].splitlines(keepends=True)
    kept = [line for line in lines if _HEADER_LINE.match(line)]
    return b"".join(kept) + data[end:], len(lines) - len(kept)


def _parsed(message: Message, own_addresses: set[str]) -> ParsedMail:
    """The ParsedMail of a parsed MIME tree."""
    found = _Parts(hints=charset_hints(message))
    _collect(message, found, depth=0)
    subject = one_line(message.get("subject") or "")
    from_name, from_address = author(message)
    body_html, html_text = _html_body(found, need_text=not found.text)
    text = "\n".join(found.text).strip() if found.text else html_text
    return_path = header_return_path(message)
    recipients = dsn_recipients(message) if _report_type(message) == "delivery-status" else ()
    auto_kind = _auto_kind(message, from_address, subject, return_path, own_addresses,
                           recipients)
    return ParsedMail(
        message_id=next(iter(message_ids(message.get("message-id") or "")), ""),
        subject=subject, from_address=from_address, from_name=from_name,
        to=address_list(message, "to"), cc=address_list(message, "cc"),
        date=mail_date(message.get("date") or ""),
        in_reply_to=message_ids(message.get("in-reply-to") or ""),
        references=message_ids(" ".join(message.get_all("references", []))),
        body_text=text,
        reply_text=reply_text(text, forwarded=bool(_FORWARD_SUBJECT.match(subject))),
        body_html=body_html, attachments=tuple(found.attachments),
        auto_kind=auto_kind, dsn_recipients=recipients,
        auto_response_suppressed=bool(auto_kind) or _asks_no_auto_response(message),
        return_path=return_path, defects=tuple(dict.fromkeys(found.defects)),
    )


# --- the MIME tree --------------------------------------------------------------------------

def _collect(part: Message, found: _Parts, depth: int) -> None:
    """Sort a MIME part and its children into body text, body HTML, attachments and defects."""
    if depth > _MAX_DEPTH:
        found.defects.append("MIME nesting too deep: inner parts skipped")
    elif part.is_multipart() and part.get_content_maintype() == "multipart":
        for child in part.get_payload():
            _collect(child, found, depth + 1)
    elif part.get_content_type() not in _REPORT_PARTS:
        _collect_leaf(part, found)
    # Read last: decoding a payload adds defects (bad base64) to its part.
    found.defects.extend(type(defect).__name__ for defect in part.defects)


def _collect_leaf(part: Message, found: _Parts) -> None:
    """Add one leaf part as body text, body HTML or an attachment."""
    try:
        if _is_body(part):
            is_html = part.get_content_subtype() == "html"
            (found.html if is_html else found.text).append(_part_text(part, found, is_html))
        else:
            found.attachments.append(_attachment(part, len(found.attachments) + 1))
    except Exception as exc:  # noqa: BLE001 - one broken part must not lose the rest of the mail
        found.defects.append(f"unreadable {part.get_content_type()} part: {exc!r}")


def _is_body(part: Message) -> bool:
    """True for the text/plain or text/html parts the sender wrote as the body."""
    if part.get_content_disposition() == "attachment" or part.get_filename():
        return False
    # A multipart left unsplit (no boundary) is shown as text rather than lost.
    return part.get_content_type() in ("text/plain", "text/html") \
        or part.get_content_maintype() == "multipart"


def _part_text(part: Message, found: _Parts, is_html: bool) -> str:
    """Decoded text of a body part, with a defect when its charset label did not fit."""
    data = part.get_payload(decode=True) or b""
    label = part.get_content_charset() or (meta_charset(data) if is_html else None)
    text, codec = decode_bytes(data, label, found.hints)
    if label and codec != codec_for(label):
        found.defects.append(f"charset {label!r} did not fit; read as {codec}")
    elif not label and not data.isascii():
        found.defects.append(f"8-bit text without a charset; read as {codec}")
    return text.replace("\r\n", "\n")


def _html_body(found: _Parts, need_text: bool) -> tuple[str, str]:
    """(sanitised HTML, its text when needed) of the HTML body parts."""
    html = "\n".join(found.html)
    if not html.strip():
        return "", ""
    if html_too_deep(html):  # nh3 takes minutes over 100,000 nested <div>s
        found.defects.append("HTML nested too deep: kept as plain text only")
        return "", tags_removed(html)
    text = html_text(html) if need_text else ""
    return nh3.clean(html, url_schemes=_URL_SCHEMES, clean_content_tags=_DROPPED_WITH_CONTENT), text


# --- attachments ----------------------------------------------------------------------------

def _attachment(part: Message, number: int) -> MailAttachment:
    """A MailAttachment for a part that is not the body; a forwarded mail keeps its bytes."""
    content_type = part.get_content_type()
    content_id = "".join((part.get("content-id") or "").split()).strip("<>")
    disposition = part.get_content_disposition()
    return MailAttachment(
        filename=_filename(part) or _fallback_filename(content_type, content_id, number),
        content_type=content_type,
        content=_attachment_bytes(part),
        content_id=content_id,
        inline=disposition == "inline" or (disposition is None and bool(content_id)),
    )


def _attachment_bytes(part: Message) -> bytes:
    """The decoded file; for message/rfc822 the enclosed mail as bytes."""
    if part.is_multipart():
        return part.get_payload(0).as_bytes()
    return part.get_payload(decode=True) or b""


def _filename(part: Message) -> str:
    """The part's file name, decoded (RFC 2231 parameters, RFC 2047 words), without a path."""
    for param, header in (("filename", "content-disposition"), ("name", "content-type")):
        value = part.get_param(param, header=header)
        name = _safe_filename(parameter_text(value)) if value else ""
        if name:
            return name
    return ""


def _safe_filename(name: str) -> str:
    """The last path segment of a name, without control characters."""
    return _UNSAFE_IN_FILENAME.sub("", re.split(r"[\\/]", name)[-1]).strip()


def _fallback_filename(content_type: str, content_id: str, number: int) -> str:
    """A name for a part that has none: "forwarded.eml", the Content-ID, or attachment-N."""
    if content_type in ("message/rfc822", "message/global"):
        return "forwarded.eml"
    stem = _safe_filename(content_id.split("@")[0]) or f"attachment-{number}"
    if _HAS_EXTENSION.search(stem):
        return stem
    extension = _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type)
    return stem + (extension or ".bin")


# --- automatic mail (rules in the module docstring) -----------------------------------------

def _auto_kind(message: Message, sender: str, subject: str, return_path: str | None,
               own_addresses: set[str], recipients: tuple) -> str:
    """Why the mail must never be answered, or "" for a person's mail."""
    if _is_loop(message, sender, own_addresses):
        return "loop"
    if kind := _delivery_notice(message, sender, subject, return_path, recipients):
        return kind
    if _is_auto_reply(message, subject, return_path):
        return "auto-reply"
    return ""


def _is_loop(message: Message, sender: str, own_addresses: set[str]) -> bool:
    """True for our own mail coming back: sent from one of our mailboxes or marked by us."""
    loop_marks = " ".join(message.get_all("x-loop", [])).lower()
    return sender in own_addresses or "x-opsdesk-loop" in message \
        or any(address in loop_marks for address in own_addresses)


def _delivery_notice(message: Message, sender: str, subject: str, return_path: str | None,
                     recipients: tuple) -> str:
    """"bounce", "delayed" or "delivery-report" for a delivery status notification, declared
    or plainly one; "" for any other mail."""
    if _report_type(message) == "delivery-status":
        return dsn_kind(recipients)
    if "x-failed-recipients" in message:
        return "bounce"
    if not (sender.split("@")[0] in _DAEMONS or return_path == ""):
        return ""
    if DELAY_SUBJECT.match(subject):
        return "delayed"
    return "bounce" if _FAILURE_SUBJECT.search(subject) else ""


def _is_auto_reply(message: Message, subject: str, return_path: str | None) -> bool:
    """True for out-of-office and other automatic responses, and for read receipts."""
    if _token(message, "auto-submitted") not in ("", "no") or return_path == "":
        return True
    if any(_token(message, name) not in ("", "no") for name in ("x-autoreply", "x-autorespond")):
        return True
    if _token(message, "precedence") == "auto_reply":
        return True
    if _report_type(message) == "disposition-notification":
        return True
    return _suppresses_auto_replies(message) and bool(_OOF_SUBJECT.match(subject))


def _asks_no_auto_response(message: Message) -> bool:
    """True for mail asking not to be answered automatically, whoever wrote it."""
    return _token(message, "precedence") in ("bulk", "junk", "list") or "list-id" in message \
        or _suppresses_auto_replies(message)


def _suppresses_auto_replies(message: Message) -> bool:
    """True when Exchange's X-Auto-Response-Suppress asks for no automatic replies."""
    tokens = (message.get("x-auto-response-suppress") or "").lower().replace(";", ",").split(",")
    return bool(_SUPPRESS_TOKENS & {token.strip() for token in tokens})


def _report_type(message: Message) -> str:
    """The report-type of a multipart/report mail (RFC 6522), lower-case, else ""."""
    if message.get_content_type() != "multipart/report":
        return ""
    return str(message.get_param("report-type") or "").strip().lower()


def _token(message: Message, name: str) -> str:
    """The first word of a header, lower-case, without comments: "auto-generated (failure)"."""
    value = message.get(name) or ""
    return value.split("(")[0].split(";")[0].strip().lower()
