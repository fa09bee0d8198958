"""Sender authentication (security review finding 6): a mailbox that requires it believes a
From address only on its trusted receiving server's Authentication-Results verdict.

Mails go through the real path: IMAP APPEND to Dovecot, poll, process. The headers are written
here as a receiving server (Postfix with OpenDKIM/OpenDMARC, Exchange Online, Gmail) writes them;
fixture 07 of ../shared/fixtures/email carries a real one from mx.google.com.
"""

from pathlib import Path

import pytest

from opsdesk.core.exceptions import Conflict
from opsdesk.core.testing.factories import UserFactory, incident_factory
from opsdesk.incidents.models import Comment, Incident
from opsdesk.intake.models import InboundMail, Mailbox
from opsdesk.intake.services.mail import (
    inbound_mail_discard,
    inbound_mail_process,
    inbound_mail_release,
    inbound_mail_retry,
    mailbox_poll,
)
from opsdesk.intake.services.mail_auth import authserv_ids_clean, sender_verdict
from opsdesk.intake.testing.mails import with_attachments
from opsdesk.notifications.models import Delivery
from opsdesk.notifications.services import delivery_enqueue

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "email"
MX = "mx.opsdesk.example"
ALICE = "alice@example.com"


def signed(raw: bytes, *results: str) -> bytes:
    """The mail with Authentication-Results headers on top, the first one topmost."""
    return b"".join(f"Authentication-Results: {r}\r\n".encode() for r in results) + raw


def alice_mail(*results: str, **kwargs) -> bytes:
    return signed(with_attachments(sender=kwargs.pop("sender", ALICE), **kwargs), *results)


# ---- the verdict alone -------------------------------------------------------------------

PASS = f"{MX}; dkim=pass header.d=example.com; spf=pass smtp.mailfrom=alice@example.com; " \
       "dmarc=pass (p=reject) header.from=example.com"
VERDICTS = {
    "dmarc pass": ([PASS], True, ""),
    "dmarc fail": ([f"{MX}; spf=fail smtp.mailfrom=example.com; dmarc=fail (p=reject) "
                    "header.from=example.com"], False, f"dmarc=fail from {MX}"),
    "no header": ([], False, f"no Authentication-Results header from {MX}"),
    "untrusted authserv-id only": (
        [PASS.replace(MX, "mx.attacker.example")], False,
        f"no Authentication-Results header from {MX}"),
    "forged pass below the trusted fail": (
        [f"{MX}; dmarc=fail header.from=example.com", PASS], False, f"dmarc=fail from {MX}"),
    "trusted pass above an older fail": ([PASS, f"{MX}; dmarc=fail"], True, ""),
    "no DMARC, DKIM aligned": ([f"{MX}; dkim=pass header.d=example.com; dmarc=none"], True, ""),
    "no DMARC result, DKIM of the parent domain": (
        [f"{MX}; dkim=pass header.d=example.com"], True, ""),
    "no DMARC, SPF aligned": ([f"{MX}; spf=pass smtp.mailfrom=bounce@example.com"], True, ""),
    "no DMARC, DKIM of another domain": (
        [f"{MX}; dkim=pass header.d=mailer.example.net; spf=softfail "
         "smtp.mailfrom=example.net"], False,
        f"dkim=pass for mailer.example.net, not aligned with the From address, spf=softfail "
        f"from {MX}"),
    "DMARC pass for another From domain": (
        [f"{MX}; dmarc=pass header.from=example.net"], False, f"dmarc=pass from {MX}"),
    "nothing checked": ([f"{MX}; none"], False, f"no dmarc, dkim or spf result from {MX}"),
    "unreadable trusted header": ([f"{MX}; dkim="], False,
                                  f"no dmarc, dkim or spf result from {MX}"),
}


@pytest.mark.parametrize("case", sorted(VERDICTS))
def test_the_verdict_of_the_topmost_trusted_header(case):
    results, passed, reason = VERDICTS[case]
    verdict = sender_verdict(raw=alice_mail(*results), from_address=ALICE, trusted=[MX])
    assert verdict.passed is passed
    assert verdict.reason == (f"sender not authenticated: {reason}" if reason else "")


def test_a_subdomain_from_address_aligns_but_a_lookalike_does_not():
    header = [f"{MX}; dkim=pass header.d=example.com"]
    assert sender_verdict(raw=alice_mail(*header), from_address="ops@it.example.com",
                          trusted=[MX]).passed
    assert not sender_verdict(raw=alice_mail(*header), from_address="ops@badexample.com",
                              trusted=[MX]).passed


def test_trusted_ids_are_cleaned_and_nonsense_refused():
    assert authserv_ids_clean(" mx.example.com,\nMX2.example.com \n mx.example.com") == \
        "mx.example.com\nMX2.example.com"
    with pytest.raises(ValueError):
        authserv_ids_clean("mx.example.com; dmarc=pass")


# ---- through IMAP ------------------------------------------------------------------------

@pytest.fixture
def intake(mailbox, deliver):
    def intake(*raws: bytes) -> list[InboundMail]:
        for raw in raws:
            deliver(raw)
        mailbox_poll(mailbox=mailbox)
        waiting = InboundMail.objects.filter(state=InboundMail.State.RECEIVED).order_by("id")
        return [inbound_mail_process(mail=m) for m in waiting]
    return intake


@pytest.fixture
def strict(mailbox) -> Mailbox:
    mailbox.sender_auth = Mailbox.SenderAuth.REQUIRE
    mailbox.trusted_authserv_ids = f"{MX}\nmx2.opsdesk.example"
    mailbox.save()
    return mailbox


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email=ALICE)


def test_an_existing_mailbox_trusts_the_from_address_as_before(intake, mailbox, alice):
    assert mailbox.sender_auth == Mailbox.SenderAuth.OFF
    incident = incident_factory(by=alice, short_description="VPN drops")
    [new, reply] = intake(alice_mail(), alice_mail(subject=f"Re: {incident.number}",
                                                   text="Still dropping."))
    assert new.state == reply.state == InboundMail.State.PROCESSED
    assert new.incident.requester == alice and new.sender_verdict == ""
    assert reply.comment.author == alice and reply.comment.body == "Still dropping."


def test_a_dmarc_pass_from_the_trusted_server_is_taken_as_the_sender(intake, strict, alice):
    [mail] = intake(alice_mail(PASS))
    assert mail.state == InboundMail.State.PROCESSED
    assert mail.incident.requester == alice and mail.sender_verdict == ""


def test_a_second_trusted_server_counts_too(intake, strict, alice):
    [mail] = intake(alice_mail(PASS.replace(MX, "MX2.opsdesk.example")))
    assert mail.state == InboundMail.State.PROCESSED and mail.incident.requester == alice


def test_no_dmarc_but_aligned_dkim_is_taken(intake, strict):
    [mail] = intake(alice_mail(f"{MX}; dkim=pass header.d=example.com header.s=s1; dmarc=none",
                               sender="ops@it.example.com"))
    assert mail.state == InboundMail.State.PROCESSED
    assert mail.incident.requester.email == "ops@it.example.com"


def test_a_forged_reply_is_quarantined_not_commented_then_released(intake, strict, alice,
                                                                    admin_user):
    incident = incident_factory(by=alice, short_description="VPN drops")
    forged = alice_mail(f"{MX}; spf=fail smtp.mailfrom=example.com; dmarc=fail (p=none) "
                        "header.from=example.com", PASS,  # the sender's own "pass", below
                        subject=f"Re: {incident.number}", text="Please close it.")
    [mail] = intake(forged)
    assert mail.state == InboundMail.State.QUARANTINED
    assert mail.note == mail.sender_verdict == (
        f"sender not authenticated: dmarc=fail from {MX}")
    assert Comment.objects.count() == 0 and Incident.objects.count() == 1
    assert mail.incident is None and mail.comment is None

    mail = inbound_mail_release(mail=mail, by=admin_user)
    assert mail.state == InboundMail.State.PROCESSED
    assert (mail.comment.author, mail.comment.body, mail.comment.incident) == (
        alice, "Please close it.", incident)
    assert mail.released_by == admin_user and mail.released_at is not None
    with pytest.raises(Conflict):
        inbound_mail_release(mail=mail, by=admin_user)


def test_only_headers_of_untrusted_servers_mean_quarantine(intake, strict, alice):
    [mail] = intake(alice_mail(PASS.replace(MX, "mx.attacker.example")))
    assert mail.state == InboundMail.State.QUARANTINED
    assert mail.note == ("sender not authenticated: no Authentication-Results header from "
                         f"{MX}, mx2.opsdesk.example")
    assert Incident.objects.count() == 0


def test_a_mail_without_any_verdict_is_quarantined_then_discarded(intake, strict, admin_user):
    [mail] = intake(alice_mail(sender="new.person@example.org"))
    assert mail.state == InboundMail.State.QUARANTINED
    mail = inbound_mail_discard(mail=mail, by=admin_user)
    assert mail.state == InboundMail.State.DISCARDED
    assert mail.note.startswith(f"Discarded by {admin_user}. sender not authenticated")
    assert Incident.objects.count() == 0
    assert not type(admin_user).objects.filter(email="new.person@example.org").exists()
    with pytest.raises(Conflict):
        inbound_mail_release(mail=mail, by=admin_user)


def test_a_retry_after_switching_the_policy_off_takes_the_mail(intake, strict, alice):
    [mail] = intake(alice_mail())
    assert mail.state == InboundMail.State.QUARANTINED
    Mailbox.objects.filter(pk=strict.pk).update(sender_auth=Mailbox.SenderAuth.OFF)
    mail = inbound_mail_retry(mail=mail)
    assert mail.state == InboundMail.State.PROCESSED and mail.sender_verdict == ""
    assert mail.incident.requester == alice and mail.released_by is None


def test_an_unauthenticated_auto_reply_is_still_only_ignored(intake, strict):
    raw = alice_mail(subject="Automatic reply: out of office")
    raw = raw.replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:", 1)
    [mail] = intake(raw)
    assert mail.state == InboundMail.State.IGNORED and mail.sender_verdict == ""


def test_fixture_07_spf_pass_for_a_forwarder_is_not_aligned_so_held(intake, strict):
    """A real Gmail header: SPF passed for the forwarder's SRS address, not for the sender."""
    strict.trusted_authserv_ids = "mx.google.com"
    strict.save()
    person = UserFactory(username="person1", email="person1@example.com")
    incident = incident_factory(by=person, short_description="Stuff")
    delivery = delivery_enqueue(key="test-07", channel="email", recipient=person.email,
                                subject="Stuff", text="…", thread_key=f"incident:{incident.number}")
    Delivery.objects.filter(pk=delivery.pk).update(message_id="<1359492484.4590710694371947@mf102>")
    [raw_path] = sorted(SHARED.glob("07_*.eml"))
    [mail] = intake(raw_path.read_bytes())
    assert mail.state == InboundMail.State.QUARANTINED
    assert mail.note == (
        "sender not authenticated: spf=pass for SRS0=RahL=LY=example.net=person2@bounce."
        "secureserver.net, not aligned with the From address from mx.google.com")
    assert Comment.objects.count() == 0
    mail = inbound_mail_release(mail=mail, by=person)
    assert (mail.state, mail.comment.author, mail.comment.body) == (
        InboundMail.State.PROCESSED, person, "Hello, World")
