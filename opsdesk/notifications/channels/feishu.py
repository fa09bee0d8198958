"""Feishu (飞书) custom group robot (自定义机器人), with its signature check (签名校验).

Formats from Feishu's "自定义机器人使用指南" (open.feishu.cn/document/client-docs/bot-v3/
add-custom-bot): {"msg_type": "text", "content": {"text": …}} or {"msg_type": "post",
"content": {"post": {"zh_cn": {"title": …, "content": [[{"tag": "text", "text": …}], …]}}}},
POSTed to …/open-apis/bot/v2/hook/<token>. With 签名校验, "timestamp" (seconds, a string) and
"sign" (signing.feishu_sign) are added to the body. Success is {"code": 0, …}; older answers
carry {"StatusCode": 0, …} instead.
"""

import time

from ..signing import feishu_sign
from .base import SendError, json_bytes, post_json, response_json, truncate_utf8

TEXT_MAX_BYTES = 18000  # Feishu refuses bodies over 20 KB


def message(delivery) -> dict:
    """The robot message: the caller's payload if given, else a rich-text post."""
    if delivery.payload:
        return dict(delivery.payload)
    locale = "en_us" if delivery.language.lower().startswith("en") else "zh_cn"
    lines = truncate_utf8(delivery.text, TEXT_MAX_BYTES).splitlines() or [""]
    content = [[{"tag": "text", "text": line}] for line in lines]
    return {"msg_type": "post",
            "content": {"post": {locale: {"title": delivery.subject, "content": content}}}}


def signed(body: dict, secret: str, *, timestamp_s: int) -> dict:
    """The body with timestamp and sign added (unchanged without a secret)."""
    if not secret:
        return body
    return {"timestamp": str(timestamp_s),
            "sign": feishu_sign(secret=secret, timestamp_s=timestamp_s), **body}


def succeeded(answer: dict) -> bool:
    """code 0, or StatusCode 0 in the older answer shape."""
    return answer.get("code", answer.get("StatusCode")) == 0


def send(delivery) -> None:
    """POST the signed message; code 0 (or StatusCode 0) in the answer means sent."""
    endpoint = delivery.endpoint
    body = signed(message(delivery), endpoint.secret, timestamp_s=int(time.time()))
    answer = response_json(post_json(endpoint.url, json_bytes(body)))
    if not succeeded(answer):
        code = answer.get("code", answer.get("StatusCode"))
        raise SendError(f"Feishu code {code}: {answer.get('msg', answer.get('StatusMessage'))}")
