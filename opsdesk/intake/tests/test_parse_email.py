"""The email parser replays public sample mails and our own: what a service-desk agent sees.

Public samples are read from shared/fixtures beside the repository and never copied into it;
ours live in tests/mail/. Large and synthetic mails are built here at run time.
"""

import contextlib
import random
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest

from opsdesk.intake.parsers.email import dedup_key, mail_parse
from opsdesk.intake.parsers.email_charset import decode_header_text
from opsdesk.intake.parsers.email_quotes import reply_text
from opsdesk.intake.parsers.types import ParseError

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures"
OURS = Path(__file__).resolve().parent / "mail"
SHARED_MAILS = sorted((SHARED / "email").glob("*.eml"))
ICINGA_MAILS = sorted((SHARED / "alerts").glob("icinga2_mail_*.eml"))


def shared(name: str):
    """The ParsedMail of a public sample in shared/fixtures/email."""
    return mail_parse((SHARED / "email" / name).read_bytes())


def ours(name: str):
    """The ParsedMail of one of our own fixtures."""
    return mail_parse((OURS / name).read_bytes())


def attachments_seen(parsed) -> list[tuple[str, str, int]]:
    """(file name, content type, size) of each attachment, as the incident page lists them."""
    return [(a.filename, a.content_type, len(a.content)) for a in parsed.attachments]


def built(headers: dict[str, str], body: str = "Hello") -> bytes:
    """A small mail with these headers written as given (folds and all)."""
    fields = {"From": "Ann <ann@example.com>", "To": "desk@example.com", "Subject": "Help",
              **headers}
    head = "".join(f"{name}: {value}\n" for name, value in fields.items())
    return f"{head}\n{body}\n".encode()


# --- every fixture ------------------------------------------------------------------------

def test_the_public_samples_are_there():
    assert len(SHARED_MAILS) == 13 and len(ICINGA_MAILS) == 6


@pytest.mark.parametrize("path", SHARED_MAILS + ICINGA_MAILS + sorted(OURS.glob("*.eml")),
                         ids=lambda path: path.name)
def test_every_fixture_parses_with_a_sender_and_a_stable_key(path):
    raw = path.read_bytes()
    parsed = mail_parse(raw)
    assert "@" in parsed.from_address and parsed.from_address == parsed.from_address.lower()
    assert dedup_key(raw) == dedup_key(raw) and len(dedup_key(raw)) == 64
    assert dedup_key(raw.replace(b"\r\n", b"\n")) == dedup_key(raw.replace(b"\r\n", b"\n")
                                                                  .replace(b"\n", b"\r\n"))


@pytest.mark.parametrize("path", SHARED_MAILS + sorted(OURS.glob("*.eml")), ids=lambda p: p.name)
def test_cut_or_scrambled_mail_never_raises_anything_but_parse_error(path):
    raw = path.read_bytes()
    scrambled = bytearray(raw)
    rng = random.Random(path.name)  # seeded: the same bytes on every run
    for index in rng.sample(range(len(raw)), k=min(40, len(raw))):
        scrambled[index] = rng.randrange(256)
    for variant in [raw[:cut] for cut in range(0, len(raw), max(1, len(raw) // 15))] + [scrambled]:
        with contextlib.suppress(ParseError):
            dedup_key(bytes(variant))
            mail_parse(bytes(variant))


# --- the public samples -------------------------------------------------------------------

def test_01_plain_utf8_8bit():
    parsed = shared("01_plain_utf8_8bit.eml")
    assert parsed.subject == "Testovácí email"
    assert (parsed.from_name, parsed.from_address) == ("Timothy Hobbs", "timothy.hobbs@auto-mat.cz")
    assert parsed.body_text == parsed.reply_text == "íářčšáíéřášč"
    assert parsed.date == datetime(2019, 3, 8, 22, 40, 4, tzinfo=UTC)


def test_02_alternative_prefers_the_text_part_and_sanitises_the_html():
    parsed = shared("02_multipart_alternative_qp_utf8.eml")
    assert parsed.subject == "Český test"
    assert parsed.body_text == "Tohle je test českých písmen odeslaných z gmailu."
    assert parsed.body_html == "<div>Tohle je test českých písmen odeslaných z gmailu.</div>\n"


def test_03_blank_body_with_one_attachment_and_a_long_subject():
    parsed = shared("03_multipart_mixed_attachment_blank_body.eml")
    assert parsed.subject.startswith("Attachment without body - and a looo")
    assert len(parsed.subject) > 200 and parsed.subject.endswith("ong subject")
    assert parsed.body_text == parsed.reply_text == ""
    assert attachments_seen(parsed) == [("baf", "text/plain", 24)]
    assert parsed.attachments[0].content == b"You shouldn't see this.\n"


def test_04_a_forward_keeps_its_content_and_its_threading_headers():
    parsed = shared("04_fwd_with_in_reply_to_references.eml")
    gmail_id = "CAK0Q_=uQY=3V5iUSgEN16GLtYoJ-6oQu-vYjsgQ=jv6DwOkuLQ@mail.gmail.com"
    assert parsed.subject == "Fwd: Cyklozaměstnavatel - změna vyhodnocení"
    assert parsed.in_reply_to == parsed.references == (gmail_id,)
    assert parsed.message_id == "00d73ce5-774a-5ea1-6742-af73ef58c01c@example.cz"
    assert "Ahoj Johne," in parsed.reply_text and "From: \tNikola" in parsed.reply_text


def test_05_gb2312_labelled_words_with_gbk_characters():
    parsed = shared("05_gb2312_labelled_encoded_words_with_gbk_gb18030_chars.eml")
    assert parsed.from_name == "梁祐晟"
    assert parsed.to == ("other.address@some.domain",)
    assert decode_header_text("'=?gb2312?B?wdaRY8PA?='") == "'林慶美'"
    assert parsed.subject == "讀取: ??排??生?a"
    assert parsed.body_text == "bodytext" and parsed.message_id == "" and parsed.date is None


def test_06_body_labelled_gb2312_but_written_in_utf8():
    parsed = shared("06_gb2312_subject_8bit_body_charset_mislabeled.eml")
    assert parsed.subject == "代开各地增值税发票" and parsed.from_name == "张先生"
    assert parsed.body_text.startswith("你好！我公司可代开各类增值税发票，17%专用发票")
    assert parsed.to == ("danglüe@email.com",)  # raw UTF-8 in the To header
    assert "charset 'gb2312' did not fit; read as utf-8" in parsed.defects


def test_07_reply_threads_and_keeps_its_inline_images_despite_precedence_bulk():
    parsed = shared("07_reply_in_reply_to_references_related_images.eml")
    assert parsed.in_reply_to == parsed.references == ("1359492484.4590710694371947@mf102",)
    assert parsed.subject == "Re: Fwd: Stuff" and parsed.reply_text == "Hello, World"
    assert attachments_seen(parsed) == [("OEOYKEJENLIK.2.jpg", "image/jpg", 600),
                                        ("RMXPLRIHWRQK.3.jpg", "image/jpg", 592),
                                        ("OSSFDHZYGOQM.transparent.gif", "image/gif", 43)]
    assert all(a.inline and a.content_id == a.filename for a in parsed.attachments)
    assert '<img src="cid:RMXPLRIHWRQK.3.jpg">' in parsed.body_html
    assert "XHTML 1.0 Strict standard template" not in parsed.body_html  # the <title>
    # A person's reply: threaded, never dropped; only the automatic acknowledgement is held back.
    assert parsed.auto_kind == "" and parsed.auto_response_suppressed


def test_08_bottom_posted_reply_shows_only_the_new_line():
    parsed = shared("08_reply_quoted_text_no_threading_headers.eml")
    assert parsed.reply_text == "Hello"
    assert parsed.body_text.startswith("On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi")
    assert parsed.in_reply_to == parsed.references == ()


def test_09_outlook_header_block_is_cut_in_the_text_part():
    parsed = shared("09_reply_outlook_style_quote_multipart.eml")
    assert parsed.reply_text == "Hello" and parsed.message_id == ""
    assert "The manager has commented on your Loop" in parsed.body_text


def test_09_outlook_header_block_is_cut_in_html_only_mail():
    fixture = SHARED / "email" / "09_reply_outlook_style_quote_multipart.eml"
    html = next(part for part in _parts(fixture)
                if part.get_content_type() == "text/html").get_content()
    message = EmailMessage()
    message["From"], message["Subject"] = "me@example.com", "Test"
    message.set_content(html, subtype="html")
    parsed = mail_parse(message.as_bytes())
    assert parsed.reply_text == "Allo! Follow up MIME!"
    assert "font-family" not in parsed.body_text and "<style" not in parsed.body_html


def _parts(path: Path):
    """The leaf parts of a mail file, read with the modern stdlib API."""
    from email import message_from_bytes, policy
    return message_from_bytes(path.read_bytes(), policy=policy.default).walk()


@pytest.mark.parametrize(("name", "kind"), [
    ("10_auto_reply_auto_submitted.eml", "auto-reply"),
    ("11_auto_reply_exchange_x_auto_response_suppress.eml", "auto-reply"),
    ("12_bounce_dsn_failed_multipart_report.eml", "bounce"),
    ("13_bounce_dsn_delayed_multipart_report.eml", "delayed"),
])
def test_automatic_mail_is_recognised(name, kind):
    parsed = shared(name)
    assert parsed.auto_kind == kind and parsed.auto_response_suppressed


def test_bounce_reports_are_not_attachments_and_return_path_is_kept():
    failed, exchange = shared("12_bounce_dsn_failed_multipart_report.eml"), shared(
        "11_auto_reply_exchange_x_auto_response_suppress.eml")
    assert failed.attachments == () and failed.from_address == "mailer-daemon@tttttt.com.au"
    assert "MailScanner" not in failed.reply_text  # below the "-- " signature line
    assert failed.return_path == "mailer-daemon@imap01.sssss.net" and exchange.return_path == ""
    assert "intermittent access to email" in exchange.body_text  # Windows-1252 QP soft breaks


def test_icinga_mails_sharing_a_message_id_get_different_keys():
    raws = [path.read_bytes() for path in ICINGA_MAILS]
    parsed = [mail_parse(raw) for raw in raws]
    shared_id = "20160131094621.29ECD400F29C-icinga-5@monitoring.zammad.com"
    assert sum(mail.message_id == shared_id for mail in parsed) == 3
    assert len({dedup_key(raw) for raw in raws}) == len(raws)
    assert all(mail.from_address == "icinga2@monitoring.example.com" for mail in parsed)


def test_dedup_key_ignores_trace_headers_but_not_content():
    raw = (SHARED / "email" / "01_plain_utf8_8bit.eml").read_bytes()
    trace = b"Received: from mx2 by mx3; Mon, 1 Jan 2024\r\nDelivered-To: x@y\r\nX-Spam: no\r\n"
    relayed = trace + raw
    assert dedup_key(relayed) == dedup_key(raw) == dedup_key(raw.rstrip() + b"\r\n\r\n")
    assert dedup_key(raw.replace("íář".encode(), b"abc")) != dedup_key(raw)
    assert dedup_key(b"Subject: a\n\nbody") != dedup_key(b"Subject: b\n\nbody")
    with pytest.raises(ParseError):
        dedup_key(b"\r\n")


# --- our own fixtures ---------------------------------------------------------------------

def test_chinese_html_only_gbk_mail_is_read_and_sanitised():
    parsed = ours("html_only_gbk_base64.eml")
    assert parsed.subject == "【故障】订单系统无法登录，喆哥已确认" and parsed.from_name == "王喆"
    assert "订单系统从 09:30 起无法登录，提示“数据库连接超时”。\n影响范围" in parsed.body_text
    assert "db-prod-01" in parsed.body_text and "alert(" not in parsed.body_text
    assert "邮件" not in parsed.body_text and "color: red" not in parsed.body_text
    assert "<script" not in parsed.body_html and "onclick" not in parsed.body_html
    assert "javascript:" not in parsed.body_html and "<b>无法登录</b>" in parsed.body_html
    assert parsed.reply_text.endswith("请尽快处理，谢谢！详情")  # the "--" signature is cut


def test_big5_mail_with_hkscs_characters():
    parsed = ours("big5_hkscs_qp.eml")
    assert parsed.subject == "伺服器當機㗎" and parsed.from_name == "陳大文"
    assert parsed.body_text == "伺服器今朝當機㗎，請盡快處理。\n呢個係嘅問題：硬碟已滿。"
    assert parsed.defects == ()


@pytest.mark.parametrize(("name", "body", "defect"), [
    ("malformed_missing_boundary_end.eml", "VPN 从早上开始连不上，日志见附件。",
     "CloseBoundaryNotFoundDefect"),
    ("malformed_bad_base64.eml", "磁盘使用率 97%，请扩容。", "InvalidBase64CharactersDefect"),
    ("malformed_wrong_charset_label.eml", "三楼打印机卡纸，已经重启过了还是不行。",
     "charset 'utf-8' did not fit; read as gb18030"),
    ("malformed_unknown_charset.eml", "邮件网关告警：队列积压 1200 封。",
     "charset 'x-no-such-charset' did not fit; read as utf-8"),
    ("malformed_header_without_colon.eml", "The printer on floor 3 is jammed again.",
     "HeaderWithoutColonDefect"),
])
def test_malformed_mail_is_read_with_its_defects_listed(name, body, defect):
    parsed = ours(name)
    assert parsed.body_text == body and defect in parsed.defects


def test_truncated_multipart_keeps_its_attachment_and_headers_after_a_bad_line_survive():
    assert attachments_seen(ours("malformed_missing_boundary_end.eml")) == [
        ("vpn.log", "text/plain", 57)]
    assert ours("malformed_header_without_colon.eml").message_id == "nocolon-0001@example.cn"


def test_file_names_in_every_encoding_clients_use():
    assert attachments_seen(ours("rfc2231_filenames.eml")) == [
        ("故障报告.pdf", "application/pdf", 24),        # RFC 2231 filename*=UTF-8''
        ("王喆的日志.txt", "text/plain", 8),             # RFC 2231 continuations, gb2312 label
        ("值班表.xls", "application/vnd.ms-excel", 3),  # RFC 2047 word in quotes (Outlook)
        ("截图.png", "image/png", 8),                   # raw UTF-8 with a Windows path
    ]


def test_outlook_chinese_reply_is_cut_at_the_header_block():
    parsed = ours("outlook_chinese_reply.eml")
    assert parsed.reply_text == "已重启应用服务器，请确认是否恢复。\n\n王芳\n运维部"
    assert parsed.subject == "答复: 订单系统无法登录" and parsed.cc == ("desk@example.cn",)
    assert parsed.in_reply_to == ("original-4711@opsdesk.example.cn",)
    assert parsed.references == ("thread-1@opsdesk.example.cn", "original-4711@opsdesk.example.cn")
    assert parsed.date == datetime(2024, 1, 2, 10, 12, tzinfo=timezone(timedelta(hours=8)))


def test_iphone_reply_is_cut_at_its_footer():
    parsed = ours("iphone_reply_original_mail.eml")
    assert parsed.reply_text == "重启后正常了，谢谢！"
    assert parsed.subject == "回复：[#INC-1024] VPN 无法连接"


def test_inline_image_keeps_its_content_id():
    parsed = ours("inline_image_cid.eml")
    (image,) = parsed.attachments
    assert (image.filename, image.content_id, image.inline) == ("screenshot.png",
                                                               "shot-1@example.cn", True)
    assert image.content.startswith(b"\x89PNG")
    assert '<img src="cid:shot-1@example.cn" alt="screenshot">' in parsed.body_html
    assert parsed.body_text == "The POS shows this error:\n[image: screenshot.png]"


def test_forwarded_message_becomes_an_eml_attachment():
    parsed = ours("forwarded_rfc822.eml")
    assert parsed.body_text == "请看下面这封告警，主库磁盘快满了。"
    (forwarded,) = parsed.attachments
    assert (forwarded.filename, forwarded.content_type) == ("forwarded.eml", "message/rfc822")
    inner = mail_parse(forwarded.content)
    assert inner.subject == "磁盘告警：db-prod-01 /data 95%" and inner.body_text.endswith("95%")


def test_a_forward_that_is_the_whole_mail_is_kept():
    parsed = ours("gmail_forward_whole_content.eml")
    assert parsed.reply_text == parsed.body_text
    assert parsed.reply_text.endswith("None of us can connect to the VPN since 08:00.")


def test_large_attachment_built_at_run_time():
    payload = bytes(range(256)) * (12 * 4096)  # 12 MiB
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "desk@example.com", "dump"
    message.set_content("Core dump attached.")
    message.add_attachment(payload, maintype="application", subtype="octet-stream",
                           filename="巡检报告 2024.bin")
    parsed = mail_parse(message.as_bytes())
    assert attachments_seen(parsed) == [("巡检报告 2024.bin", "application/octet-stream",
                                         len(payload))]
    assert parsed.attachments[0].content == payload and parsed.body_text == "Core dump attached."


def test_hostile_nesting_is_read_as_plain_text_quickly():
    deep_html = built({"Content-Type": "text/html"}, body="<div>" * 100_000 + "deep text")
    parsed = mail_parse(deep_html)  # nh3 alone takes minutes on this
    assert parsed.body_text == "deep text" and parsed.body_html == ""
    assert "HTML nested too deep: kept as plain text only" in parsed.defects
    layers = "".join(f"Content-Type: multipart/mixed; boundary=b{n}\n\n--b{n}\n"
                     for n in range(3000))
    parsed = mail_parse(built({}, body="").replace(b"\n\n", b"\n" + layers.encode(), 1))
    assert "MimeTooDeepDefect" in parsed.defects and parsed.subject == "Help"


@pytest.mark.parametrize(("label", "data", "text"), [
    ("iso-8859-1", "Grüße".encode(), "Grüße"),                 # UTF-8 under a Latin-1 label
    ("iso-8859-1", b"caf\xe9 \x81", "café \ufffd"),            # a byte Windows-1252 lacks
    ("us-ascii", "naïve".encode(), "naïve"),
    ("windows-1252", b"\x93quoted\x94", "\u201cquoted\u201d"),
])
def test_single_byte_labels(label, data, text):
    head = f"From: a@example.com\nContent-Type: text/plain; charset={label}\n\n".encode()
    assert mail_parse(head + data).body_text == text


# --- automatic mail, threading ids, dates -------------------------------------------------

@pytest.mark.parametrize(("headers", "kind", "suppressed"), [
    ({}, "", False),
    ({"Auto-Submitted": "no"}, "", False),
    ({"Auto-Submitted": "auto-generated"}, "auto-reply", True),
    ({"X-Autoreply": "yes"}, "auto-reply", True),
    ({"Precedence": "auto_reply"}, "auto-reply", True),
    ({"Precedence": "bulk"}, "", True),
    ({"List-Id": "<ops.lists.example.com>"}, "", True),
    ({"X-Auto-Response-Suppress": "All"}, "", True),
    ({"X-Auto-Response-Suppress": "DR, RN"}, "", False),
    ({"X-Auto-Response-Suppress": "OOF", "Subject": "自动回复: 服务器宕机"}, "auto-reply", True),
    ({"Return-Path": "<>"}, "auto-reply", True),
    ({"Return-Path": "<>", "Subject": "Undeliverable: VPN"}, "bounce", True),
    ({"From": "postmaster@example.net", "Subject": "系统退信"}, "bounce", True),
    ({"X-Failed-Recipients": "bob@example.com"}, "bounce", True),
    ({"From": "MAILER-DAEMON@example.net", "Subject": "Warning: could not send message for "
      "past 4 hours"}, "delayed", True),
    ({"Return-Path": "<>", "Subject": "Delivery delayed: VPN"}, "delayed", True),
    ({"From": "postmaster@example.net", "Subject": "Undeliverable: delayed VPN rollout"},
     "bounce", True),
    ({"Content-Type": "multipart/report; report-type=disposition-notification; boundary=x"},
     "auto-reply", True),
    ({"X-Opsdesk-Loop": "desk.example.com"}, "loop", True),
    ({"X-Loop": "Desk@Example.com"}, "loop", True),
    ({"From": "Desk <DESK@example.com>"}, "loop", True),
])
def test_auto_kind_rules(headers, kind, suppressed):
    parsed = mail_parse(built(headers), own_addresses=["desk@example.com"])
    assert (parsed.auto_kind, parsed.auto_response_suppressed) == (kind, suppressed)
    assert mail_parse(built(headers), own_addresses="desk@example.com").auto_kind == kind


def test_threading_ids_tolerate_whitespace_and_comments():
    parsed = mail_parse(built({
        "Message-ID": " < abc@example.com > ",
        "In-Reply-To": "<x@example.com> (Bob's message of Monday)",
        "References": "<a@example.com>\n\t<b@exam\n ple.com> <a@example.com>",
    }))
    assert parsed.message_id == "abc@example.com" and parsed.in_reply_to == ("x@example.com",)
    assert parsed.references == ("a@example.com", "b@example.com")


@pytest.mark.parametrize(("value", "expected"), [
    ("Tue, 2 Jan 2024 10:00:00 +0800", datetime(2024, 1, 2, 2, tzinfo=UTC)),
    ("Tue, 2 Jan 2024 10:00:00 -0000", datetime(2024, 1, 2, 10, tzinfo=UTC)),
    ("yesterday-ish", None),
    ("Tue, 32 Foo 2024 99:99:99 +0800", None),
])
def test_dates_are_aware_or_none(value, expected):
    assert mail_parse(built({"Date": value})).date == expected


@pytest.mark.parametrize("raw", [b"", b"  \r\n", b"just some words", "Subject: a str"])
def test_no_mail_at_all_is_a_parse_error(raw):
    with pytest.raises(ParseError):
        mail_parse(raw)


# --- reply text rules ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "shown"), [
    ("Fixed.\n\nOn Tue, Jan 2, 2024 at 10:00 AM Ann <\nann@ex.com> wrote:\n> broken", "Fixed."),
    ("好的\n\n张三 <a@b.cn> 于2024年1月2日周二 10:00写道：\n> 服务器宕机", "好的"),
    ("收到\n\n在 2024年1月2日 10:00，张三 写道：\n服务器宕机", "收到"),
    ("Done\n\n-----Original Message-----\nFrom: a\nbody", "Done"),
    ("已处理\n\n-----原始邮件-----\n发件人: a\n正文", "已处理"),
    ("Done\n________________________________\nFrom: Ann\nSent: Monday\nTo: desk", "Done"),
    ("OK\n\nSent from my iPhone\n\n> old", "OK"),
    ("OK\n-- \nAnn Lee\nOps team", "OK"),
    ("> q1\nanswer 1\n> q2\nanswer 2", "answer 1\nanswer 2"),
    ("日志里写道：\n磁盘满了", "日志里写道：\n磁盘满了"),           # no date: not an attribution
    ("> only a quote", "> only a quote"),                      # never shown empty
])
def test_reply_text_rules(text, shown):
    assert reply_text(text) == shown


def test_a_forward_below_a_note_is_kept_whole():
    text = "FYI, see below\n\n---------- Forwarded message ---------\nFrom: a\nDate: b\n\nDB down"
    assert reply_text(text) == text
    assert reply_text("Note\n\nFrom: a\nSent: b\n\nold", forwarded=True).endswith("old")
