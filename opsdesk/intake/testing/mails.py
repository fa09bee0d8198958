"""Mails of our own for the intake tests, built byte by byte where the encoding is the point."""

import base64
from email.message import EmailMessage
from email.utils import make_msgid


def with_attachments(*, sender: str = "alice@example.com", subject: str = "Printer 3F jammed",
                     text: str = "The printer on 3F shows E52.", in_reply_to: str = "",
                     files: dict[str, bytes] | None = None) -> bytes:
    """A person's mail (a fresh Message-ID each time), optionally a reply, with files."""
    message = EmailMessage()
    message["From"], message["To"] = sender, "desk@opsdesk.example"
    message["Subject"], message["Message-ID"] = subject, make_msgid(domain="example.com")
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = in_reply_to
    message.set_content(text)
    for name, content in (files or {}).items():
        message.add_attachment(content, maintype="application", subtype="octet-stream",
                               filename=name)
    return message.as_bytes()


def _gb2312_word(text: str) -> bytes:
    # Labelled GB2312 like old Outlook, though 喆 exists only in GBK/GB18030.
    return b"=?GB2312?B?" + base64.b64encode(text.encode("gb18030")) + b"?="


def chinese_html_only() -> bytes:
    """HTML only (no text part), base64 in GBK labelled GB2312, as Foxmail and old Outlook send."""
    html = ("<html><head><title>邮件</title></head><body><p>您好，</p>"
            "<p>财务系统<b>无法登录</b>，提示“密码错误”。</p><p>谢谢！<br>陈喆</p></body></html>")
    body = base64.encodebytes(html.encode("gb18030"))
    return (b"From: " + _gb2312_word("陈喆") + b" <chen.zhe@example.cn>\r\n"
            b"To: desk@opsdesk.example\r\n"
            b"Subject: " + _gb2312_word("财务系统无法登录") + b"\r\n"
            b"Message-ID: <html-only-gbk@example.cn>\r\n"
            b"Date: Tue, 25 Nov 2025 09:30:00 +0800\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: text/html; charset=\"gb2312\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + body)


def malformed_mime() -> bytes:
    """A multipart whose closing boundary never comes, with a part of broken base64."""
    return (b"From: Dave <dave@example.com>\r\n"
            b"To: desk@opsdesk.example\r\n"
            b"Subject: Printer problem\r\n"
            b"Message-ID: <malformed-1@example.com>\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n"
            b"--XYZ\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
            b"The printer prints blank pages.\r\n"
            b"--XYZ\r\n"
            b"Content-Type: application/octet-stream; name=\"scan.bin\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n"
            b"QUJD!!!not*base64===\r\n")
