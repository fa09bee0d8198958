"""Changes to multi-factor sign-in: enrolment, codes, switching off, the administrator's reset
and policy.

Every check of a code goes through `code_check`, which locks the person's `CodeThrottle` row:
checks of one person run one at a time, wrong codes are counted (OPSDESK_MFA_MAX_FAILURES in a
row, then no code is accepted for OPSDESK_MFA_LOCKOUT_SECONDS), and a TOTP code (django-otp keeps
the time step of the last one accepted) or a recovery code (deleted when used) works only once.
Recovery codes are stored only as keyed digests (`models.RecoveryCode`); the codes themselves
exist only in the answer of `recovery_codes_generate`, to be shown once.
The signals of `signals.py` are sent inside the transaction of the change, so the audit entry
commits with it or not at all.
"""

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.models import Device

from opsdesk.core.crypto import DecryptionError
from opsdesk.core.exceptions import Conflict, DomainError, InvalidInput

from . import selectors, signals
from .models import (
    STAFF_ROLES,
    Authenticator,
    CodeThrottle,
    MfaPolicy,
    RecoveryCode,
    RecoveryDevice,
    SsoTrust,
    recovery_code_digest,
)

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper and typed by hand.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
RECOVERY_PATTERN = re.compile(rf"[{RECOVERY_ALPHABET}]{{{RECOVERY_LENGTH}}}")
TOTP_PATTERN = re.compile(r"\d{6}")

logger = logging.getLogger(__name__)


class SecretUnreadable(DomainError):
    """The person's authenticator secret does not decrypt with the server's keys.

    A server fault (OPSDESK_ENCRYPTION_KEYS or SECRET_KEY changed without the old key), not the
    person's: it is logged for the administrator, the attempt is not counted as a wrong code,
    and recovery codes keep working meanwhile (their digests are keyed from SECRET_KEY: after
    replacing it, keep the old one in SECRET_KEY_FALLBACKS)."""

    status_code = 503
    default_message = gettext_lazy(
        "Codes from your authenticator app cannot be checked at the moment: the server cannot "
        "read its stored secret. Use one of your recovery codes, or ask an administrator.")


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of checking a code: the device that accepted it, or why none did."""

    device: Device | None
    tries_left: int
    locked_until: datetime | None = None

    @property
    def used_recovery_code(self) -> bool:
        return isinstance(self.device, RecoveryDevice)


def normalise(code: str) -> str:
    """A code as typed (spaces, dashes, capitals) in the form it is stored and checked in."""
    return re.sub(r"[\s\-]", "", code or "").lower()


def format_recovery_code(code: str) -> str:
    """`abcde-fghjk`: two halves are easier to copy by hand."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def code_check(*, user, code: str, device: Authenticator | None = None) -> CodeCheck:
    """Check a code against the person's authenticator (or `device`, during enrolment) and,
    outside enrolment, their recovery codes; counted and throttled as the module says."""
    CodeThrottle.objects.get_or_create(user=user)
    with transaction.atomic():
        throttle = CodeThrottle.objects.select_for_update().get(user=user)
        now = timezone.now()
        if throttle.locked_until and throttle.locked_until > now:
            return CodeCheck(device=None, tries_left=0, locked_until=throttle.locked_until)
        matched = _match(user=user, token=normalise(code), enrolling=device)
        _count(throttle, matched=matched is not None, now=now)
    tries_left = settings.OPSDESK_MFA_MAX_FAILURES - throttle.failures
    return CodeCheck(device=matched, tries_left=tries_left, locked_until=throttle.locked_until)


def _match(*, user, token: str, enrolling: Authenticator | None) -> Device | None:
    """The device accepting `token`, read fresh under the throttle lock (its last time step)."""
    if TOTP_PATTERN.fullmatch(token):
        devices = Authenticator.objects.filter(user=user)
        devices = (devices.filter(pk=enrolling.pk) if enrolling
                   else devices.filter(confirmed=True))
        totp = devices.first()
        return totp if totp is not None and _verify_totp(totp, token) else None
    if enrolling is None and RECOVERY_PATTERN.fullmatch(token):
        recovery = RecoveryDevice.objects.filter(
            user=user, name=selectors.RECOVERY_DEVICE_NAME, confirmed=True).first()
        return recovery if recovery is not None and recovery.verify_token(token) else None
    return None


def _verify_totp(device: Authenticator, token: str) -> bool:
    """django-otp's check of the code; an undecryptable secret is reported, not a wrong code."""
    try:
        return device.verify_token(token)
    except DecryptionError:
        logger.error("The authenticator secret of user %s cannot be decrypted with the configured "
                     "keys (OPSDESK_ENCRYPTION_KEYS / SECRET_KEY); see `manage.py check "
                     "--database default`.", device.user_id)
        raise SecretUnreadable from None


def _count(throttle: CodeThrottle, *, matched: bool, now: datetime) -> None:
    """Reset the count on success; after too many wrong codes, start the wait."""
    if matched:
        throttle.failures, throttle.locked_until = 0, None
    else:
        throttle.failures += 1
        throttle.locked_until = None  # an earlier wait is over
        if throttle.failures >= settings.OPSDESK_MFA_MAX_FAILURES:
            throttle.failures = 0
            throttle.locked_until = now + timedelta(seconds=settings.OPSDESK_MFA_LOCKOUT_SECONDS)
    throttle.save(update_fields=["failures", "locked_until"])


def enrolment_device(*, user) -> Authenticator:
    """The authenticator being set up (created with a new secret on first use)."""
    if selectors.has_authenticator(user):
        raise Conflict(_("Multi-factor sign-in is already on. Switch it off first to set up "
                         "another app."))
    device = Authenticator.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is not None and not selectors.secret_readable(device):
        device.delete()  # never confirmed, so nothing is lost: start again with a new secret
        device = None
    if device is None:
        device = Authenticator.objects.create(user=user, name=str(_("Authenticator app")),
                                              confirmed=False)
    return device


def enrolment_confirm(*, user, code: str, request=None) -> tuple[CodeCheck, list[str]]:
    """Confirm the app with its first code; returns the check and the new recovery codes."""
    device = enrolment_device(user=user)
    check = code_check(user=user, code=code, device=device)
    if check.device is None:
        return check, []
    with transaction.atomic():
        Authenticator.objects.filter(pk=device.pk).update(confirmed=True)
        Authenticator.objects.filter(user=user, confirmed=False).delete()
        codes = recovery_codes_generate(user=user)
        signals.mfa_enabled.send(sender=type(user), user=user, by=user, request=request,
                                 method="totp")
    device.confirmed = True
    return CodeCheck(device=device, tries_left=check.tries_left), codes


def recovery_codes_generate(*, user) -> list[str]:
    """New recovery codes; the old ones stop working. Returns them: they are shown once and
    only their digests are stored."""
    codes = _new_recovery_codes()
    with transaction.atomic():
        device, _created = RecoveryDevice.objects.get_or_create(
            user=user, name=selectors.RECOVERY_DEVICE_NAME, defaults={"confirmed": True})
        device.codes.all().delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(device=device, digest=recovery_code_digest(device_id=device.pk, code=c))
            for c in codes)
    return codes


def _new_recovery_codes() -> list[str]:
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add("".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH)))
    return sorted(codes)


def mfa_disable(*, user, code: str, request=None) -> CodeCheck:
    """Switch multi-factor sign-in off, proved with a current code; not while a role needs it."""
    if selectors.policy_current().requires(user):
        raise InvalidInput(_("Your role requires multi-factor sign-in, so it cannot be switched "
                             "off. An administrator can reset it if you lost your phone."))
    if not selectors.has_authenticator(user):
        raise Conflict(_("Multi-factor sign-in is not on."))
    check = code_check(user=user, code=code)
    if check.device is not None:
        with transaction.atomic():
            _remove_devices(user)
            signals.mfa_disabled.send(sender=type(user), user=user, by=user, request=request,
                              method="totp")
    return check


def mfa_reset(*, user, by, request=None) -> bool:
    """The administrator removes a person's authenticator and recovery codes (a lost phone).

    The person enrols again at their next page (when their role requires it) or when they
    choose to. Returns False when there was nothing to reset."""
    with transaction.atomic():
        removed = _remove_devices(user)
        CodeThrottle.objects.filter(user=user).delete()
        if removed:
            signals.mfa_reset.send(sender=type(user), user=user, by=by, request=request,
                                   method="totp")
    return bool(removed)


def _remove_devices(user) -> int:
    """Delete every device of the person; their sessions lose verification with them."""
    totp, _detail = Authenticator.objects.filter(user=user).delete()
    RecoveryDevice.objects.filter(user=user).delete()
    return totp


def policy_update(*, by, required_roles: list[str], sso_trust: str) -> MfaPolicy:
    """Save the administrator's policy; it applies from each person's next page."""
    allowed = {role.value for role in STAFF_ROLES}
    unknown = sorted(set(required_roles) - allowed)
    if unknown:
        raise InvalidInput(errors={"required_roles": _("Unknown role: %(roles)s.")
                                   % {"roles": ", ".join(unknown)}})
    if sso_trust not in SsoTrust.values:
        raise InvalidInput(errors={"sso_trust": _("Choose one of the offered answers.")})
    with transaction.atomic():
        policy, _created = MfaPolicy.objects.select_for_update().get_or_create(pk=1)
        policy.required_roles = sorted(set(required_roles))
        policy.sso_trust = sso_trust
        policy.updated_by = by
        policy.save()
        transaction.on_commit(lambda: cache.delete(selectors.POLICY_CACHE_KEY))
    cache.delete(selectors.POLICY_CACHE_KEY)
    return policy
