"""Channels, endpoint kinds and delivery statuses."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a delivery travels: email to an address, or a POST to an endpoint of that kind."""

    EMAIL = "email", _("email")
    WEBHOOK = "webhook", _("webhook")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    FEISHU = "feishu", _("Feishu group robot")


class EndpointKind(models.TextChoices):
    """The channels that post to a configured URL (every channel but email)."""

    WEBHOOK = Channel.WEBHOOK.value, Channel.WEBHOOK.label
    WECOM = Channel.WECOM.value, Channel.WECOM.label
    DINGTALK = Channel.DINGTALK.value, Channel.DINGTALK.label
    FEISHU = Channel.FEISHU.value, Channel.FEISHU.label


class DeliveryStatus(models.TextChoices):
    """pending → sending → sent; a failure goes to failed_retrying (and back to sending) or dead."""

    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    RETRYING = "failed_retrying", _("failed, will retry")
    DEAD = "dead", _("failed for good")


# A delivery in one of these statuses is due once next_attempt_at has passed. For SENDING,
# next_attempt_at is the end of the sender's lease: a worker killed mid-send gives it back.
DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING, DeliveryStatus.SENDING)
