"""Mail through the whole intake: IMAP APPEND to a real Dovecot, poll, process, and what the desk
then sees (incidents, their text, requester, attachments, comments), for every public fixture
in ../shared/fixtures/email and for mails of our own."""

from pathlib import Path

import pytest

from opsdesk.accounts.models import User
from opsdesk.core.testing.factories import UserFactory, incident_factory
from opsdesk.incidents.choices import Channel, Status, Visibility
from opsdesk.incidents.models import Comment, Incident
from opsdesk.intake.models import InboundMail
from opsdesk.intake.services.mail import inbound_mail_process, inbound_mail_retry, mailbox_poll
from opsdesk.intake.testing.mails import chinese_html_only, malformed_mime, with_attachments
from opsdesk.notifications.models import Delivery
from opsdesk.notifications.services import delivery_enqueue

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "email"
pytestmark = pytest.mark.django_db


def fixture(name: str) -> bytes:
    found = sorted(SHARED.glob(f"{name}_*.eml"))
    assert found, f"no fixture {name}_*.eml in {SHARED} (the shared fixtures sit beside the repo)"
    return found[0].read_bytes()


@pytest.fixture
def intake(mailbox, deliver):
    """intake(*raws): APPEND each, poll once, process what was stored; the mails, in order."""
    def intake(*raws: bytes) -> list[InboundMail]:
        for raw in raws:
            deliver(raw)
        mailbox_poll(mailbox=mailbox)
        waiting = InboundMail.objects.filter(state=InboundMail.State.RECEIVED).order_by("id")
        return [inbound_mail_process(mail=m) for m in waiting]
    return intake


def files(incident: Incident) -> list[tuple[str, int]]:
    return sorted((a.filename, a.size) for a in incident.attachments.all())


# Public fixtures that open an incident: subject, description (start), sender, name, files.
NEW_INCIDENTS = {
    "01": ("Testovácí email", "íářčšáíéřášč", "timothy.hobbs@auto-mat.cz", "Timothy Hobbs", []),
    "02": ("Český test", "Tohle je test českých písmen odeslaných z gmailu.",
           "tim.thelion@gmail.com", "Tim hobbs", []),
    "03": ("Attachment without body - and a looo", "", "timothy.hobbs@auto-mat.cz",
           "Timothy Hobbs", [("baf", 24)]),
    "04": ("Fwd: Cyklozaměstnavatel - změna vyhodnocení", "-------- Forwarded Message --------",
           "john.smith@example.cz", "John Smith", []),
    "05": ("讀取: ??排??生?a", "bodytext", "some.address@some.domain", "梁祐晟", []),
    "06": ("代开各地增值税发票", "你好！我公司可代开各类增值税发票，17%专用发票",
           "baoguan@hotmail.com", "张先生", []),
    "08": ("Re: Test", "On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi", "bob@xxx.mailgun.org",
           "bob", []),
    "09": ("Test", "Hello\n\nFrom: xxx@xxx.mailgun.org", "me@example.com", "", []),
}


AUTOMATIC = {"10": "auto-reply", "11": "auto-reply", "12": "bounce", "13": "delayed"}
REPLIES = {"07"}  # threads onto an incident: see its own test below


def test_every_shared_fixture_is_replayed_here():
    on_disk = {path.name[:2] for path in SHARED.glob("*.eml")}
    assert on_disk and on_disk == set(NEW_INCIDENTS) | set(AUTOMATIC) | REPLIES


@pytest.mark.parametrize("name", sorted(NEW_INCIDENTS))
def test_a_new_mail_opens_an_incident_for_its_sender(intake, name):
    subject, description, address, display_name, expected_files = NEW_INCIDENTS[name]
    [mail] = intake(fixture(name))
    assert mail.state == InboundMail.State.PROCESSED, mail.note
    incident = Incident.objects.get()
    assert mail.incident == incident and mail.comment is None
    assert incident.short_description.startswith(subject)
    assert len(incident.short_description) <= 200
    assert incident.description.startswith(description)
    assert (incident.source_id, incident.channel, incident.status) == (
        "02", Channel.EMAIL, Status.LOGGED)
    requester = incident.requester
    assert (requester.email, requester.display_name) == (address, display_name)
    assert not requester.has_usable_password() and requester.roles == {"user"}
    assert files(incident) == expected_files


def test_a_subject_longer_than_the_field_is_cut_with_an_ellipsis(intake):
    intake(fixture("03"))
    short = Incident.objects.get().short_description
    assert len(short) == 200 and short.endswith("…")


@pytest.mark.parametrize("name, kind", sorted(AUTOMATIC.items()))
def test_auto_replies_and_bounces_are_ignored_and_never_answered(intake, name, kind):
    users_before = User.objects.count()
    [mail] = intake(fixture(name))
    assert mail.state == InboundMail.State.IGNORED
    assert kind in mail.note
    assert Incident.objects.count() == 0 and Comment.objects.count() == 0
    assert User.objects.count() == users_before
    assert Delivery.objects.count() == 0  # nothing goes back to the sender


def test_a_bounce_and_a_delay_notice_say_whose_delivery_failed_or_waits(intake):
    [bounce] = intake(fixture("12"))
    [delay] = intake(fixture("13"))
    assert bounce.note == ("Automatic mail (bounce): never answered, nothing created. "
                           "Delivery failed to: edwin@zzzzzzz.com.")
    assert delay.note == ("Automatic mail (delayed): never answered, nothing created. "
                          "Delivery is delayed, and still being retried, to: "
                          "fraser@oooooooo.com.au.")
    assert {bounce.state, delay.state} == {InboundMail.State.IGNORED}
    assert Delivery.objects.count() == 0


def test_mail_from_our_own_address_is_a_loop(intake, mailbox):
    [mail] = intake(with_attachments(sender=mailbox.address.upper()))
    assert mail.state == InboundMail.State.IGNORED and "loop" in mail.note


def test_a_mail_appended_twice_and_processed_twice_opens_one_incident(intake, dovecot, mailbox):
    first = intake(fixture("01"), fixture("01"))
    assert len(first) == 1 and InboundMail.objects.count() == 1
    assert inbound_mail_process(mail=first[0]).state == InboundMail.State.PROCESSED
    assert Incident.objects.count() == 1
    assert all("\\Seen" in flags for _uid, flags in dovecot.messages(mailbox.folder))


# ---- replies -----------------------------------------------------------------------------

def test_a_reply_to_our_acknowledgement_becomes_a_public_comment(intake):
    intake(fixture("01"))
    incident = Incident.objects.get()
    ack = Delivery.objects.get(email="timothy.hobbs@auto-mat.cz")
    assert ack.thread_key == f"incident:{incident.number}"
    reply = with_attachments(
        sender="Timothy.Hobbs@auto-mat.cz", subject="Re: your mail", in_reply_to=ack.message_id,
        text="It works again, thanks.\n\nOn Monday the desk wrote:\n> We received it.\n")
    [mail] = intake(reply)
    comment = Comment.objects.get()
    assert (mail.incident, mail.comment) == (incident, comment)
    assert comment.body == "It works again, thanks."
    assert (comment.author, comment.visibility, comment.channel) == (
        incident.requester, Visibility.PUBLIC, Channel.EMAIL)
    assert Incident.objects.count() == 1


def test_fixture_07_threads_by_in_reply_to_and_keeps_its_inline_images(intake):
    person = UserFactory(username="person1", email="person1@example.com")
    incident = incident_factory(by=person, short_description="Stuff")
    delivery = delivery_enqueue(key="test-07", channel="email", recipient=person.email,
                                subject="Stuff", text="…", thread_key=f"incident:{incident.number}")
    # The fixture answers a message that carried this Message-ID: pretend we sent it.
    Delivery.objects.filter(pk=delivery.pk).update(message_id="<1359492484.4590710694371947@mf102>")
    [mail] = intake(fixture("07"))
    comment = Comment.objects.get()
    assert (mail.state, mail.incident, mail.comment) == (
        InboundMail.State.PROCESSED, incident, comment)
    assert (comment.body, comment.author) == ("Hello, World", person)
    assert files(incident) == [("OEOYKEJENLIK.2.jpg", 600), ("OSSFDHZYGOQM.transparent.gif", 43),
                               ("RMXPLRIHWRQK.3.jpg", 592)]
    assert set(incident.attachments.values_list("comment", flat=True)) == {comment.pk}


def test_fixture_08_threads_by_the_number_in_its_subject_without_the_quote(intake):
    bob = UserFactory(username="bob", email="bob@xxx.mailgun.org")
    incident = incident_factory(by=bob, short_description="Test")
    raw = fixture("08").replace(b"Subject: Re: Test", f"Subject: Re: Test [{incident.number}]"
                                .encode())
    [mail] = intake(raw)
    assert mail.comment.body == "Hello" and mail.incident == incident
    assert Incident.objects.count() == 1


def test_a_reply_from_someone_not_on_the_incident_opens_a_new_one(intake, org):
    incident = incident_factory(by=org.requester, short_description="VPN drops")
    raw = with_attachments(sender=org.outsider.email, subject=f"Re: {incident.number} VPN drops",
                           text="I have this problem too.")
    [mail] = intake(raw)
    assert Comment.objects.filter(incident=incident).count() == 0
    new = mail.incident
    assert new != incident and new.requester == org.outsider
    assert new.description.startswith(f"Follow-up to {incident.number} (VPN drops).")
    assert "I have this problem too." in new.description


def test_a_reply_to_a_closed_incident_opens_a_new_one(intake, org):
    from opsdesk.incidents.services.lifecycle import incident_transition
    from opsdesk.reference.models import ClosureCode

    incident = incident_factory(by=org.requester)
    incident_transition(incident=incident, action="close", by=org.desk,
                        closure_code=ClosureCode.objects.get(pk="01"))
    [mail] = intake(with_attachments(sender=org.requester.email,
                                     subject=f"RE: [{incident.number}] still broken"))
    assert mail.incident != incident and incident.number in mail.incident.description
    assert Comment.objects.count() == 0


# ---- mailbox defaults, contacts, quarantine ----------------------------------------------

def test_the_mailbox_defaults_give_the_group_and_category(intake, mailbox, org):
    from opsdesk.reference.models import Category

    mailbox.default_group = org.groups["NET2"]
    mailbox.default_category = Category.objects.filter(is_active=True).first()
    mailbox.save()
    [mail] = intake(with_attachments(sender=org.requester.email))
    incident = mail.incident
    assert (incident.assignment_group, incident.status) == (org.groups["NET2"], Status.ASSIGNED)
    assert incident.category == mailbox.default_category and incident.requester == org.requester


def test_an_unknown_sender_is_quarantined_without_contacts_then_retried(intake, mailbox):
    mailbox.create_contacts = False
    mailbox.save()
    [mail] = intake(with_attachments(sender="new.colleague@example.com"))
    assert mail.state == InboundMail.State.QUARANTINED and mail.attempts == 1
    assert "Unknown sender new.colleague@example.com" in mail.note
    assert Incident.objects.count() == 0
    colleague = UserFactory(username="newcolleague", email="New.Colleague@example.com")
    mail = inbound_mail_retry(mail=mail)
    assert (mail.state, mail.attempts, mail.incident.requester) == (
        InboundMail.State.PROCESSED, 2, colleague)


def test_a_failure_half_way_rolls_everything_back_and_retry_finishes_it(intake, media):
    (media / "attachments").parent.mkdir(parents=True, exist_ok=True)
    (media / "attachments").write_text("")  # the attachment directory cannot be created
    [mail] = intake(with_attachments(files={"log.txt": b"disk full\n"}))
    assert mail.state == InboundMail.State.QUARANTINED and "Error" in mail.note
    assert Incident.objects.count() == 0 and User.objects.count() == 0
    (media / "attachments").unlink()
    mail = inbound_mail_retry(mail=mail)
    assert mail.state == InboundMail.State.PROCESSED
    assert files(mail.incident) == [("log.txt", 10)]


def test_a_mail_that_is_no_mail_at_all_stays_in_quarantine(intake):
    [mail] = intake(b"just some words\nand not one mail header\n")
    assert mail.state == InboundMail.State.QUARANTINED and "ParseError" in mail.note
    assert inbound_mail_retry(mail=mail).attempts == 2
    assert mail.raw.open("rb").read().startswith(b"just some words")  # kept for download


# ---- our own mails -----------------------------------------------------------------------

def test_a_chinese_html_only_mail_is_read_as_text(intake):
    [mail] = intake(chinese_html_only())
    incident = mail.incident
    assert incident.short_description == "财务系统无法登录"
    assert "财务系统无法登录，提示“密码错误”。" in incident.description
    assert "<b>" not in incident.description and "谢谢" in incident.description
    assert incident.requester.display_name == "陈喆"


def test_a_5_mb_attachment_is_kept_whole(intake):
    # 5 MB that start like a PDF (attachments must carry their type's signature)
    content = (b"%PDF-1.7\n" + bytes(range(256)) * (5 * 1024 * 4))[:5 * 1024 * 1024]
    [mail] = intake(with_attachments(files={"报表.pdf": content}))
    [attachment] = mail.incident.attachments.all()
    assert (attachment.filename, attachment.size) == ("报表.pdf", 5 * 1024 * 1024)
    assert attachment.file.read() == content


def test_a_file_over_the_limit_is_skipped_with_a_work_note(intake, settings):
    settings.OPSDESK_ATTACHMENT_MAX_BYTES = 1024 * 1024
    [mail] = intake(with_attachments(files={"dump.zip": b"x" * (2 * 1024 * 1024),
                                            "note.txt": b"see dump\n"}))
    assert mail.state == InboundMail.State.PROCESSED
    assert files(mail.incident) == [("note.txt", 9)]
    note = Comment.objects.get(incident=mail.incident)
    assert note.visibility == Visibility.INTERNAL and note.author.username == "mail-intake"
    assert "dump.zip (2.0 MB)" in note.body


def test_malformed_mime_still_opens_an_incident_with_what_can_be_read(intake):
    [mail] = intake(malformed_mime())
    assert mail.state == InboundMail.State.PROCESSED, mail.note
    assert "The printer prints blank pages." in mail.incident.description


# ---- monitoring mail ---------------------------------------------------------------------

ALERTS = SHARED.parent / "alerts"


def icinga(*names: str) -> list[bytes]:
    return [(ALERTS / f"icinga2_mail_{name}.eml").read_bytes() for name in names]


def test_icinga_mails_from_the_integrations_sender_become_its_alerts(intake, mailbox):
    from opsdesk.intake.models import Alert, AlertIntegration

    integration = AlertIntegration(name="Icinga", kind=AlertIntegration.Kind.ICINGA_MAIL,
                                   senders="ICINGA2@monitoring.example.com\n")
    integration.token_new()
    integration.save()
    mailbox.alert_integration = integration
    mailbox.save()
    problems = intake(*icinga("service_problem_cpu", "service_problem_ping_bracket_format",
                              "host_down"))
    assert {m.state for m in problems} == {InboundMail.State.PROCESSED}
    assert dict(Alert.objects.values_list("fingerprint", "status")) == {
        "host.internal.loc!CPU Load": "firing", "apn4711.dc.example.com!Ping IPv4": "firing",
        "apn4711.dc.example.com": "firing"}
    opened = Incident.objects.filter(channel=Channel.ALERT)
    assert opened.count() == 3 and Incident.objects.count() == 3
    assert not User.objects.filter(email__iexact="icinga2@monitoring.example.com").exists()
    intake(*icinga("service_recovery_cpu", "service_recovery_ping_bracket_format", "host_up"))
    assert set(Alert.objects.values_list("status", flat=True)) == {"resolved"}
    assert set(opened.values_list("status", flat=True)) == {Status.RESOLVED}


def test_an_icinga_mail_from_another_sender_is_an_ordinary_mail(intake, mailbox):
    from opsdesk.intake.models import Alert, AlertIntegration

    integration = AlertIntegration(name="Icinga", kind=AlertIntegration.Kind.ICINGA_MAIL,
                                   senders="nagios@monitoring.example.com")
    integration.token_new()
    integration.save()
    mailbox.alert_integration = integration
    mailbox.save()
    [mail] = intake(*icinga("host_down"))
    assert Alert.objects.count() == 0
    assert mail.incident.short_description == "PROBLEM - apn4711.dc.example.com is DOWN"


def test_a_list_mail_opens_an_incident_but_gets_no_acknowledgement(intake):
    plain = fixture("01")
    [acknowledged] = intake(plain)
    assert Delivery.objects.filter(email="timothy.hobbs@auto-mat.cz").count() == 1
    bulk = plain.replace(b"Message-ID: <0fd7", b"Precedence: bulk\r\nMessage-ID: <1fd7", 1)
    assert bulk != plain  # another mail (its own Message-ID), sent to a list
    [mail] = intake(bulk)
    assert mail.state == InboundMail.State.PROCESSED and mail.incident != acknowledged.incident
    assert Delivery.objects.filter(email="timothy.hobbs@auto-mat.cz").count() == 1
