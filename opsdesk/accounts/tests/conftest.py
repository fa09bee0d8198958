"""A real OpenLDAP (slapd) per test process, and settings that point opsdesk at it."""

import pytest

from opsdesk.accounts.testing.slapd import Slapd


@pytest.fixture(scope="session")
def slapd():
    """Debian's slapd on 127.0.0.1 (LDAP with StartTLS, and LDAPS), seeded, stopped at the end."""
    server = Slapd().start()
    yield server
    server.stop()


@pytest.fixture
def ldap(slapd, settings):
    """Directory sign-in on, against `slapd`, with the seeded groups mapped to roles."""
    settings.OPSDESK_LDAP = slapd.settings()
    return slapd


@pytest.fixture
def english(settings):
    """Pages in English, for tests that read their words."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield

