"""Which of our accounts a provider's subject is, once it has signed in."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
