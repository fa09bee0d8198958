"""The generic webhook: our JSON envelope, signed with the endpoint's secret (see signing.py).

Body: {"delivery": id, "key": idempotency key, "timestamp": Unix seconds, "subject", "text",
"html", "language", "thread_key", "payload": the caller's JSON or null}. Any 2xx answer is sent.
"""

import time

from ..signing import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature
from .base import SendError, json_bytes, post_json


def envelope(delivery, *, timestamp: int) -> dict:
    """The JSON object posted for a delivery."""
    return {
        "delivery": delivery.pk, "key": delivery.idempotency_key, "timestamp": timestamp,
        "subject": delivery.subject, "text": delivery.text, "html": delivery.html,
        "language": delivery.language, "thread_key": delivery.thread_key,
        "payload": delivery.payload,
    }


def send(delivery) -> None:
    """POST the signed envelope to the endpoint; 2xx means sent."""
    endpoint = delivery.endpoint
    if not endpoint.secret:
        raise SendError("the webhook endpoint has no secret to sign with")
    timestamp = int(time.time())
    body = json_bytes(envelope(delivery, timestamp=timestamp))
    post_json(endpoint.url, body, {
        SIGNATURE_HEADER: webhook_signature(secret=endpoint.secret, body=body),
        TIMESTAMP_HEADER: str(timestamp),
        DELIVERY_HEADER: str(delivery.pk),
    })
