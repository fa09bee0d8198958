"""Delivery status notifications told apart by their Action fields (RFC 3464): a bounce, a delay
notice (still being retried) and a success report are three kinds, none ever answered."""

from pathlib import Path

import pytest

from opsdesk.intake.parsers.email import mail_parse

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures" / "email"


def dsn(*recipients: tuple[str, str], report_type: str = "message/delivery-status",
        subject: str = "Delivery Status Notification") -> bytes:
    """A multipart/report DSN with one per-recipient block for each (action, address)."""
    blocks = "".join(f"\nFinal-Recipient: rfc822; {address}\nAction: {action}\n"
                     f"Status: {'5.1.1' if action == 'failed' else '4.4.7'}\n"
                     for action, address in recipients)
    return (f"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
            f"To: desk@opsdesk.example\nSubject: {subject}\nMessage-ID: <dsn1@mx.example.net>\n"
            f"Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
            f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
            f"--B\nContent-Type: text/plain\n\nThis is the mail system.\n\n"
            f"--B\nContent-Type: {report_type}\n\nReporting-MTA: dns; mx.example.net\n"
            f"{blocks}\n--B--\n").encode()


def test_the_shared_bounce_and_delay_notice_are_two_kinds():
    failed = mail_parse((SHARED / "12_bounce_dsn_failed_multipart_report.eml").read_bytes())
    delayed = mail_parse((SHARED / "13_bounce_dsn_delayed_multipart_report.eml").read_bytes())
    assert (failed.auto_kind, failed.dsn_recipients) == (
        "bounce", (("failed", "edwin@zzzzzzz.com"),))
    assert (delayed.auto_kind, delayed.dsn_recipients) == (
        "delayed", (("delayed", "fraser@oooooooo.com.au"),))
    assert failed.auto_response_suppressed and delayed.auto_response_suppressed


@pytest.mark.parametrize(("recipients", "kind"), [
    ((("failed", "a@example.com"),), "bounce"),
    ((("delayed", "a@example.com"),), "delayed"),
    ((("delayed", "a@example.com"), ("failed", "b@example.com")), "bounce"),
    ((("delivered", "a@example.com"), ("delayed", "b@example.com")), "delayed"),
    ((("delivered", "a@example.com"), ("relayed", "b@example.com")), "delivery-report"),
    ((("expanded", "list@example.com"),), "delivery-report"),
    ((), "bounce"),                            # a report without readable actions, as before
    ((("Failed", "A@Example.com"),), "bounce"),  # field values are case-insensitive
])
def test_the_actions_decide_the_kind(recipients, kind):
    parsed = mail_parse(dsn(*recipients))
    assert parsed.auto_kind == kind and parsed.auto_response_suppressed
    assert parsed.dsn_recipients == tuple((a.lower(), r.lower()) for a, r in recipients)


def test_a_global_dsn_read_as_text_is_told_apart_too():
    raw = dsn(("delayed", "张三@例子.中国"), report_type="message/global-delivery-status")
    parsed = mail_parse(raw)
    assert parsed.auto_kind == "delayed"
    assert parsed.dsn_recipients == (("delayed", "张三@例子.中国"),)


def test_the_report_is_no_attachment_and_its_text_is_the_body():
    parsed = mail_parse(dsn(("failed", "a@example.com")))
    assert parsed.attachments == () and parsed.body_text == "This is the mail system."
