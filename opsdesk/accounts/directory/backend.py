"""The authentication backend for directory (LDAP / Active Directory) accounts."""

import logging

from django.contrib.auth.backends import ModelBackend

from .client import DirectoryUnavailable, entry_find, password_check, service_connection
from .config import directory_config
from .sync import directory_user_sync

log = logging.getLogger(__name__)


class DirectoryBackend(ModelBackend):
    """Checks the password against the directory, then syncs the account and its roles.

    Returns None (the next backend or a failed sign-in) when LDAP is off, the person is not
    in the directory, the password is wrong, or the name belongs to a local-only account.
    A directory that cannot be reached, or a name that is another person's SSO account
    (sync.IdentityConflict), marks the request, so the form can say so.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        config = directory_config()
        if config is None or not username or not password:
            return None
        try:
            entry = self._entry(config, username.strip())
            if entry is None or not password_check(config, entry.dn, password):
                return None
        except DirectoryUnavailable as error:
            log.error("directory sign-in impossible: %s", error)
            if request is not None:
                request.opsdesk_directory_unavailable = True
            return None
        user = directory_user_sync(entry=entry, config=config, request=request)
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def _entry(config, username: str):
        conn = service_connection(config)
        try:
            return entry_find(config, conn, username)
        finally:
            conn.unbind()
