"""The group robots' rate limits, counted in the Delivery table so that every worker sees them.

The vendors' documented limits, per robot (one webhook URL):

- WeCom (群机器人配置说明, developer.work.weixin.qq.com/document/path/91770): 20 messages a
  minute. Over it the robot answers errcode 45009.
- DingTalk (自定义机器人, open.dingtalk.com/document/robots/custom-robot-access): 20 messages a
  minute; over it the robot answers errcode 130101 and refuses everything for 10 minutes.
- Feishu (自定义机器人使用指南, open.feishu.cn/document/client-docs/bot-v3/add-custom-bot):
  100 requests a minute and 5 a second.

Before a robot delivery goes out, `rate_slot_take` locks the endpoint's row (so two workers on
two machines take turns for the same robot; SQLite's single writer does the same), counts the
requests that went out in each window (`Delivery.rate_counted_at`), and either stamps this
delivery as going out now or answers when the fullest window frees. Windows slide, so no
span of a minute ever holds more than the limit, whatever minute boundaries the vendor counts.
Going over is a deferral, not a failure: see sending.delivery_send.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from .choices import Channel
from .models import Delivery, Endpoint


@dataclass(frozen=True)
class Limit:
    """At most `count` requests in any `window`."""

    count: int
    window: timedelta


MINUTE, SECOND = timedelta(minutes=1), timedelta(seconds=1)
LIMITS: dict[str, tuple[Limit, ...]] = {
    Channel.WECOM: (Limit(20, MINUTE),),
    Channel.DINGTALK: (Limit(20, MINUTE),),
    Channel.FEISHU: (Limit(100, MINUTE), Limit(5, SECOND)),
}
# How long a robot that answered "too fast" (someone else also posts to it) is left alone.
VENDOR_PENALTY = {Channel.WECOM: MINUTE, Channel.DINGTALK: timedelta(minutes=10),
                  Channel.FEISHU: MINUTE}


def free_at(*, recent: list[datetime], limits: tuple[Limit, ...],
            now: datetime) -> datetime | None:
    """None if a request may go now, else when the fullest window frees (`recent`: newest first)."""
    waits = [recent[limit.count - 1] + limit.window for limit in limits
             if len(recent) >= limit.count and recent[limit.count - 1] + limit.window > now]
    return max(waits, default=None)


def rate_slot_take(*, delivery: Delivery, now: datetime) -> datetime | None:
    """Count this delivery as going out now and return None, or return when it may go out.

    Deliveries on a channel without limits always go. Serialised per endpoint by its row lock.
    """
    limits = LIMITS.get(delivery.channel)
    if not limits or delivery.endpoint_id is None:
        return None
    with transaction.atomic():
        list(Endpoint.objects.select_for_update().filter(pk=delivery.endpoint_id).values("pk"))
        wait = free_at(recent=_recent(delivery.endpoint_id, limits, now), limits=limits, now=now)
        if wait is None:
            Delivery.objects.filter(pk=delivery.pk).update(rate_counted_at=now)
    return wait


def _recent(endpoint_id: int, limits: tuple[Limit, ...], now: datetime) -> list[datetime]:
    """When the last requests to the endpoint went out, newest first, as many as a limit counts."""
    horizon = now - max(limit.window for limit in limits)
    return list(Delivery.objects.filter(endpoint_id=endpoint_id, rate_counted_at__gt=horizon)
                .order_by("-rate_counted_at")
                .values_list("rate_counted_at", flat=True)[:max(l.count for l in limits)])
