"""One sender per channel. A sender takes a claimed Delivery, sends it once, and returns on
success or raises `SendError`; it never touches the delivery's status (the sending service does)."""

from collections.abc import Callable

from ..choices import Channel
from . import dingtalk, email, feishu, webhook, wecom
from .base import RateLimited, SendError

SENDERS: dict[str, Callable] = {
    Channel.EMAIL: email.send,
    Channel.WEBHOOK: webhook.send,
    Channel.WECOM: wecom.send,
    Channel.DINGTALK: dingtalk.send,
    Channel.FEISHU: feishu.send,
}

__all__ = ["SENDERS", "RateLimited", "SendError"]
