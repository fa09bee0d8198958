"""Fixtures of the intake tests: a real Dovecot per test process, a folder and mailbox per test.

Each pytest-xdist worker is its own process, so the session-scoped server is started once per
worker, on its own free ports; tests then share it through folders of their own.
"""

from pathlib import Path

import pytest

from opsdesk.intake.models import Mailbox
from opsdesk.intake.testing.dovecot import Dovecot
from opsdesk.intake.testing.oauth_server import OAuthServer

DESK_ADDRESS = "desk@opsdesk.example"


@pytest.fixture(scope="session")
def dovecot():
    """Debian's dovecot on 127.0.0.1 (IMAP with STARTTLS, and IMAPS), stopped at the end."""
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oauth_session():
    """Our OAuth2 authorization server (testing/oauth_server.py) on 127.0.0.1."""
    server = OAuthServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dovecot_oauth(oauth_session):
    """A Dovecot whose oauth2 passdb introspects bearer tokens at `oauth_session`."""
    server = Dovecot(oauth2_introspection_url=oauth_session.introspection_url).start()
    yield server
    server.stop()


@pytest.fixture
def oauth(oauth_session, settings) -> OAuthServer:
    """The authorization server, reset for this test: default client, no tokens issued.
    It listens on 127.0.0.1, an internal address: its token endpoint must be allowed."""
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1"]
    oauth_session.reset()
    return oauth_session


@pytest.fixture
def oauth_mailbox(db, dovecot_oauth, oauth, media) -> Mailbox:
    """A mailbox signing in with XOAUTH2 (client-credentials grant) to its own folder."""
    return Mailbox.objects.create(
        name="m365", address=DESK_ADDRESS, host="127.0.0.1", port=dovecot_oauth.port,
        security=Mailbox.Security.PLAIN, username=dovecot_oauth.user,
        auth_method=Mailbox.AuthMethod.OAUTH2, oauth_token_url=oauth.token_url,
        oauth_client_id=oauth.client_id, oauth_client_secret=oauth.client_secret,
        oauth_scope=oauth.scope, folder=dovecot_oauth.folder_new("O"))


@pytest.fixture
def imap_folder(dovecot) -> str:
    """An empty IMAP folder for this test only."""
    return dovecot.folder_new()


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Stored mails and attachments go to a directory of this test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def mailbox(db, dovecot, imap_folder, media) -> Mailbox:
    """A mailbox polling this test's folder over plain IMAP on 127.0.0.1."""
    return Mailbox.objects.create(
        name=f"desk-{imap_folder}", address=DESK_ADDRESS, host="127.0.0.1", port=dovecot.port,
        security=Mailbox.Security.PLAIN, username=dovecot.user, password=dovecot.password,
        folder=imap_folder)


@pytest.fixture
def deliver(dovecot, mailbox):
    """deliver(raw) files a message into the mailbox's folder over IMAP APPEND."""
    def deliver(raw: bytes, *, flags: tuple = ()) -> None:
        dovecot.append(raw, folder=mailbox.folder, flags=flags)
    return deliver


@pytest.fixture(autouse=True)
def english():
    """These tests read English messages: background work and requests run in English here.

    The Chinese text of the same messages is checked by test_translations and by the tests
    named *_in_chinese.
    """
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def admin_client(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin_client


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
