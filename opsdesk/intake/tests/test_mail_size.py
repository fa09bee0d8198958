"""Mail over OPSDESK_MAIL_MAX_BYTES, polled from a real Dovecot: its body is never fetched, the
desk still hears of it (an incident or a reply saying so, with sender, subject and size), the
original stays on the server marked seen, and the next poll passes it by."""

import pytest

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.models import Comment, Incident
from opsdesk.intake.imap import HEADER_MAX_BYTES
from opsdesk.intake.models import InboundMail, Mailbox
from opsdesk.intake.services.mail import inbound_mail_process, mailbox_poll
from opsdesk.intake.testing.mails import with_attachments

pytestmark = pytest.mark.django_db
MB = 1024 * 1024
BIG_FILE = b"%PDF-1.4\n" + b"Q" * (2 * MB)  # base64 in the mail: about 2.7 MB
ENCODED = b"UVFRUVFRUVFR"  # how "QQQ..." reads in the mail (base64)


@pytest.fixture(autouse=True)
def one_megabyte(settings):
    settings.OPSDESK_MAIL_MAX_BYTES = 1 * MB
    settings.LANGUAGE_CODE = "en"  # the stand-in's text is in the site's language


def _poll_and_process(mailbox) -> list[InboundMail]:
    mailbox_poll(mailbox=mailbox)
    waiting = InboundMail.objects.filter(state=InboundMail.State.RECEIVED).order_by("id")
    return [inbound_mail_process(mail=m) for m in waiting]


def _sizes_on_server(dovecot, folder: str) -> list[tuple[int, tuple[str, ...]]]:
    with dovecot.connect(folder) as box:
        return sorted((m.size_rfc822, m.flags)
                      for m in box.fetch(mark_seen=False, headers_only=True))


def test_a_mail_over_the_limit_opens_an_incident_saying_so_without_its_body(
        dovecot, mailbox, deliver, org):
    big = with_attachments(sender="li.lei@example.cn", subject="Core switch logs",
                           text="Logs attached.", files={"switch.pdf": BIG_FILE})
    deliver(big)
    deliver(with_attachments(sender="han.meimei@example.cn", subject="Printer 3F jammed"))
    mails = _poll_and_process(mailbox)

    large = InboundMail.objects.get(subject="Core switch logs")
    assert large.size > 2 * MB  # the size the server gave, equal to the original's below
    assert "Too large (2.7 MB, the limit is 1 MB)" in large.note
    stored = large.raw.open("rb").read()
    assert len(stored) < HEADER_MAX_BYTES + 4096 and ENCODED not in stored
    incident = Incident.objects.get(short_description="Core switch logs")
    assert incident.requester.email == "li.lei@example.cn"
    assert "not fetched because it is too large: 2.7 MB" in incident.description
    assert f"mailbox {mailbox.name} (folder {mailbox.folder})" in incident.description
    assert not incident.attachments.exists()
    assert Incident.objects.filter(short_description="Printer 3F jammed").exists()
    assert {m.state for m in mails} == {InboundMail.State.PROCESSED}

    # Both stay on the server, the large one whole, and both are seen: polled no more.
    on_server = _sizes_on_server(dovecot, mailbox.folder)
    assert on_server[-1][0] == large.size and all("\\Seen" in f for _s, f in on_server)
    assert mailbox_poll(mailbox=mailbox) == 0
    assert InboundMail.objects.count() == 2


def test_a_reply_over_the_limit_lands_on_its_incident(mailbox, deliver, org):
    incident = incident_factory(by=org.desk, requester=org.requester,
                                short_description="VPN drops")
    deliver(with_attachments(sender=org.requester.email, subject=f"Re: [{incident.number}] VPN",
                             text="Here is the capture.", files={"capture.pdf": BIG_FILE}))
    _poll_and_process(mailbox)
    comment = Comment.objects.get(incident=incident)
    assert comment.author == org.requester
    assert "too large: 2.7 MB" in comment.body and "capture" not in comment.body


def test_a_large_mail_is_never_deleted_from_the_server(dovecot, mailbox, deliver):
    mailbox.after_store = Mailbox.AfterStore.DELETE
    mailbox.save()
    deliver(with_attachments(subject="Big", files={"big.pdf": BIG_FILE}))
    deliver(with_attachments(subject="Small"))
    assert mailbox_poll(mailbox=mailbox) == 2
    remaining = _sizes_on_server(dovecot, mailbox.folder)
    assert len(remaining) == 1 and remaining[0][0] > MB and "\\Seen" in remaining[0][1]


def test_a_mail_within_the_limit_is_fetched_whole(mailbox, deliver, settings):
    settings.OPSDESK_MAIL_MAX_BYTES = 4 * MB
    raw = with_attachments(subject="Fits", files={"big.pdf": BIG_FILE})
    deliver(raw)
    assert mailbox_poll(mailbox=mailbox) == 1
    mail = InboundMail.objects.get()
    assert mail.note == "" and ENCODED in mail.raw.open("rb").read()
