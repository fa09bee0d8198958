"""Multi-factor sign-in: the administrator's policy and the wrong-code counter of each person.

The devices are django-otp devices: our `Authenticator` (the authenticator app's TOTP secret,
encrypted at rest; unconfirmed until the person enters a first code) and our `RecoveryDevice`
named "recovery" holding the one-time recovery codes as `RecoveryCode` digests (never the codes).
"""

from django.conf import settings
from django.db import models, transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, DeviceManager, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key, key_validator

from opsdesk.accounts.roles import Role
from opsdesk.core.fields import EncryptedTextField
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


class AuthenticatorManager(DeviceManager):
    """Loads authenticators without their secret: it is decrypted only when a code is checked
    or the app is set up, so a wrong encryption key breaks those steps with a clear error and
    never the pages of people already verified (django-otp loads their device on every page)."""

    def get_queryset(self):
        return super().get_queryset().defer("key")


class Authenticator(TimestampMixin, ThrottlingMixin, Device):
    """A person's authenticator app: django-otp's TOTP device with its secret encrypted at rest.

    django-otp's `TOTPDevice` keeps the secret in a plain column; this model has the same fields
    with `key` (the secret in hex, as django-otp has it) in an `EncryptedTextField`
    (core/crypto.py: OPSDESK_ENCRYPTION_KEYS, rotated by `opsdesk_rotate_secrets`). Checking a
    code and the otpauth:// URI are django-otp's own `TOTPDevice` methods, which read only the
    fields below, so the RFC 6238 arithmetic, the replay guard (`last_t`) and the clock drift
    stay the library's.
    """

    key = EncryptedTextField(_("secret key"), validators=[key_validator], default=default_key)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    objects = AuthenticatorManager()

    bin_key = TOTPDevice.bin_key
    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    config_url = TOTPDevice.config_url
    _read_str_from_settings = TOTPDevice._read_str_from_settings

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")


# Separates the recovery-code digests from every other use of SECRET_KEY.
RECOVERY_DIGEST_SALT = "opsdesk.mfa.RecoveryCode.digest"


def recovery_code_digest(*, device_id: int, code: str, secret: str | None = None) -> str:
    """The stored form of a recovery code: HMAC-SHA256 keyed from SECRET_KEY (or `secret`).

    The codes are random (about 50 bits each), so a fast keyed hash is enough: without the
    SECRET_KEY a database or backup reader cannot even try guesses offline. The device is part of
    the message, so equal codes of two people never share a digest."""
    return salted_hmac(RECOVERY_DIGEST_SALT, f"{device_id}:{code}", secret=secret,
                       algorithm="sha256").hexdigest()


def recovery_code_digests(*, device_id: int, code: str) -> list[str]:
    """The code's digest under SECRET_KEY and each of SECRET_KEY_FALLBACKS (a key rotation)."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [recovery_code_digest(device_id=device_id, code=code, secret=key) for key in keys]


class RecoveryDevice(TimestampMixin, Device):
    """A person's one-time recovery codes as one django-otp device; only digests are stored.

    Takes the place of django-otp's `StaticDevice`, which keeps the codes in plain text. Found by
    django-otp like any device (`persistent_id` "mfa.recoverydevice/<pk>"), so a session verified
    with a recovery code stays verified while the device exists. Wrong codes are counted by
    `CodeThrottle` (services.code_check), not by django-otp's throttling.
    """

    class Meta(Device.Meta):
        verbose_name = _("recovery code set")
        verbose_name_plural = _("recovery code sets")
        constraints = [models.UniqueConstraint(fields=["user", "name"],
                                               name="mfa_recoverydevice_one_per_name")]

    def verify_token(self, token) -> bool:
        """Accept an unused code (as stored: lower case, no dash) and delete it.

        The DELETE is the check: of two requests racing with one code, the second's DELETE waits
        for the first's row lock and then deletes nothing, so the code works exactly once."""
        if not isinstance(token, str) or not token:
            return False
        with transaction.atomic():
            digests = recovery_code_digests(device_id=self.pk, code=token)
            deleted, _detail = RecoveryCode.objects.filter(device=self, digest__in=digests).delete()
            if deleted:
                self.set_last_used_timestamp(commit=False)
                self.save(update_fields=["last_used_at"])
        return bool(deleted)


class RecoveryCode(models.Model):
    """One unused recovery code of a `RecoveryDevice`: its keyed digest only; deleted when used."""

    device = models.ForeignKey(RecoveryDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(_("digest"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"{self.device_id}: {self.digest[:8]}…"
