"""DingTalk (钉钉) custom group robot (自定义机器人), with its signing secret (加签).

Formats from DingTalk's "自定义机器人发送群消息" / message types page
(open.dingtalk.com/document/robots/custom-robot-access): {"msgtype": "text", "text":
{"content": …}} or {"msgtype": "markdown", "markdown": {"title": …, "text": …}}. With 加签, the
URL (…/robot/send?access_token=…) gets `&timestamp=<ms>&sign=<signing.dingtalk_sign>`. The
answer is {"errcode": 0, "errmsg": "ok"} on success, and errcode 130101 ("send too fast")
past 20 messages a minute, after which the robot refuses everything for 10 minutes.
"""

import time

from ..signing import dingtalk_sign
from .base import RateLimited, SendError, json_bytes, post_json, response_json, truncate_utf8

MARKDOWN_MAX_BYTES = 18000  # DingTalk refuses bodies over 20 KB
TOO_FAST = 130101


def message(delivery) -> dict:
    """The robot message: the caller's payload if given, else markdown of subject and text."""
    if delivery.payload:
        return delivery.payload
    text = truncate_utf8(f"### {delivery.subject}\n\n{delivery.text}", MARKDOWN_MAX_BYTES)
    return {"msgtype": "markdown", "markdown": {"title": delivery.subject[:100], "text": text}}


def signed_url(url: str, secret: str, *, timestamp_ms: int) -> str:
    """The webhook URL with timestamp and sign appended (unchanged without a secret)."""
    if not secret:
        return url
    separator = "&" if "?" in url else "?"
    sign = dingtalk_sign(secret=secret, timestamp_ms=timestamp_ms)
    return f"{url}{separator}timestamp={timestamp_ms}&sign={sign}"


def send(delivery) -> None:
    """POST the message to the signed URL; errcode 0 in the answer means sent."""
    endpoint = delivery.endpoint
    url = signed_url(endpoint.url, endpoint.secret, timestamp_ms=int(time.time() * 1000))
    answer = response_json(post_json(url, json_bytes(message(delivery))))
    if answer.get("errcode") == TOO_FAST:
        raise RateLimited(f"DingTalk errcode {TOO_FAST}: {answer.get('errmsg', '')}")
    if answer.get("errcode") != 0:
        raise SendError(f"DingTalk errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")
