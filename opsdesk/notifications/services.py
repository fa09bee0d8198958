"""Recording deliveries: the one entry point other apps call, `delivery_enqueue`.

A caller (the incident lifecycle, the SLA tick) records every message inside its own
transaction, then forgets about it: after the commit the `deliveries_send` task sends it, retries
it with backoff, and the same key never produces a second delivery. Sending itself lives in
`sending.py` (`deliveries_send_due`, re-exported here).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus

from opsdesk.core.exceptions import Conflict, InvalidInput

from .choices import Channel, DeliveryStatus
from .message_ids import delivery_message_id, thread_message_id, thread_root_digest
from .models import Delivery, DeliveryAttachment, Endpoint
from .sending import SendReport, deliveries_send_due

__all__ = ["SendReport", "deliveries_send_due", "delivery_enqueue", "delivery_retry"]

SUBJECT_MAX = Delivery._meta.get_field("subject").max_length
KEY_MAX = Delivery._meta.get_field("idempotency_key").max_length
# Mail relays commonly refuse messages over 10-25 MB; base64 adds a third.
ATTACHMENTS_MAX_BYTES = 10 * 1024 * 1024


def delivery_enqueue(
    *, key: str, channel: str, recipient: str | Endpoint, subject: str, text: str,
    html: str = "", payload: dict | None = None, thread_key: str = "", language: str = "",
    attachments: tuple | list = (),
) -> Delivery:
    """Record one message to one recipient, once per key; it is sent after the caller commits.

    `key` is the idempotency key, e.g. f"{event_key}:{channel}:{recipient}": a second call with
    the same key returns the first delivery and sends nothing more, also when both calls race
    (the unique index decides; the loser waits for the winner's commit and reads its row).
    `attachments` (email only): (filename, bytes, content type) triples, at most
    ATTACHMENTS_MAX_BYTES together, stored with the delivery and attached to the mail.
    `recipient` is an email address for Channel.EMAIL, else an Endpoint of that kind. `language`
    (default LANGUAGE_CODE) lays out the email in the recipient's language; `thread_key` groups
    the emails of one subject into one thread; `payload` is the webhook's extra JSON, or a robot
    message in the vendor's own format that replaces the one built from subject and text.
    Raises InvalidInput for a wrong channel, recipient, key or language.
    """
    fields = _delivery_fields(key=_checked_key(key), channel=channel, recipient=recipient,
                              subject=subject, text=text, html=html, payload=payload,
                              thread_key=thread_key, language=language)
    _check_attachments(channel, attachments)
    delivery = _first_of_thread_insert(key=key, fields=fields)
    if delivery is None:  # not an email of a thread, a key used already, or a later mail
        delivery, created = Delivery.objects.get_or_create(idempotency_key=key, defaults=fields)
        if not created:
            return delivery
    DeliveryAttachment.objects.bulk_create(
        DeliveryAttachment(delivery=delivery, filename=name, content=content,
                           content_type=content_type)
        for name, content, content_type in attachments)
    transaction.on_commit(_schedule_send, robust=True)
    return delivery


def _first_of_thread_insert(*, key: str, fields: dict) -> Delivery | None:
    """Insert an email as the first of its thread to its address, with the thread's stable
    Message-ID, or return None when a unique index refuses it: the key was used already, or the
    thread has its first mail to that address (a later mail keeps its own Message-ID).

    The unique digest of (thread key, address) marks the first; a concurrent second waits on
    the index and, once the first commits, is refused and inserted again as a later mail."""
    if fields["channel"] != Channel.EMAIL or not fields.get("thread_key"):
        return None
    thread_key, address = fields["thread_key"], fields["email"]
    root = {"thread_root": thread_root_digest(thread_key=thread_key, address=address),
            "message_id": thread_message_id(thread_key=thread_key)}
    try:
        with transaction.atomic():
            return Delivery.objects.create(idempotency_key=key, **{**fields, **root})
    except IntegrityError:
        return None


def delivery_retry(*, delivery: Delivery) -> Delivery:
    """Send a dead (or waiting) delivery again now, with a fresh count of attempts."""
    retryable = (DeliveryStatus.DEAD, DeliveryStatus.RETRYING, DeliveryStatus.PENDING)
    updated = Delivery.objects.filter(pk=delivery.pk, status__in=retryable).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now())
    if not updated:
        raise Conflict(_("Only a pending, waiting or dead delivery can be sent again."))
    transaction.on_commit(_schedule_send, robust=True)
    delivery.refresh_from_db()
    return delivery


def _check_attachments(channel: str, attachments) -> None:
    if not attachments:
        return
    if channel != Channel.EMAIL:
        raise InvalidInput(errors={"attachments": _("Only email carries attachments.")})
    if sum(len(content) for _name, content, _type in attachments) > ATTACHMENTS_MAX_BYTES:
        raise InvalidInput(errors={"attachments": _(
            "Attachments may be at most %(mb)d MB together.") % {
                "mb": ATTACHMENTS_MAX_BYTES // (1024 * 1024)}})


def _checked_key(key: str) -> str:
    if not key or len(key) > KEY_MAX:
        raise InvalidInput(errors={"key": _("Give an idempotency key of 1 to %(max)d characters.")
                                   % {"max": KEY_MAX}})
    return key


def _delivery_fields(*, key: str, channel: str, recipient: str | Endpoint, subject: str,
                     language: str, **content) -> dict:
    """The new row's fields, with the recipient checked against the channel."""
    fields = {"channel": channel, "language": _checked_language(language),
              "subject": _one_line(subject)[:SUBJECT_MAX], **content}
    if channel == Channel.EMAIL:
        email = _checked_email(recipient)
        return {**fields, "email": email, "message_id": delivery_message_id(key=key)}
    if channel not in Channel.values or not isinstance(recipient, Endpoint) \
            or recipient.kind != channel:
        raise InvalidInput(errors={"recipient": _("Give an endpoint of the channel's kind.")})
    return {**fields, "endpoint": recipient}


def _checked_email(recipient) -> str:
    try:
        validate_email(recipient)
    except (ValidationError, TypeError):
        raise InvalidInput(errors={"recipient": _("Give a valid email address.")}) from None
    return recipient


def _checked_language(language: str) -> str:
    language = (language or settings.LANGUAGE_CODE).lower()
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise InvalidInput(errors={"language": _("Unknown language.")})
    return language


def _one_line(subject: str) -> str:
    """Subjects are header lines: no line breaks (they would also break the robots' titles)."""
    return " ".join(subject.split())


def _schedule_send() -> None:
    """Queue a sending pass (after the commit, so the worker sees the new row), unless the pass
    this process queued last has not started yet: when it starts it sends this row too. So a
    burst of creates queues a few passes, not one per mail (one small read instead of a queued
    task, and far less work for the worker)."""
    from .tasks import deliveries_send

    last = _last_pass[0]
    if last is not None:
        try:
            last.refresh()
        except Exception:  # a backend that keeps no results, or the result is gone
            pass
        else:
            if last.status == TaskResultStatus.READY:
                return
    _last_pass[0] = deliveries_send.enqueue()


_last_pass: list = [None]  # the TaskResult of the pass this process queued last