"""Email over a real SMTP server: parts, headers, threading, language, outage and refusal."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation
from django.utils.translation import gettext

from opsdesk.notifications.models import Delivery
from opsdesk.notifications.services import deliveries_send_due, delivery_enqueue

pytestmark = pytest.mark.django_db
FOOTER = "This is an automatic message from opsdesk."


def expected_thread_id(thread_key: str) -> str:
    # Written out here, not taken from message_ids.py, so a change of scheme fails this test.
    return f"<opsdesk.t.{hashlib.sha256(thread_key.encode()).hexdigest()[:24]}@opsdesk.example>"


def part(message, kind: str) -> str:
    return message.get_body((kind,)).get_content().replace("\r\n", "\n")


def email(key: str, address: str = "li.lei@example.com", **kwargs) -> Delivery:
    values = {"subject": "INC202611250001 已受理", "text": "您的事件已受理。\n处理人: 王芳",
              "language": "zh-hans", **kwargs}
    return delivery_enqueue(key=key, channel="email", recipient=address, **values)


def test_message_has_text_and_html_parts_sender_and_auto_submitted(smtp_server):
    email("e1:email:li.lei@example.com", text="第一行\n<b>不是 HTML</b>")
    assert deliveries_send_due().sent == 1
    [(mail_from, rcpt_tos, message)] = smtp_server.messages
    assert mail_from == "desk@opsdesk.example" and rcpt_tos == ["li.lei@example.com"]
    assert message["Subject"] == "INC202611250001 已受理"
    assert message["From"] == "opsdesk <desk@opsdesk.example>"
    assert message.get_content_type() == "multipart/alternative"
    text = part(message, "plain")
    html = part(message, "html")
    assert text.startswith("第一行\n<b>不是 HTML</b>\n")  # text part: not escaped
    assert "第一行<br>&lt;b&gt;不是 HTML&lt;/b&gt;" in html  # HTML part: escaped
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"


def test_callers_html_is_used_as_the_html_part(smtp_server):
    email("e2:email:li.lei@example.com", html="<p>已受理 <strong>INC202611250001</strong></p>")
    deliveries_send_due()
    html = part(smtp_server.messages[0][2], "html")
    assert "<p>已受理 <strong>INC202611250001</strong></p>" in html


def test_layout_follows_the_recipients_language(smtp_server):
    email("e3:email:li.lei@example.com", language="zh-hans")
    email("e3:email:jane@example.com", address="jane@example.com", language="en",
          subject="INC202611250001 logged", text="We logged your incident.")
    deliveries_send_due()
    by_address = {rcpt[0]: message for _from, rcpt, message in smtp_server.messages}
    chinese, english = by_address["li.lei@example.com"], by_address["jane@example.com"]
    assert chinese["Content-Language"] == "zh-Hans"
    assert english["Content-Language"] == "en"
    assert '<html lang="zh-hans">' in part(chinese, "html")
    assert '<html lang="en">' in part(english, "html")
    assert FOOTER in part(english, "plain")
    with translation.override("zh-hans"):  # whatever the zh-Hans catalogue says for the footer
        assert gettext(FOOTER) in part(chinese, "plain")


def test_thread_key_groups_messages_first_has_the_thread_id_later_ones_reply_to_it(smtp_server):
    for n in range(3):
        email(f"inc1:event{n}:email:li.lei@example.com", thread_key="incident:1",
              subject=f"INC202611250001 update {n}")
    deliveries_send_due()
    first, second, third = (m for _f, _r, m in sorted(smtp_server.messages,
                                                       key=lambda item: item[2]["Subject"]))
    root = expected_thread_id("incident:1")
    assert first["Message-ID"] == root
    assert first["In-Reply-To"] is None and first["References"] is None
    for later in (second, third):
        assert later["In-Reply-To"] == root and later["References"] == root
        assert later["Message-ID"] != root
    assert second["Message-ID"] != third["Message-ID"]


def test_each_address_gets_its_own_first_message_of_the_thread(smtp_server):
    email("inc1:a:email:li.lei@example.com", thread_key="incident:1")
    email("inc1:b:email:li.lei@example.com", thread_key="incident:1")
    email("inc1:b:email:jane@example.com", address="jane@example.com", thread_key="incident:1")
    deliveries_send_due()
    jane = next(m for _f, rcpt, m in smtp_server.messages if rcpt == ["jane@example.com"])
    assert jane["Message-ID"] == expected_thread_id("incident:1")
    assert jane["In-Reply-To"] is None


def test_message_id_is_stored_for_replies_and_stable_across_retries(smtp_server):
    delivery = email("e4:email:li.lei@example.com")
    expected = f"<opsdesk.d.{hashlib.sha256(b'e4:email:li.lei@example.com').hexdigest()[:24]}" \
               "@opsdesk.example>"
    assert Delivery.objects.get(pk=delivery.pk).message_id == expected
    smtp_server.stop()
    deliveries_send_due()
    smtp_server.start()
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        deliveries_send_due()
    assert [m["Message-ID"] for _f, _r, m in smtp_server.messages] == [expected]


def test_relay_down_waits_and_sends_exactly_once_when_it_is_back(smtp_server):
    smtp_server.stop()
    delivery = email("e5:email:li.lei@example.com")
    report = deliveries_send_due()
    delivery.refresh_from_db()
    assert (report.retrying, delivery.status, delivery.attempts) == (1, "failed_retrying", 1)
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error
    smtp_server.start()
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        assert deliveries_send_due().sent == 1
        assert deliveries_send_due().taken == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(smtp_server.messages) == 1


def test_a_refused_address_is_dead_at_once(smtp_server):
    delivery = email("e6:email:nobody@refused.example", address="nobody@refused.example")
    assert deliveries_send_due().dead == 1
    delivery.refresh_from_db()
    assert delivery.status == "dead" and "550" in delivery.last_error
