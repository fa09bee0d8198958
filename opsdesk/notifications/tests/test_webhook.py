"""The generic webhook against a real HTTP receiver: exact JSON, headers, signature, failures."""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from opsdesk.notifications.services import deliveries_send_due, delivery_enqueue

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def verify(secret: str, body: bytes, header: str) -> bool:
    """A receiver's check, written independently of opsdesk.notifications.signing."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def enqueue(endpoint, key="evt1:webhook:1", **kwargs):
    values = {"subject": "INC202611250001 已解决", "text": "请确认。", "language": "zh-hans",
              "payload": {"event": "incident.resolved", "number": "INC202611250001"}, **kwargs}
    return delivery_enqueue(key=key, channel="webhook", recipient=endpoint, **values)


def test_posts_the_documented_envelope_signed_with_the_endpoint_secret(receiver, webhook):
    with time_machine.travel(NOW, tick=False):
        delivery = enqueue(webhook, thread_key="incident:1")
        assert deliveries_send_due().sent == 1
    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["X-Opsdesk-Timestamp"] == str(int(NOW.timestamp()))
    assert request.headers["X-Opsdesk-Delivery"] == str(delivery.pk)
    assert verify("whsec-test-0123456789", request.body, request.headers["X-Opsdesk-Signature"])
    assert not verify("another-secret", request.body, request.headers["X-Opsdesk-Signature"])
    assert request.json == {
        "delivery": delivery.pk, "key": "evt1:webhook:1", "timestamp": int(NOW.timestamp()),
        "subject": "INC202611250001 已解决", "text": "请确认。", "html": "",
        "language": "zh-hans", "thread_key": "incident:1",
        "payload": {"event": "incident.resolved", "number": "INC202611250001"},
    }
    assert "已解决".encode() in request.body  # UTF-8, not \\u escapes: the signed bytes as sent
    assert request.body == json.dumps(request.json, ensure_ascii=False,
                                      separators=(",", ":")).encode()


def test_any_2xx_is_sent_and_a_5xx_is_retried(receiver, webhook):
    receiver.status, receiver.answer = 204, {}
    enqueue(webhook, key="a")
    assert deliveries_send_due().sent == 1
    receiver.status = 503
    delivery = enqueue(webhook, key="b")
    assert deliveries_send_due().retrying == 1
    delivery.refresh_from_db()
    assert delivery.status == "failed_retrying" and delivery.last_error.startswith("HTTP 503")


def test_a_tampered_body_does_not_verify(receiver, webhook):
    enqueue(webhook)
    deliveries_send_due()
    [request] = receiver.requests
    tampered = request.body.replace("请确认".encode(), "已关闭".encode())
    assert not verify("whsec-test-0123456789", tampered, request.headers["X-Opsdesk-Signature"])


def test_receiver_down_loses_nothing_and_gets_it_once_when_back(receiver, webhook):
    receiver.stop()
    with time_machine.travel(NOW, tick=False):
        delivery = enqueue(webhook)
        assert deliveries_send_due().retrying == 1
    delivery.refresh_from_db()
    assert delivery.status == "failed_retrying" and "ConnectError" in delivery.last_error
    receiver.start()
    with time_machine.travel(NOW + timedelta(seconds=10), tick=False):
        assert deliveries_send_due().taken == 0  # not due yet: backoff is at least 24 s
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert deliveries_send_due().sent == 1
        assert deliveries_send_due().taken == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(receiver.requests) == 1
