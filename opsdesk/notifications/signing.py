"""Signatures of outgoing posts: our generic webhook's, and the DingTalk and Feishu robots'.

Generic webhook (how a receiver verifies a post from opsdesk):

    POST <endpoint URL>
    Content-Type: application/json; charset=utf-8
    X-Opsdesk-Timestamp: 1767225600            (Unix seconds when this attempt was sent)
    X-Opsdesk-Delivery: 42                     (the delivery's id; the same on every retry)
    X-Opsdesk-Signature: sha256=<hex>

    <hex> = lowercase hex of HMAC-SHA256(key=endpoint secret as UTF-8, msg=the raw body bytes)

Compare with `hmac.compare_digest` over the raw bytes as received (before parsing the JSON).
The body repeats the timestamp (`"timestamp"`), so the signature covers it too: reject a body
whose timestamp differs from the header or is more than 5 minutes old (replays), and use
`"delivery"` (also in the body) to drop a post you already handled, because a retry after a
lost answer posts the same delivery again.
"""

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

SIGNATURE_HEADER = "X-Opsdesk-Signature"
TIMESTAMP_HEADER = "X-Opsdesk-Timestamp"
DELIVERY_HEADER = "X-Opsdesk-Delivery"


def webhook_signature(*, secret: str, body: bytes) -> str:
    """The X-Opsdesk-Signature value for a body: "sha256=" + hex HMAC-SHA256 with the secret."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def dingtalk_sign(*, secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret), base64, URL-encoded.

    Documented in DingTalk's "自定义机器人安全设置" (open.dingtalk.com/document/robots/
    customize-robot-security-settings): the timestamp is in milliseconds and must be within an
    hour of DingTalk's clock; both go in the query string as `&timestamp=…&sign=…`.
    """
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def feishu_sign(*, secret: str, timestamp_s: int) -> str:
    """Feishu 签名校验: HMAC-SHA256 keyed with timestamp + "\\n" + secret over an empty message, base64.

    Documented in Feishu's "自定义机器人使用指南" (open.feishu.cn/document/client-docs/bot-v3/
    add-custom-bot): the timestamp is in seconds, and `timestamp` (a string) and `sign` go in the
    JSON body next to `msg_type`. Note the key is the string to sign, unlike DingTalk.
    """
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")
