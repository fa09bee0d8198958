"""Email deliveries may carry files (scheduled reports): sent as attachments over real SMTP."""

import pytest

from opsdesk.core.exceptions import InvalidInput
from opsdesk.notifications import services
from opsdesk.notifications.models import DeliveryAttachment
from opsdesk.notifications.services import deliveries_send_due, delivery_enqueue

pytestmark = pytest.mark.django_db


def test_an_attached_file_arrives_with_its_name_type_and_bytes(smtp_server):
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40
    delivery_enqueue(key="report:1:email:boss@example.com", channel="email",
                     recipient="boss@example.com", subject="月度服务报告 2026-03",
                     text="报告见附件。", language="zh-hans",
                     attachments=[("月度服务报告-2026-03.pdf", pdf, "application/pdf")])
    assert deliveries_send_due().sent == 1
    [(_from, _to, message)] = smtp_server.messages
    assert message.get_content_type() == "multipart/mixed"
    assert "报告见附件。" in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "月度服务报告-2026-03.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf


def test_the_same_key_stores_the_file_once():
    for _ in range(2):
        delivery_enqueue(key="report:2:email:a@example.com", channel="email",
                         recipient="a@example.com", subject="s", text="t",
                         attachments=[("a.csv", b"x,y\r\n", "text/csv")])
    assert DeliveryAttachment.objects.count() == 1


def test_only_email_carries_files_and_not_too_many_bytes(webhook):
    with pytest.raises(InvalidInput) as refused:
        delivery_enqueue(key="w:1", channel="webhook", recipient=webhook, subject="s", text="t",
                         attachments=[("a.csv", b"x", "text/csv")])
    assert "attachments" in refused.value.errors
    big = b"0" * (services.ATTACHMENTS_MAX_BYTES + 1)
    with pytest.raises(InvalidInput):
        delivery_enqueue(key="e:1", channel="email", recipient="a@example.com", subject="s",
                         text="t", attachments=[("big.bin", big, "application/octet-stream")])
    assert DeliveryAttachment.objects.count() == 0
