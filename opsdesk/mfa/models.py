"""Multi-factor sign-in: the administrator's policy and the wrong-code counter of each person.

The devices themselves are django-otp's: a `TOTPDevice` (the authenticator app, unconfirmed until
the person enters a first code) and a `StaticDevice` named "recovery" holding the one-time
recovery codes as `StaticToken`s.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.roles import Role
from opsdesk.core.models import TimeStampedModel

USER = settings.AUTH_USER_MODEL

# Roles the administrator can make multi-factor sign-in mandatory for: the staff roles. A plain
# user (requester) is not staff; everyone may still turn it on for themself.
STAFF_ROLES = (Role.DESK, Role.ENGINEER, Role.MANAGER, Role.PROCESS_OWNER, Role.ADMIN)


class SsoTrust(models.TextChoices):
    """Whether a sign-in through the company's identity provider (OIDC) counts as multi-factor."""

    NEVER = "never", _("No: people signed in by single sign-on still enter a code here")
    REPORTED = "reported", _(
        "When the identity provider reports a second factor (the ID token's amr claim)")
    ALWAYS = "always", _("Always: the identity provider enforces multi-factor for everyone")


class MfaPolicy(TimeStampedModel):
    """The administrator's multi-factor policy: one row (pk=1); without it nothing is required."""

    required_roles = models.JSONField(
        _("required for roles"), default=list, blank=True,
        help_text=_("People holding any of these roles must use multi-factor sign-in."))
    sso_trust = models.CharField(
        _("single sign-on counts as multi-factor"), max_length=16, choices=SsoTrust.choices,
        default=SsoTrust.NEVER)
    updated_by = models.ForeignKey(USER, verbose_name=_("changed by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("multi-factor policy")
        verbose_name_plural = _("multi-factor policy")

    def __str__(self) -> str:
        return str(_("Multi-factor policy"))


class CodeThrottle(models.Model):
    """Wrong codes a person entered in a row, and until when they must wait.

    Every check of a code (sign-in, confirming the app, switching it off) locks this row first,
    so one person's checks run one at a time: a TOTP code or a recovery code cannot be used twice
    by two requests racing each other, and a burst of guesses cannot overshoot the limit.
    """

    user = models.OneToOneField(USER, on_delete=models.CASCADE, primary_key=True,
                                related_name="mfa_throttle")
    failures = models.PositiveSmallIntegerField(_("wrong codes in a row"), default=0)
    locked_until = models.DateTimeField(_("no codes accepted until"), null=True, blank=True)

    class Meta:
        verbose_name = _("wrong-code counter")
        verbose_name_plural = _("wrong-code counters")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.failures}"
