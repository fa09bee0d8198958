"""Email over SMTP with Django's mail API: text and HTML parts, attachments, threading headers,
auto-submitted.

The caller's subject and bodies are already in the recipient's language; the layout around them
(templates/notifications/email/message.txt and .html) is rendered in that language too. The
connection follows EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER/PASSWORD, EMAIL_USE_TLS/
SSL and EMAIL_TIMEOUT (config/settings.py).
"""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from ..message_ids import thread_message_id
from .base import SendError


def language_tag(language: str) -> str:
    """The BCP 47 spelling of a Django language code: "zh-hans" → "zh-Hans", "en-us" → "en-US"."""
    primary, *rest = (language or settings.LANGUAGE_CODE).split("-")
    return "-".join([primary.lower(), *(p.title() if len(p) == 4 else p.upper() for p in rest)])


def headers(delivery) -> dict[str, str]:
    """Message-ID, the thread's In-Reply-To/References, language and the auto-reply guards."""
    result = {
        "Message-ID": delivery.message_id,
        "Content-Language": language_tag(delivery.language),
        "Auto-Submitted": "auto-generated",  # RFC 3834: vacation responders stay silent
        "X-Auto-Response-Suppress": "All",  # the same for Exchange/Outlook
    }
    if delivery.thread_key:
        root = thread_message_id(thread_key=delivery.thread_key)
        if root != delivery.message_id:
            result["In-Reply-To"] = root
            result["References"] = root
    return result


def render_bodies(delivery) -> tuple[str, str]:
    """The text and HTML parts, laid out in the delivery's language."""
    # The caller's HTML was rendered (and escaped) from its own templates.
    context = {"subject": delivery.subject, "text": delivery.text,
               "html": mark_safe(delivery.html)}
    with translation.override(delivery.language or settings.LANGUAGE_CODE):
        return (render_to_string("notifications/email/message.txt", context),
                render_to_string("notifications/email/message.html", context))


def build(delivery) -> EmailMultiAlternatives:
    """The multipart/alternative message for one delivery."""
    text, html = render_bodies(delivery)
    message = EmailMultiAlternatives(
        subject=delivery.subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.email], headers=headers(delivery))
    message.attach_alternative(html, "text/html")
    for attachment in delivery.attachments.all():
        message.attach(attachment.filename, bytes(attachment.content), attachment.content_type)
    return message


def send(delivery) -> None:
    """Hand the message to the SMTP relay; a refused address is permanent, the rest retried."""
    try:
        build(delivery).send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _reply in exc.recipients.values()]
        raise SendError(f"recipient refused: {exc.recipients}",
                        permanent=all(500 <= code < 600 for code in codes)) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(f"{type(exc).__name__}: {exc}") from exc
