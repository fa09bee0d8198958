"""Where notifications go (endpoints) and every message sent or still to send (deliveries)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.core.fields import EncryptedTextField
from opsdesk.core.models import BilingualNamed, TimeStampedModel

from .choices import Channel, DeliveryStatus, EndpointKind


def secret_hint(secret: str) -> str:
    """A masked hint of a saved secret: its last four characters only, and only if it is long."""
    if not secret:
        return ""
    return "••••" + (secret[-4:] if len(secret) >= 12 else "")


class Endpoint(BilingualNamed, TimeStampedModel):
    """A webhook receiver or a WeCom/DingTalk/Feishu group robot that deliveries post to.

    `secret` is the HMAC key of a generic webhook, or the signing secret of a DingTalk
    (加签, "SEC…") or Feishu (签名校验) robot; WeCom robots have none (the key is in the URL).
    It is encrypted at rest (core/fields.py). The admin never shows it again after saving,
    only `secret_hint`.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=EndpointKind.choices)
    url = models.URLField(_("URL"), max_length=1000)
    secret = EncryptedTextField(_("secret"), max_length=500, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name_en"]
        verbose_name = _("notification endpoint")
        verbose_name_plural = _("notification endpoints")

    @property
    def secret_hint(self) -> str:
        return secret_hint(self.secret)


class Delivery(models.Model):
    """One message to one recipient over one channel, with its sending state.

    `idempotency_key` is unique: the same event never produces two deliveries to one recipient.
    `next_attempt_at` is when the sender may take it next; while SENDING it is the end of the
    sender's lease. `thread_root` is set on the first email of a thread to one address (a digest
    of thread key and address, unique), whose Message-ID is then the thread's stable one.
    `rate_counted_at` is when a request for it last went out to a rate-limited robot.
    """

    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    email = models.EmailField(_("email address"), max_length=254, blank=True)
    endpoint = models.ForeignKey(Endpoint, models.PROTECT, null=True, blank=True,
                                 related_name="deliveries", verbose_name=_("endpoint"))
    language = models.CharField(_("language"), max_length=16, blank=True)
    subject = models.CharField(_("subject"), max_length=500)
    text = models.TextField(_("text body"))
    html = models.TextField(_("HTML body"), blank=True)
    payload = models.JSONField(_("payload"), null=True, blank=True)
    thread_key = models.CharField(_("thread key"), max_length=255, blank=True)
    thread_root = models.CharField(max_length=64, null=True, blank=True, unique=True,
                                   editable=False)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    rate_counted_at = models.DateTimeField(
        _("last request to a rate-limited robot at"), null=True, blank=True,
        help_text=_("Group robots take only so many messages a minute; these times are what "
                    "is counted, and a message over the limit waits."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notif_delivery_due"),
                   models.Index(fields=["endpoint", "rate_counted_at"], name="notif_delivery_rate")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(channel=Channel.EMAIL, endpoint__isnull=True) & ~Q(email=""))
                | (~Q(channel=Channel.EMAIL) & Q(endpoint__isnull=False, email="")),
                name="notif_delivery_one_recipient",
            ),
        ]

    @property
    def recipient(self) -> str:
        return self.email or str(self.endpoint)

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient}: {self.subject}"


class DeliveryAttachment(models.Model):
    """A file sent with an email delivery (a scheduled report), kept with it until it is sent.

    The bytes live in the database so that they commit or roll back with the delivery; callers
    keep them small (ATTACHMENTS_MAX_BYTES in services.py).
    """

    delivery = models.ForeignKey(Delivery, models.CASCADE, related_name="attachments",
                                 verbose_name=_("delivery"))
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    content = models.BinaryField(_("content"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename
