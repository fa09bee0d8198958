"""OAuth2 (XOAUTH2) sign-in against real parts: our authorization server on 127.0.0.1
(testing/oauth_server.py: a token endpoint and an RFC 7662 introspection endpoint) and a
Dovecot whose oauth2 passdb asks that introspection endpoint about every bearer token.

What the desk sees: mail is polled, a token that stopped working is replaced, every refusal is
a sentence in the mailbox's last error while the mail waits unseen on the server, and a
rotated refresh token is kept (encrypted) for the next time.
"""

import httpx
import pytest
from django.db import connection

from opsdesk.intake import oauth as oauth_module
from opsdesk.intake.models import InboundMail, Mailbox
from opsdesk.intake.services.console import mailbox_save
from opsdesk.intake.services.mail import mailbox_connection_test, mailbox_poll
from opsdesk.intake.testing.dovecot import free_port
from opsdesk.intake.tests.test_imap import flags_by_uid, mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver_oauth(dovecot_oauth, oauth_mailbox):
    def deliver(raw: bytes) -> None:
        dovecot_oauth.append(raw, folder=oauth_mailbox.folder)
    return deliver


def raw_column(mailbox: Mailbox, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM intake_mailbox WHERE id = %s", [mailbox.pk])
        return cursor.fetchone()[0]


def polled(mailbox: Mailbox) -> tuple[int, str]:
    new = mailbox_poll(mailbox=mailbox)
    mailbox.refresh_from_db()
    return new, mailbox.last_error


def xoauth2_logins(dovecot) -> int:
    return dovecot.log_path.read_text().count("method=XOAUTH2")


def test_a_mail_is_polled_with_xoauth2_and_the_token_is_kept_for_the_next_poll(
        dovecot_oauth, oauth, oauth_mailbox, deliver_oauth):
    deliver_oauth(mail("VPN down in Shanghai"))
    logins = xoauth2_logins(dovecot_oauth)
    assert polled(oauth_mailbox) == (1, "")
    stored = InboundMail.objects.get()
    assert (stored.subject, stored.mailbox) == ("VPN down in Shanghai", oauth_mailbox)
    assert flags_by_uid(dovecot_oauth, oauth_mailbox.folder) == [("\\Seen",)]
    assert xoauth2_logins(dovecot_oauth) == logins + 1
    [request] = oauth.token_requests
    assert (request["grant_type"], request["client_id"], request["scope"]) == (
        "client_credentials", oauth.client_id, oauth.scope)
    assert oauth.introspections == [oauth_mailbox.oauth_access_token]
    # Kept encrypted, and used again by the next poll instead of asking again.
    assert raw_column(oauth_mailbox, "oauth_access_token").startswith("fernet:")
    assert oauth_mailbox.oauth_access_token not in raw_column(oauth_mailbox,
                                                              "oauth_access_token")
    deliver_oauth(mail("Printer jammed"))
    assert polled(oauth_mailbox) == (1, "")
    assert oauth.issued("client_credentials") == 1 and len(oauth.introspections) == 2


def test_an_expired_token_is_replaced_once_and_the_poll_goes_on(
        dovecot_oauth, oauth, oauth_mailbox, deliver_oauth):
    assert polled(oauth_mailbox) == (0, "")
    first = oauth_mailbox.oauth_access_token
    oauth.expire_access_tokens()  # the server ends it early; we still think it is good
    deliver_oauth(mail())
    assert polled(oauth_mailbox) == (1, "")
    assert oauth.issued("client_credentials") == 2
    assert oauth_mailbox.oauth_access_token not in ("", first)
    assert InboundMail.objects.count() == 1


def test_a_refused_client_is_a_clear_error_and_the_mail_waits_unseen(
        dovecot_oauth, oauth, oauth_mailbox, deliver_oauth):
    deliver_oauth(mail())
    oauth.client_secret = "rotated-in-the-portal"
    new, error = polled(oauth_mailbox)
    assert new == 0
    assert error.startswith("OAuth2: the token endpoint refused the client: invalid_client "
                            "(Client authentication failed.). Check the client ID and the "
                            "client secret.")
    assert InboundMail.objects.count() == 0
    assert flags_by_uid(dovecot_oauth, oauth_mailbox.folder) == [()]  # nothing lost
    mailbox_save(mailbox=oauth_mailbox, data={"oauth_client_secret": "rotated-in-the-portal"})
    assert polled(oauth_mailbox) == (1, "")
    assert flags_by_uid(dovecot_oauth, oauth_mailbox.folder) == [("\\Seen",)]


def test_a_fresh_token_the_imap_server_refuses_is_a_clear_error_and_the_mail_waits(
        dovecot_oauth, oauth, oauth_mailbox, deliver_oauth):
    deliver_oauth(mail())
    oauth.username = "someone-else"  # the app is allowed another mailbox, not this one
    new, error = polled(oauth_mailbox)
    assert new == 0
    assert error.startswith("OAuth2: the IMAP server 127.0.0.1 refused the access token for "
                            "desk: [AUTHENTICATIONFAILED]")
    assert "Check that the app may read this mailbox" in error
    assert oauth.issued("client_credentials") == 1  # a fresh token is not asked for twice
    assert InboundMail.objects.count() == 0
    assert flags_by_uid(dovecot_oauth, oauth_mailbox.folder) == [()]


def test_the_refresh_token_rotates_and_the_new_one_is_kept_encrypted(
        dovecot_oauth, oauth, oauth_mailbox, deliver_oauth):
    first = oauth.refresh_token_issue()
    mailbox_save(mailbox=oauth_mailbox, data={
        "oauth_grant": Mailbox.OAuthGrant.REFRESH_TOKEN, "oauth_refresh_token": first,
        "oauth_scope": "https://mail.google.com/"})
    deliver_oauth(mail())
    assert polled(oauth_mailbox) == (1, "")
    second = oauth_mailbox.oauth_refresh_token
    assert second not in ("", first) and list(oauth.refresh_tokens) == [second]
    assert oauth.token_requests[0]["refresh_token"] == first
    assert raw_column(oauth_mailbox, "oauth_refresh_token").startswith("fernet:")
    assert second not in raw_column(oauth_mailbox, "oauth_refresh_token")
    # The next access token comes from the rotated refresh token; the old one is dead.
    oauth.expire_access_tokens()
    deliver_oauth(mail("Second"))
    assert polled(oauth_mailbox) == (1, "")
    assert oauth.token_requests[-1]["refresh_token"] == second
    assert oauth_mailbox.oauth_refresh_token not in (first, second)
    assert oauth.issued("refresh_token") == 2


def test_a_revoked_refresh_token_says_to_sign_in_again(oauth, oauth_mailbox, deliver_oauth):
    token = oauth.refresh_token_issue()
    mailbox_save(mailbox=oauth_mailbox, data={"oauth_grant": Mailbox.OAuthGrant.REFRESH_TOKEN,
                                              "oauth_refresh_token": token})
    oauth.refresh_token_revoke(token)
    deliver_oauth(mail())
    new, error = polled(oauth_mailbox)
    assert new == 0 and InboundMail.objects.count() == 0
    assert error == ("OAuth2: the token endpoint refused the refresh token: invalid_grant (The "
                     "refresh token is expired or revoked.). It has expired or was revoked: "
                     "sign in again to get a new one and save it with the mailbox.")


def test_a_scope_the_server_does_not_grant_is_named(oauth, oauth_mailbox):
    mailbox_save(mailbox=oauth_mailbox, data={"oauth_scope": "https://graph.microsoft.com/"})
    assert polled(oauth_mailbox)[1].startswith(
        "OAuth2: the token endpoint refused the scope “https://graph.microsoft.com/”: "
        "invalid_scope")


def test_an_unreachable_token_endpoint_is_named(oauth_mailbox, deliver_oauth, dovecot_oauth):
    deliver_oauth(mail())
    mailbox_save(mailbox=oauth_mailbox,
                 data={"oauth_token_url": f"http://127.0.0.1:{free_port()}/token"})
    new, error = polled(oauth_mailbox)
    assert new == 0 and error.startswith("OAuth2: could not reach the token endpoint "
                                         f"{oauth_mailbox.oauth_token_url}: ConnectError")
    assert flags_by_uid(dovecot_oauth, oauth_mailbox.folder) == [()]


def test_a_token_endpoint_that_does_not_answer_in_time_is_given_up(
        oauth, oauth_mailbox, monkeypatch):
    monkeypatch.setattr(oauth_module, "TOKEN_TIMEOUT", httpx.Timeout(0.5))
    oauth.token_delay = 2.0
    new, error = polled(oauth_mailbox)
    assert new == 0
    assert error == f"OAuth2: the token endpoint {oauth.token_url} did not answer in time."


def test_changing_the_sign_in_settings_drops_the_kept_token(oauth, oauth_mailbox):
    polled(oauth_mailbox)
    assert oauth_mailbox.oauth_access_token
    mailbox_save(mailbox=oauth_mailbox, data={"poll_seconds": 120})  # not a sign-in setting
    oauth_mailbox.refresh_from_db()
    assert oauth_mailbox.oauth_access_token
    mailbox_save(mailbox=oauth_mailbox, data={"oauth_client_id": "another-app"})
    oauth_mailbox.refresh_from_db()
    assert oauth_mailbox.oauth_access_token == "" and oauth_mailbox.oauth_access_expires_at is None


def test_the_connection_test_signs_in_without_fetching_and_keeps_the_last_error_true(
        dovecot_oauth, oauth, oauth_mailbox, deliver_oauth):
    deliver_oauth(mail())
    oauth.client_secret = "changed"
    assert mailbox_connection_test(mailbox=oauth_mailbox) == (
        0, oauth_mailbox.last_error)
    assert "invalid_client" in Mailbox.objects.get().last_error
    oauth.client_secret = oauth_mailbox.oauth_client_secret
    assert mailbox_connection_test(mailbox=oauth_mailbox) == (1, "")
    assert Mailbox.objects.get().last_error == ""
    assert InboundMail.objects.count() == 0  # nothing fetched
    assert flags_by_uid(dovecot_oauth, oauth_mailbox.folder) == [()]


def test_the_settings_page_tests_the_connection(org, oauth, oauth_mailbox, deliver_oauth,
                                                client):
    deliver_oauth(mail())
    client.force_login(org.owner)
    url = f"/settings/intake/mailboxes/{oauth_mailbox.pk}/"
    assert 'action="' + url + 'test/"' in client.get(url).content.decode()
    page = client.post(url + "test/", follow=True).content.decode()
    assert ("The connection to m365 works: signed in as desk with OAuth2 (XOAUTH2); "
            f"{oauth_mailbox.folder} has 1 unread mail.") in page
    assert "An access token is kept until" in page
    oauth.client_secret = "changed"
    oauth.expire_access_tokens()
    page = client.post(url + "test/", follow=True).content.decode()
    assert "The connection to m365 failed: OAuth2: the token endpoint refused the client: " \
           "invalid_client" in page
    assert "<strong>Last error:</strong> OAuth2: the token endpoint refused" in page  # banner


@pytest.mark.parametrize("values, field, message", [
    ({"oauth_token_url": "http://login.example.com/token"}, "oauth_token_url", "https://"),
    ({"oauth_client_id": ""}, "oauth_client_id", "client ID"),
    ({"oauth_scope": ""}, "oauth_scope", "needs a scope"),
    ({"oauth_grant": "refresh_token"}, "oauth_refresh_token", "needs a refresh token"),
])
def test_oauth_settings_that_cannot_work_are_refused_before_saving(
        oauth_mailbox, values, field, message):
    from opsdesk.core.exceptions import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        mailbox_save(mailbox=Mailbox.objects.get(pk=oauth_mailbox.pk), data=values)
    assert message in refused.value.errors[field]
    assert Mailbox.objects.get().oauth_client_id == oauth_mailbox.oauth_client_id
