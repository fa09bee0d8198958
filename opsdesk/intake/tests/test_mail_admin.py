"""Mail intake in the admin: mailboxes (secrets write-only, plain IMAP only to localhost, OAuth2
settings checked), the quarantine with its "retry" action, and the original message as a
download."""

import pytest
from django.urls import reverse

from opsdesk.intake.models import InboundMail, Mailbox
from opsdesk.intake.services.mail import inbound_mail_process, inbound_mail_store
from opsdesk.intake.testing.mails import with_attachments

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, org, media):
    client.force_login(org.admin)
    return client


def form(**overrides) -> dict:
    return {"name": "desk", "address": "desk@opsdesk.example", "host": "imap.example.com",
            "port": "993", "security": "tls", "username": "desk", "auth_method": "password",
            "password": "s3cret-pass", "oauth_grant": "client_credentials", "folder": "INBOX",
            "after_store": "seen", "poll_seconds": "60", "is_active": "on",
            "create_contacts": "on", **overrides}


def test_the_password_is_saved_never_shown_and_kept_when_left_empty(admin_client):
    response = admin_client.post(reverse("admin:intake_mailbox_add"), form())
    assert response.status_code == 302, response.content.decode()[:2000]
    mailbox = Mailbox.objects.get()
    url = reverse("admin:intake_mailbox_change", args=[mailbox.pk])
    assert "s3cret-pass" not in admin_client.get(url).content.decode()
    assert admin_client.post(url, form(password="", folder="Support")).status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.password, mailbox.folder) == ("s3cret-pass", "Support")


@pytest.mark.parametrize("overrides, message", [
    ({"security": "plain"}, "only allowed to localhost"),
    ({"after_store": "move"}, "Name the folder"),
])
def test_settings_that_cannot_work_are_refused(admin_client, overrides, message):
    response = admin_client.post(reverse("admin:intake_mailbox_add"), form(**overrides))
    assert response.status_code == 200 and message in response.content.decode()
    assert not Mailbox.objects.exists()


def test_oauth2_secrets_are_write_only_and_a_changed_client_drops_the_kept_token(
        admin_client):
    from django.utils import timezone

    oauth = form(auth_method="oauth2", password="", oauth_client_id="app",
                 oauth_client_secret="app-s3cret", oauth_scope="https://outlook.office365.com/"
                 ".default", oauth_token_url="https://login.example.com/token")
    assert admin_client.post(reverse("admin:intake_mailbox_add"), oauth).status_code == 302
    mailbox = Mailbox.objects.get()
    Mailbox.objects.filter(pk=mailbox.pk).update(
        oauth_access_token="at-kept", oauth_access_expires_at=timezone.now())
    url = reverse("admin:intake_mailbox_change", args=[mailbox.pk])
    page = admin_client.get(url).content.decode()
    assert "app-s3cret" not in page and "at-kept" not in page
    assert "A client secret is saved" in page
    admin_client.post(url, {**oauth, "oauth_client_secret": "", "folder": "Support"})
    mailbox.refresh_from_db()
    assert (mailbox.oauth_client_secret, mailbox.folder) == ("app-s3cret", "Support")
    assert mailbox.oauth_access_token == "at-kept"  # the sign-in did not change
    admin_client.post(url, {**oauth, "oauth_client_id": "other-app"})
    mailbox.refresh_from_db()
    assert mailbox.oauth_client_id == "other-app" and mailbox.oauth_access_token == ""


def test_oauth2_without_a_secure_token_endpoint_is_refused(admin_client):
    oauth = form(auth_method="oauth2", oauth_client_id="app", oauth_client_secret="x",
                 oauth_scope="s", oauth_token_url="http://login.example.com/token")
    response = admin_client.post(reverse("admin:intake_mailbox_add"), oauth)
    assert response.status_code == 200 and "must be an https:// address" in \
        response.content.decode()
    assert not Mailbox.objects.exists()


def test_plain_imap_to_localhost_is_allowed(admin_client):
    response = admin_client.post(reverse("admin:intake_mailbox_add"),
                                 form(security="plain", host="127.0.0.1", port="143"))
    assert response.status_code == 302


def quarantined(create_contacts: bool = False) -> InboundMail:
    mailbox = Mailbox.objects.create(name="desk", address="desk@opsdesk.example",
                                     host="127.0.0.1", security="plain", username="desk",
                                     create_contacts=create_contacts)
    mail, _created = inbound_mail_store(mailbox=mailbox, raw=with_attachments(
        sender="stranger@example.com", subject="Help, my screen is black"))
    return inbound_mail_process(mail=mail)


def test_the_quarantine_lists_the_mail_and_retry_processes_it(admin_client):
    mail = quarantined()
    changelist = reverse("admin:intake_inboundmail_changelist")
    listing = admin_client.get(changelist, {"state__exact": "quarantined"}).content.decode()
    assert "Help, my screen is black" in listing
    Mailbox.objects.update(create_contacts=True)  # the cause, fixed
    response = admin_client.post(changelist, {"action": "retry", "_selected_action": [mail.pk]})
    assert response.status_code == 302
    mail.refresh_from_db()
    assert mail.state == InboundMail.State.PROCESSED and mail.incident is not None


def test_the_original_message_downloads_as_an_eml_file(admin_client):
    mail = quarantined()
    response = admin_client.get(reverse("admin:intake_inboundmail_raw", args=[mail.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"Help, my screen is black" in b"".join(response.streaming_content)
    page = admin_client.get(reverse("admin:intake_inboundmail_change", args=[mail.pk]))
    assert reverse("admin:intake_inboundmail_raw", args=[mail.pk]) in page.content.decode()


def test_people_without_the_admin_role_cannot_read_mail(client, org, media):
    mail = quarantined()
    client.force_login(org.owner)  # the process owner edits reference data, not mail
    response = client.get(reverse("admin:intake_inboundmail_raw", args=[mail.pk]))
    assert response.status_code in (403, 404)
