"""WeCom (企业微信) group robot.

Format from WeCom's "群机器人配置说明" (developer.work.weixin.qq.com/document/path/91770):
POST JSON to the robot's webhook URL (…/cgi-bin/webhook/send?key=…), either
{"msgtype": "text", "text": {"content": …}} (at most 2048 bytes) or
{"msgtype": "markdown", "markdown": {"content": …}} (at most 4096 bytes); the answer is
{"errcode": 0, "errmsg": "ok"} on success, errcode 45009 when it is sent more than 20 messages
a minute (ratelimit.py). The robot has no signing secret: the key is the URL.
"""

from .base import RateLimited, SendError, json_bytes, post_json, response_json, truncate_utf8

MARKDOWN_MAX_BYTES = 4096
TOO_FAST = 45009  # "api freq out of limit"


def message(delivery) -> dict:
    """The robot message: the caller's payload if given, else markdown of subject and text."""
    if delivery.payload:
        return delivery.payload
    content = f"**{delivery.subject}**\n{delivery.text}"
    return {"msgtype": "markdown",
            "markdown": {"content": truncate_utf8(content, MARKDOWN_MAX_BYTES)}}


def send(delivery) -> None:
    """POST the message; errcode 0 in the answer means sent."""
    answer = response_json(post_json(delivery.endpoint.url, json_bytes(message(delivery))))
    if answer.get("errcode") == TOO_FAST:
        raise RateLimited(f"WeCom errcode {TOO_FAST}: {answer.get('errmsg', '')}")
    if answer.get("errcode") != 0:
        raise SendError(f"WeCom errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")
