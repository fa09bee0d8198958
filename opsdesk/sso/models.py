"""Which of our accounts a provider's subject is, once it has signed in."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.core.fields import EncryptedTextField
from opsdesk.core.models import TimeStampedModel


class SsoIdentity(TimeStampedModel):
    """The link from a provider's (issuer, subject) to one account.

    The subject (`sub`) never changes for a person at a provider, while an email address or a
    user name can be reused or renamed; so after the first sign-in the account is found by the
    subject, and the configured claim (email or preferred_username) is only used to find an
    existing account the first time. One account has at most one subject per issuer.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="sso_identities")
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    last_sign_in_at = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    class Meta:
        verbose_name = _("single sign-on identity")
        verbose_name_plural = _("single sign-on identities")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"],
                                    name="sso_identity_subject_unique"),
            models.UniqueConstraint(fields=["issuer", "user"], name="sso_identity_user_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.issuer}"


class SsoSession(TimeStampedModel):
    """One browser session that single sign-on opened: what a back-channel logout ends.

    The provider names a session by its `sid` (the ID token's session id) or all of a person's
    sessions by `sub`. The browser's session holds this row's id; SingleSignOnMiddleware signs
    it out on its next request once `ended_at` is set, whatever backend keeps the sessions (the
    session key itself is not stored). The refresh token (encrypted) lets roles be checked again
    without the person (OPSDESK_OIDC_ROLES_RECHECK_MINUTES).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="sso_sessions")
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    sid = models.CharField(_("provider session id"), max_length=255, blank=True)
    refresh_token = EncryptedTextField(_("refresh token"), blank=True)
    roles_checked_at = models.DateTimeField(_("roles checked at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("single sign-on session")
        verbose_name_plural = _("single sign-on sessions")
        indexes = [models.Index(fields=["issuer", "sid"], name="sso_session_sid"),
                   models.Index(fields=["issuer", "subject"], name="sso_session_subject"),
                   models.Index(fields=["created_at"], name="sso_session_created")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.issuer} ({self.sid or '-'})"


class SsoLogoutToken(models.Model):
    """A back-channel logout token already used (its `jti`): the same token twice is refused.

    Rows older than the oldest token still accepted (LOGOUT_TOKEN_MAX_AGE) are deleted as new
    ones arrive.
    """

    issuer = models.CharField(_("issuer"), max_length=255)
    jti = models.CharField(_("token id"), max_length=255)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("used logout token")
        verbose_name_plural = _("used logout tokens")
        constraints = [models.UniqueConstraint(fields=["issuer", "jti"],
                                               name="sso_logout_token_unique")]

    def __str__(self) -> str:
        return self.jti
