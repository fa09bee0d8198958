"""Authentication backends of single sign-on."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from .conf import oidc_config


class OidcBackend(ModelBackend):
    """The backend an SSO session is recorded with, so `get_user` keeps finding the account.

    It checks no password: the provider authenticated the person and the callback view
    (views.sso_callback) verified that; `authenticate` answers no to everything.
    """

    def authenticate(self, request, **credentials):
        return None


class PasswordSignInPolicyBackend:
    """With OPSDESK_OIDC_ONLY, only administrators may sign in with a password (break-glass).

    It comes first in AUTHENTICATION_BACKENDS and raises PermissionDenied for anyone else,
    which stops Django from asking the password backends (local and LDAP) and fires
    user_login_failed. Without OPSDESK_OIDC_ONLY it steps aside.
    No get_user (so not a BaseBackend): the test client's force_login() picks the first
    backend that has one, and this one never keeps a session.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        config = oidc_config()
        if config is None or not config.only or username is None or password is None:
            return None
        user = get_user_model()._default_manager.filter(username=username).first()
        if user is not None and (user.is_superuser or getattr(user, "is_administrator", False)):
            return None
        raise PermissionDenied
