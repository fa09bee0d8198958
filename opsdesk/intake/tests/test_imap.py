"""Polling a real Dovecot: what is fetched, stored, marked, moved or left alone on the server."""

from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from opsdesk.intake.models import InboundMail, Mailbox
from opsdesk.intake.services.mail import inbound_mail_store, mailbox_poll, mailboxes_poll_due

pytestmark = pytest.mark.django_db


def mail(subject: str = "Printer on 3F is jammed", sender: str = "alice@example.com") -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = f"Alice <{sender}>", "desk@opsdesk.example"
    message["Subject"], message["Message-ID"] = subject, f"<{abs(hash(subject))}@example.com>"
    message.set_content("It shows error E52.\n")
    return message.as_bytes()


def flags_by_uid(dovecot, folder: str) -> list[tuple[str, ...]]:
    return [flags for _uid, flags in dovecot.messages(folder)]


def test_poll_stores_unseen_mail_raw_and_marks_it_seen_after(dovecot, mailbox, deliver):
    raw = mail()
    deliver(raw)
    deliver(mail("Already read"), flags=("\\Seen",))
    assert mailbox_poll(mailbox=mailbox) == 1
    stored = InboundMail.objects.get()
    assert stored.raw.read().replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    assert (stored.subject, stored.from_address, stored.state, stored.mailbox) == (
        "Printer on 3F is jammed", "alice@example.com", InboundMail.State.RECEIVED, mailbox)
    assert stored.size == len(stored.raw.open("rb").read())
    assert all("\\Seen" in flags for flags in flags_by_uid(dovecot, mailbox.folder))
    mailbox.refresh_from_db()
    assert mailbox.last_error == "" and mailbox.last_polled_at is not None
    assert mailbox_poll(mailbox=mailbox) == 0  # nothing unseen is left


def test_many_messages_are_fetched_in_batches(mailbox, deliver):
    for number in range(45):  # more than two UID FETCH batches of 20
        deliver(mail(f"Alert {number}"))
    assert mailbox_poll(mailbox=mailbox) == 45
    assert InboundMail.objects.count() == 45


def test_the_same_mail_appended_twice_is_stored_once_and_both_copies_are_settled(
        dovecot, mailbox, deliver):
    deliver(mail())
    deliver(mail())
    assert mailbox_poll(mailbox=mailbox) == 1
    assert InboundMail.objects.count() == 1
    assert all("\\Seen" in flags for flags in flags_by_uid(dovecot, mailbox.folder))
    again, created = inbound_mail_store(mailbox=mailbox, raw=mail())
    assert (again, created) == (InboundMail.objects.get(), False)


def test_delete_after_store_removes_the_message(dovecot, mailbox, deliver):
    mailbox.after_store = Mailbox.AfterStore.DELETE
    deliver(mail())
    assert mailbox_poll(mailbox=mailbox) == 1
    assert dovecot.messages(mailbox.folder) == []


def test_move_after_store_moves_it_to_the_folder_created_on_first_use(dovecot, mailbox, deliver):
    mailbox.after_store = Mailbox.AfterStore.MOVE
    mailbox.move_to_folder = f"{mailbox.folder}-done"
    deliver(mail())
    assert mailbox_poll(mailbox=mailbox) == 1
    assert dovecot.messages(mailbox.folder) == []
    assert len(dovecot.messages(mailbox.move_to_folder)) == 1


def test_a_mail_whose_store_fails_stays_unseen_on_the_server_until_storage_works(
        dovecot, mailbox, deliver, settings, tmp_path):
    deliver(mail())
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")  # even root cannot create a directory below a plain file
    good_root, settings.MEDIA_ROOT = settings.MEDIA_ROOT, blocker / "media"
    assert mailbox_poll(mailbox=mailbox) == 0
    mailbox.refresh_from_db()
    assert "Error" in mailbox.last_error
    assert InboundMail.objects.count() == 0
    assert flags_by_uid(dovecot, mailbox.folder) == [()]  # still unseen: fetched with PEEK
    settings.MEDIA_ROOT = good_root
    assert mailbox_poll(mailbox=mailbox) == 1
    assert flags_by_uid(dovecot, mailbox.folder) == [("\\Seen",)]


def test_a_row_that_cannot_be_saved_leaves_no_file_behind(mailbox, media, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(InboundMail, "save", refuse)  # fault injection: the INSERT fails
    with pytest.raises(RuntimeError):
        inbound_mail_store(mailbox=mailbox, raw=mail())
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_a_server_that_is_down_is_recorded_not_raised(mailbox):
    from opsdesk.core.testing.daemon import dead_port

    with dead_port() as port:
        mailbox.port = port  # nothing listens there
        assert mailbox_poll(mailbox=mailbox) == 0
    mailbox.refresh_from_db()
    assert "ConnectionRefusedError" in mailbox.last_error


def test_a_wrong_password_is_recorded(mailbox):
    from opsdesk.intake.testing.dovecot import Dovecot

    # A server of its own: Dovecot delays the next logins from an address that failed one.
    server = Dovecot().start()
    try:
        mailbox.port, mailbox.password, mailbox.folder = server.port, "wrong", "INBOX"
        assert mailbox_poll(mailbox=mailbox) == 0
    finally:
        server.stop()
    mailbox.refresh_from_db()
    assert "MailboxLoginError" in mailbox.last_error


def test_plain_imap_to_another_host_is_refused_before_connecting(mailbox):
    mailbox.host = "mail.example.com"
    assert mailbox_poll(mailbox=mailbox) == 0
    mailbox.refresh_from_db()
    assert "only allowed to localhost" in mailbox.last_error


@pytest.mark.parametrize("security", [Mailbox.Security.TLS, Mailbox.Security.STARTTLS])
def test_tls_and_starttls_check_the_certificate(dovecot, mailbox, deliver, monkeypatch, security):
    mailbox.security = security
    mailbox.port = dovecot.tls_port if security == Mailbox.Security.TLS else dovecot.port
    deliver(mail())
    assert mailbox_poll(mailbox=mailbox) == 0  # a self-signed certificate is not trusted
    mailbox.refresh_from_db()
    assert "CERTIFICATE_VERIFY_FAILED" in mailbox.last_error
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.cert_path))  # a private CA, trusted
    assert mailbox_poll(mailbox=mailbox) == 1


def test_due_mailboxes_are_polled_once_per_interval(mailbox, deliver,
                                                   django_capture_on_commit_callbacks):
    Mailbox.objects.create(name="off", address="off@opsdesk.example", host="127.0.0.1",
                           security=Mailbox.Security.PLAIN, username="x", is_active=False)
    deliver(mail())
    with django_capture_on_commit_callbacks(execute=True):
        assert mailboxes_poll_due() == 1
    assert DBTaskResult.objects.filter(
        task_path="opsdesk.intake.tasks.inbound_mail_process_task").count() == 1
    deliver(mail("Second"))
    assert mailboxes_poll_due() == 0  # polled just now: not due yet
    later = timezone.now() + timedelta(seconds=mailbox.poll_seconds)
    assert mailboxes_poll_due(now=later) == 1
    assert Mailbox.objects.get(name="off").last_polled_at is None


def test_the_poll_task_polls_and_the_process_task_processes(mailbox, deliver):
    from opsdesk.intake.tasks import inbound_mail_process_task, mailboxes_poll

    deliver(mail())
    assert mailboxes_poll.call() == 1
    stored = InboundMail.objects.get()
    assert inbound_mail_process_task.call(stored.pk) == InboundMail.State.PROCESSED
    assert inbound_mail_process_task.call(stored.pk) == InboundMail.State.PROCESSED  # no-op
    stored.refresh_from_db()
    assert stored.attempts == 1 and stored.incident is not None


def test_intake_poll_command_polls_and_processes_now(mailbox, deliver, capsys):
    deliver(mail())
    call_command("intake_poll", "--mailbox", mailbox.name, "--process")
    out = capsys.readouterr().out
    assert f"{mailbox.name}: 1 new mail\n" in out
    assert InboundMail.objects.get().incident is not None
