"""Fault: the SMTP relay and the IMAP server are down for a while.

A real SMTP server (aiosmtpd) and a real Dovecot (intake/testing/dovecot.py) serve opsdesk's
mail. Both are taken down while incidents are logged and mail arrives; polls and sending
passes keep running (as the periodic loop runs them) and fail; then both come back. What must
hold: no poll or pass raises (the errors are recorded), nothing is given up (no delivery
dead), after the outage the next passes deliver every notification once and the next poll
takes in the mail that arrived meanwhile, and a message fetched again (as after a poll that
died between storing and flagging it) opens no second incident.

The retry delays (30 s, 2 min, …) are waited out with time_machine rather than in real time.
Runs on every database.
"""

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_create
from opsdesk.intake.models import InboundMail, Mailbox
from opsdesk.intake.services.mail import inbound_mail_process, mailbox_poll
from opsdesk.intake.testing.dovecot import Dovecot
from opsdesk.notifications.choices import DeliveryStatus
from opsdesk.notifications.models import Delivery
from opsdesk.notifications.sending import deliveries_send_due

from .report import record
from .support import SmtpServer

SHARED = Path(__file__).resolve().parents[4].parent / "shared" / "fixtures" / "email"
BEFORE, DURING = ("01", "02"), ("05", "06")  # mails that each open an incident


def _mail(name: str) -> bytes:
    found = sorted(SHARED.glob(f"{name}_*.eml"))
    assert found, f"no {name}_*.eml in {SHARED} (the shared fixtures sit beside the repo)"
    return found[0].read_bytes()


@pytest.fixture
def servers(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    smtp = SmtpServer().start()
    smtp.use_here(settings)
    dovecot = Dovecot().start()
    yield smtp, dovecot
    smtp.stop()
    dovecot.stop()


def _dovecot_down(dovecot: Dovecot) -> None:
    """Stop the server but keep its mail (Dovecot.stop() would also remove the directory)."""
    dovecot.process.terminate()
    dovecot.process.wait(timeout=10)


def _intake(mailbox: Mailbox) -> tuple[int, list[InboundMail]]:
    """One poll, then the processing of what it stored (the worker's tasks, here in line)."""
    new = mailbox_poll(mailbox=mailbox)
    waiting = InboundMail.objects.filter(state=InboundMail.State.RECEIVED).order_by("id")
    return new, [inbound_mail_process(mail=mail) for mail in waiting]


def _log_incidents(org, count: int) -> None:
    for n in range(count):
        incident_create(by=org.desk, data={"short_description": f"Outage {n}",
                                           "requester": org.requester},
                        assign={"assignment_group": org.groups["NET2"]})


@pytest.mark.django_db
def test_smtp_and_imap_down_for_a_while_lose_nothing_and_catch_up(org, servers):
    smtp, dovecot = servers
    mailbox = Mailbox.objects.create(
        name="desk", address="desk@opsdesk.example", host="127.0.0.1", port=dovecot.port,
        security=Mailbox.Security.PLAIN, username=dovecot.user, password=dovecot.password,
        folder=dovecot.folder_new("F"))
    started = time.monotonic()
    for name in BEFORE:
        dovecot.append(_mail(name), folder=mailbox.folder)
    assert _intake(mailbox)[0] == 2
    assert deliveries_send_due().sent > 0

    # Both down: work goes on, every attempt fails and is recorded, nothing raises.
    smtp.stop()
    _dovecot_down(dovecot)
    _log_incidents(org, 5)
    failures = Counter()
    for minutes in (0, 1, 4):  # three rounds of the periodic loop, minutes apart
        with time_machine.travel(timezone.now() + timedelta(minutes=minutes)):
            new, processed = _intake(mailbox)
            report = deliveries_send_due()
        mailbox.refresh_from_db()
        assert new == 0 and not processed and mailbox.last_error
        assert report.sent == report.dead == 0
        failures["smtp"] += report.retrying
        failures["imap"] += 1
    waiting = Delivery.objects.exclude(status=DeliveryStatus.SENT)
    assert waiting.exists() and set(waiting.values_list("status", flat=True)) == {
        DeliveryStatus.RETRYING}

    # Both back. Mail that arrived meanwhile, and one fetched again, already stored.
    smtp.start()
    dovecot.start()
    for name in DURING:
        dovecot.append(_mail(name), folder=mailbox.folder)
    dovecot.append(_mail(BEFORE[0]), folder=mailbox.folder)  # the same message, again
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        new, processed = _intake(mailbox)
        report = deliveries_send_due()
    mailbox.refresh_from_db()
    assert new == 2 and len(processed) == 2 and mailbox.last_error == ""
    assert report.dead == report.retrying == 0
    assert dovecot.messages(mailbox.folder) and all(
        "\\Seen" in flags for _uid, flags in dovecot.messages(mailbox.folder))

    # Nothing lost, nothing twice.
    mails = InboundMail.objects.all()
    assert mails.count() == 4 and set(mails.values_list("state", flat=True)) == {"processed"}
    assert Incident.objects.count() == 4 + 5
    assert mails.values("incident").distinct().count() == 4
    deliveries = list(Delivery.objects.filter(channel="email"))
    assert {d.status for d in deliveries} == {DeliveryStatus.SENT}
    received = Counter((address, (message["Message-ID"] or "").strip().strip("<>"))
                       for addresses, message in smtp.messages for address in addresses)
    expected = {(d.email, d.message_id.strip("<>")) for d in deliveries}
    assert set(received) == expected and set(received.values()) == {1}
    record("mail_outages", {
        "mails_in": 4 + 1, "incidents": Incident.objects.count(), "deliveries": len(deliveries),
        "failed_send_attempts": failures["smtp"], "failed_polls": failures["imap"],
        "max_attempts": max(d.attempts for d in deliveries),
        "seconds": round(time.monotonic() - started, 1)})
