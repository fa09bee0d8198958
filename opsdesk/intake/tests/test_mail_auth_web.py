"""Sender authentication in Settings → Mailboxes and the mail quarantine, as the owner uses it:
set the policy and trusted servers (bad input refused with the reason), see why a mail was held,
release it as its sender or discard it; the Django admin refuses the same bad input."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from opsdesk.core.testing.factories import UserFactory, incident_factory
from opsdesk.incidents.models import Comment
from opsdesk.intake.models import InboundMail, Mailbox
from opsdesk.intake.services.mail import inbound_mail_process, mailbox_poll
from opsdesk.intake.testing.mails import with_attachments

pytestmark = pytest.mark.django_db
MX = "mx.opsdesk.example"


def browser(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def mailbox_post(**values) -> dict:
    data = {"name": "help", "address": "help@example.com", "host": "imap.example.com",
            "port": "993", "security": "tls", "username": "help", "auth_method": "password",
            "oauth_grant": "client_credentials", "password": "s3cret",
            "folder": "INBOX", "after_store": "seen", "move_to_folder": "", "poll_seconds": "60",
            "is_active": "on", "create_contacts": "on"}
    data.update(values)
    return data


def field_errors(page: str, name: str) -> str:
    match = re.search(rf'<ul class="errors" id="id_{name}_error" role="alert">(.*?)</ul>',
                      page, re.DOTALL)
    return match.group(1) if match else ""


def test_the_policy_and_trusted_servers_are_shown_and_saved(org):
    owner = browser(org.owner)
    page = owner.get("/settings/intake/mailboxes/new/").content.decode()
    assert "Sender authentication" in page and 'name="trusted_authserv_ids"' in page
    assert re.search(r'<option value="off"[^>]*selected', page)
    response = owner.post("/settings/intake/mailboxes/new/", mailbox_post(
        sender_auth="require", trusted_authserv_ids=f" {MX}, mx2.opsdesk.example\n{MX}"))
    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    assert mailbox.sender_auth == "require"
    assert mailbox.trusted_authserv_ids == f"{MX}\nmx2.opsdesk.example"
    page = owner.get(f"/settings/intake/mailboxes/{mailbox.pk}/").content.decode()
    assert re.search(r'<option value="require"[^>]*selected', page) and MX in page
    # a form that does not send the policy keeps it
    owner.post(f"/settings/intake/mailboxes/{mailbox.pk}/", mailbox_post(
        trusted_authserv_ids=MX))
    mailbox.refresh_from_db()
    assert (mailbox.sender_auth, mailbox.trusted_authserv_ids) == ("require", MX)


@pytest.mark.parametrize("values, message", [
    ({"sender_auth": "require", "trusted_authserv_ids": ""},
     "Name at least one trusted receiving server"),
    ({"sender_auth": "require", "trusted_authserv_ids": "mx.example.com; dmarc=pass"},
     "is not an authserv-id"),
    ({"sender_auth": "always"}, "Select a valid choice")])
def test_bad_policy_settings_are_form_errors(org, values, message):
    response = browser(org.owner).post("/settings/intake/mailboxes/new/", mailbox_post(**values))
    page = response.content.decode()
    field = "sender_auth" if "sender_auth" in values and len(values) == 1 else \
        "trusted_authserv_ids"
    assert response.status_code == 422 and message in field_errors(page, field)
    assert not Mailbox.objects.exists()


def test_the_admin_refuses_requiring_without_a_trusted_server(org):
    client = browser(org.admin)
    response = client.post(reverse("admin:intake_mailbox_add"), mailbox_post(
        host="127.0.0.1", security="plain", sender_auth="require", trusted_authserv_ids=""))
    assert response.status_code == 200
    assert "Name at least one trusted receiving server" in response.content.decode()
    assert not Mailbox.objects.exists()


@pytest.fixture
def held(mailbox, deliver):
    """A forged reply in the name of a colleague, held in the quarantine; (mail, incident)."""
    Mailbox.objects.filter(pk=mailbox.pk).update(sender_auth="require", trusted_authserv_ids=MX)
    colleague = UserFactory(username="wang", email="wang@example.com")
    incident = incident_factory(by=colleague, short_description="Laptop broken")
    deliver(b"Authentication-Results: " + MX.encode() + b"; dmarc=fail header.from=example.com"
            b"\r\n" + with_attachments(sender="wang@example.com", text="Close it, thanks.",
                                       subject=f"Re: {incident.number}"))
    mailbox_poll(mailbox=mailbox)
    mail = inbound_mail_process(mail=InboundMail.objects.get())
    assert mail.state == InboundMail.State.QUARANTINED
    return mail, incident


def test_the_quarantine_shows_the_reason_and_release_comments_as_the_sender(org, held):
    mail, incident = held
    owner = browser(org.owner)
    page = owner.get("/settings/intake/mails/").content.decode()
    row = re.search(rf'<tr data-mail="{mail.pk}">.*?</tr>', page, re.DOTALL).group(0)
    assert f"sender not authenticated: dmarc=fail from {MX}" in row
    assert "Release" in row and "Discard" in row
    response = owner.post(f"/settings/intake/mails/{mail.pk}/release/", follow=True)
    assert "The mail is processed" in response.content.decode()
    comment = Comment.objects.get()
    assert (comment.incident, comment.author.email, comment.body) == (
        incident, "wang@example.com", "Close it, thanks.")
    mail.refresh_from_db()
    assert mail.released_by == org.owner
    again = owner.post(f"/settings/intake/mails/{mail.pk}/release/", follow=True)
    assert "Only a mail quarantined for an unauthenticated sender" in again.content.decode()
    assert Comment.objects.count() == 1


def test_discard_sets_the_mail_aside_in_its_own_tab(org, held):
    mail, _incident = held
    owner = browser(org.owner)
    response = owner.post(f"/settings/intake/mails/{mail.pk}/discard/", follow=True)
    assert "The mail is discarded" in response.content.decode()
    mail.refresh_from_db()
    assert mail.state == InboundMail.State.DISCARDED and Comment.objects.count() == 0
    tab = owner.get("/settings/intake/mails/?state=discarded").content.decode()
    assert f'<tr data-mail="{mail.pk}">' in tab and "Release" not in tab
    held_tab = owner.get("/settings/intake/mails/").content.decode()
    assert f'<tr data-mail="{mail.pk}">' not in held_tab


def test_a_mail_held_for_another_reason_has_no_release_button(org, held):
    mail, _incident = held
    InboundMail.objects.filter(pk=mail.pk).update(sender_verdict="", note="Parse error")
    page = browser(org.owner).get("/settings/intake/mails/").content.decode()
    row = re.search(rf'<tr data-mail="{mail.pk}">.*?</tr>', page, re.DOTALL).group(0)
    assert "Release" not in row and "Retry" in row


@pytest.mark.parametrize("role", ["requester", "desk", "engineer", "manager"])
def test_only_configurers_may_release_or_discard(org, held, role):
    mail, _incident = held
    client = browser(getattr(org, role))
    for action in ("release", "discard"):
        assert client.post(f"/settings/intake/mails/{mail.pk}/{action}/").status_code == 403
    mail.refresh_from_db()
    assert mail.state == InboundMail.State.QUARANTINED and Comment.objects.count() == 0


def test_release_and_discard_are_post_only(org, held):
    mail, _incident = held
    owner = browser(org.owner)
    for action in ("release", "discard"):
        assert owner.get(f"/settings/intake/mails/{mail.pk}/{action}/").status_code == 405
    assert owner.post("/settings/intake/mails/999999/release/").status_code == 404
