"""What the parsers hand to intake processing: plain data, no Django models.

Every parser is a pure function from the bytes or JSON a source sent to these types, so each
can be tested by replaying real payloads without a database.
"""

from dataclasses import dataclass, field
from datetime import datetime


class ParseError(ValueError):
    """The payload cannot be read at all; the message says why, for the quarantine or a 4xx."""


@dataclass(frozen=True)
class NormalizedAlert:
    """One alert as opsdesk understands it, whatever tool sent it.

    `fingerprint` identifies the alert across deliveries (the tool's own when it sends one,
    else a digest of the labels); `group_key` is the source's own grouping when it has one
    (Alertmanager's groupKey), else empty and the integration's grouping rule decides.
    `severity` is lower-case as the tool spells it ("critical", "warning", "high" …).
    """

    source: str                      # "alertmanager", "grafana", "zabbix", "generic", "icinga"
    fingerprint: str
    status: str                      # "firing" or "resolved"
    summary: str
    severity: str = ""
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str = ""
    group_key: str = ""


@dataclass(frozen=True)
class MailAttachment:
    """A file carried by a mail; `content_id` is set for inline images (cid: references)."""

    filename: str
    content_type: str
    content: bytes
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class ParsedMail:
    """A mail read into what intake needs; the raw bytes are kept separately, untouched.

    `auto_kind` is empty for a mail written by a person, else why it must never be answered:
    "auto-reply", "loop", or a delivery notice: "bounce" (delivery failed), "delayed" (still
    being retried) or "delivery-report" (delivered) (see parsers.email and email_dsn).
    `dsn_recipients` lists a DSN's (action, recipient address) pairs.
    `body_text` is the whole text (from the HTML part when there is no text part);
    `reply_text` is the same with quoted text and signature removed, for display.
    `body_html` is sanitised HTML, or empty.
    """

    message_id: str                  # without angle brackets; empty if the mail has none
    subject: str
    from_address: str                # lower-case
    from_name: str
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    date: datetime | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    body_text: str = ""
    reply_text: str = ""
    body_html: str = ""
    attachments: tuple[MailAttachment, ...] = ()
    auto_kind: str = ""
    dsn_recipients: tuple[tuple[str, str], ...] = ()
    auto_response_suppressed: bool = False  # send no automatic acknowledgement (see parsers.email)
    return_path: str | None = None   # None: no Return-Path header; "": the null path <>
    defects: tuple[str, ...] = ()    # what was wrong with the MIME but could be read anyway
